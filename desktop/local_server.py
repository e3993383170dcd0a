"""The app's own ``kenning serve``: the loaded model and the index, lent over HTTP.

When the user turns on "Serve embeddings and search to other local tools", the app runs
:mod:`engine.serve`'s HTTP server in-process on 127.0.0.1, sharing the index service's
query-first embedder (no second copy of the model) and the app's data folder. The server
binds as soon as it is turned on, so a busy port is reported at once; until the model has
loaded it answers 503 with a message saying so.

Everything here runs on the GUI thread except the server's own threads; no Qt is needed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from desktop.notify import Notifier
from engine.env_names import ENV_SERVE_TOKEN
from engine.errors import KenningError
from engine.index_files import VectorSource
from engine.serve.api_errors import ApiError
from engine.serve.embeddings_api import EmbeddingsApi
from engine.serve.http_api import DEFAULT_HOST, KenningServer, ServeConfig
from engine.serve.search_api import SearchApi
from engine.types import Embedder, QueryTask

log = logging.getLogger(__name__)

NOT_READY = (
    "Kenning's embedding model is not ready yet (it is loading, or failed to load: see the "
    "Kenning window); retry in a moment"
)


def serve_token() -> str:
    """``$KENNING_SERVE_TOKEN`` when set, else the stored token (created on first use)."""
    from engine.serve.token import check_token, load_or_create_token

    # The same variable `kenning serve` reads, so a token set for the CLI works for the app.
    given = os.environ.get(ENV_SERVE_TOKEN)
    return check_token(given) if given else load_or_create_token()


class ModelSlot:
    """An :class:`~engine.types.Embedder` that is the app's model once it has loaded.

    Before that (and while the index service restarts with another model) every use raises
    an :class:`ApiError` 503, which the server answers as it is, with ``Retry-After``.
    The target is the index service's ``PriorityEmbedder``, so the server's queries go
    ahead of indexing batches and nothing enters the model from two threads at once.
    """

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._embedder = embedder  # replaced whole from the GUI thread; read by the server's

    @property
    def target(self) -> Embedder | None:
        return self._embedder

    def set(self, embedder: Embedder | None) -> None:
        self._embedder = embedder

    def require(self) -> Embedder:
        embedder = self._embedder
        if embedder is None:
            raise ApiError(503, NOT_READY, code="model_not_ready")
        return embedder

    @property
    def model_id(self) -> str:
        return self.require().model_id

    @property
    def dim(self) -> int:
        return self.require().dim

    @property
    def max_tokens(self) -> int:
        return self.require().max_tokens

    @property
    def instruction_aware(self) -> bool:
        return self.require().instruction_aware

    @property
    def device(self) -> str:
        return self.require().device

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.require().count_tokens(texts)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.require().embed_documents(texts)

    def embed_queries(self, texts: list[str], task: QueryTask = "code") -> np.ndarray:
        return self.require().embed_queries(texts, task=task)


def build_server(
    config: ServeConfig,
    slot: ModelSlot,
    data_dir: Path,
    vectors: Callable[[], VectorSource | None] | None = None,
) -> KenningServer:
    """:func:`engine.serve.http_api.make_server`, over the app's model slot.

    The slot already leads to a ``PriorityEmbedder``, so it is not wrapped in another one;
    search asks the slot for the model when it opens the index, so a search before the model
    is ready gets the same 503 as embeddings.
    """
    embeddings = EmbeddingsApi(slot, max_batch=config.max_batch)
    search = SearchApi(data_dir, slot.require, vectors=vectors)
    return KenningServer(config, embeddings, search)


class LocalServer:
    """Starts, stops and re-points the app's HTTP server as the settings and model change.

    Call every method from the GUI thread. Failures (a port in use, an unreadable token)
    go to ``notifier`` as one-line errors; the app keeps running without the server.
    """

    def __init__(
        self,
        data_dir: Path,
        notifier: Notifier,
        *,
        token_source: Callable[[], str] = serve_token,
        host: str = DEFAULT_HOST,
    ) -> None:
        self.data_dir = Path(data_dir)
        self._notifier = notifier
        self._token_source = token_source
        self._host = host
        self._server: KenningServer | None = None
        self._slot: ModelSlot | None = None
        self._model: Embedder | None = None
        # The app's index service once it runs: searches use its live vector index (which a
        # recovery or a model switch replaces) instead of loading the saved one.
        self.vector_source: VectorSource | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str | None:
        """The OpenAI base URL while serving (``http://127.0.0.1:PORT/v1``), else None."""
        return f"{self._server.url}/v1" if self._server is not None else None

    @property
    def port(self) -> int | None:
        return self._server.port if self._server is not None else None

    def configure(self, enabled: bool, port: int) -> bool:
        """Serve on ``port`` or not, as asked; False when serving was asked and failed."""
        if not enabled:
            self.stop()
            return True
        if self._server is not None and self._server.port == port:
            return True
        self.stop()
        return self._start(port)

    def set_model(self, embedder: Embedder | None) -> None:
        """The index service's embedder once loaded; None while it (re)loads."""
        self._model = embedder
        if self._server is None or self._slot is None:
            return
        if self._slot.target is None:
            self._slot.set(embedder)
        elif embedder is not self._slot.target:
            # The model goes away or changes: the search API keeps a searcher made with the
            # old one, so serve afresh (on the same port) rather than re-point it.
            port = self._server.port
            self.stop()
            self._start(port)

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop serving (if serving); True when every server thread ended within ``timeout``."""
        server, self._server, self._slot = self._server, None, None
        if server is None:
            return True
        ended = server.stop(timeout)
        log.info("stopped serving on %s", server.url)
        return ended

    def _start(self, port: int) -> bool:
        try:
            token = self._token_source()
        except KenningError as exc:
            self._notifier.error(f"Cannot serve to other tools: {exc}")
            return False
        slot = ModelSlot(self._model)
        config = ServeConfig(token=token, host=self._host, port=port)
        try:
            server = build_server(config, slot, self.data_dir, lambda: self.vector_source)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._notifier.error(
                f"Cannot serve to other tools on {self._host}:{port}: {reason} "
                "(choose another port in Settings)"
            )
            return False
        server.start()
        self._server, self._slot = server, slot
        log.info("serving embeddings and search on %s/v1", server.url)
        return True

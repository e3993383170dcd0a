"""``kenning serve`` and ``kenning mcp``.

The front end (``desktop/cli.py``) owns the options every subcommand shares, and the engine
may not import it, so it hands them in::

    register_cli(sub, add_common_options=add_common_options, data_dir_from=data_dir_from,
                 embedder_from=embedder_from)

Without them (``register_cli(sub)``) the same options are defined here from the engine's own
pieces, so the subcommands work either way.

``keep_fresh`` (``desktop.keep_fresh.FreshIndex``) watches the served index's folders and
indexes their changes while the server runs; the engine cannot do that itself (the indexer
sits above it), so without the hook ``serve`` and ``mcp`` serve the index as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from engine.errors import KenningError
from engine.serve.defaults import (
    DEFAULT_HOST,
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_PORT,
)
from engine.types import Embedder

if TYPE_CHECKING:
    # The server (and numpy) load when a subcommand runs, not when it is registered.
    from engine.serve.http_api import KenningServer

log = logging.getLogger(__name__)

ENV_TOKEN = "KENNING_SERVE_TOKEN"
ENV_API_KEY = "KENNING_API_KEY"
ENV_DATA_DIR = "KENNING_DATA_DIR"

AddOptions = Callable[[argparse.ArgumentParser], None]
DataDirFrom = Callable[[argparse.Namespace], Path]
EmbedderFrom = Callable[..., Embedder]  # (args, *, default_model=None) -> Embedder


class KeepFresh(Protocol):
    """Keeps an index fresh while a ``with`` block runs (desktop.keep_fresh.FreshIndex)."""

    def __enter__(self) -> object: ...

    def __exit__(self, *exc: object) -> None: ...

    @property
    def vectors(self) -> Any:
        """The indexer's live vector index once it is open, else None."""


# (data_dir, the server's embedder factory, say) -> KeepFresh
KeepFreshFactory = Callable[[Path, Callable[[], Embedder], Callable[[str], None]], KeepFresh]


def register_cli(
    subparsers: argparse._SubParsersAction,
    *,
    add_common_options: AddOptions | None = None,
    data_dir_from: DataDirFrom | None = None,
    embedder_from: EmbedderFrom | None = None,
    keep_fresh: KeepFreshFactory | None = None,
) -> None:
    """Add ``serve`` and ``mcp`` to ``kenning``'s subcommands."""
    add_options = add_common_options or _add_common_options
    hooks = _Hooks(data_dir_from or _data_dir_from, embedder_from or _embedder_from, keep_fresh)

    p = subparsers.add_parser(
        "serve",
        help="serve embeddings (OpenAI API) and search over HTTP on this machine",
        description="Serve the embedding model as an OpenAI-compatible /v1/embeddings API and "
        "the index through /v1/search, on 127.0.0.1 with a bearer token.",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)"
    )
    p.add_argument(
        "--token",
        default=None,
        help=f"bearer token clients must send (default: ${ENV_TOKEN}, else one generated "
        "once and stored with your settings)",
    )
    p.add_argument(
        "--max-batch",
        type=int,
        default=DEFAULT_MAX_BATCH,
        help=f"most inputs in one embeddings request (default {DEFAULT_MAX_BATCH})",
    )
    p.add_argument(
        "--max-body-mb",
        type=float,
        default=DEFAULT_MAX_BODY_BYTES / 2**20,
        help=f"largest request body in MiB (default {DEFAULT_MAX_BODY_BYTES // 2**20})",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also accept this Host name (behind a reverse proxy); repeatable",
    )
    p.add_argument("--no-search", action="store_true", help="serve embeddings only")
    _add_watch_option(p, keep_fresh is not None)
    add_options(p)
    p.set_defaults(func=hooks.serve)

    p = subparsers.add_parser(
        "mcp",
        help="search the index from coding agents (MCP server on stdio)",
        description="Run a Model Context Protocol server on stdin/stdout with a 'search' tool.",
    )
    _add_watch_option(p, keep_fresh is not None)
    add_options(p)
    p.set_defaults(func=hooks.mcp)


def _add_watch_option(parser: argparse.ArgumentParser, available: bool) -> None:
    if not available:
        parser.set_defaults(no_watch=True)
        return
    parser.add_argument(
        "--no-watch",
        action="store_true",
        help="serve the index as it is; by default the index's folders are watched while "
        "this runs and every saved change is indexed (one line on stderr per batch)",
    )


class _Hooks:
    def __init__(
        self,
        data_dir_from: DataDirFrom,
        embedder_from: EmbedderFrom,
        keep_fresh: KeepFreshFactory | None = None,
    ) -> None:
        self.data_dir_from = data_dir_from
        self.embedder_from = embedder_from
        self.keep_fresh = keep_fresh

    def _fresh(
        self, args: argparse.Namespace, data_dir: Path, embedder: Callable[[], Embedder]
    ) -> KeepFresh | None:
        if self.keep_fresh is None or args.no_watch:
            return None
        return self.keep_fresh(data_dir, embedder, _say)

    def serve(self, args: argparse.Namespace) -> int:
        from engine.serve.http_api import ServeConfig, make_server
        from engine.serve.token import check_token, load_or_create_token, token_path

        if not 0 <= args.port <= 65535:
            raise KenningError(f"--port must be between 0 and 65535, got {args.port}")
        if args.max_batch < 1 or args.max_body_mb <= 0:
            raise KenningError("--max-batch and --max-body-mb must be positive")
        data_dir = self.data_dir_from(args)
        given = args.token or os.environ.get(ENV_TOKEN)
        token = check_token(given) if given else load_or_create_token()
        _check_port_free(args.host, args.port)  # before seconds of model loading
        from engine.priority_embedder import PriorityEmbedder

        # One query-first owner of the model for the server and the indexer keeping it fresh.
        embedder = PriorityEmbedder(
            self.embedder_from(args, default_model=_recorded_model(data_dir))
        )
        fresh = None if args.no_search else self._fresh(args, data_dir, lambda: embedder)
        config = ServeConfig(
            token=token,
            host=args.host,
            port=args.port,
            max_body_bytes=int(args.max_body_mb * 2**20),
            max_batch=args.max_batch,
            allow_hosts=tuple(args.allow_host),
        )
        try:
            server = make_server(
                config,
                embedder,
                data_dir=None if args.no_search else data_dir,
                vectors=(lambda: fresh.vectors) if fresh is not None else None,
            )
        except OSError as exc:
            raise KenningError(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror}"
            ) from None

        where = "given on the command line" if given else f"stored in {token_path()}"
        _say(f"serving {embedder.model_id} ({embedder.dim} dimensions, {embedder.device})")
        _say(f"OpenAI base URL: {server.url}/v1   (POST /v1/embeddings, GET /v1/models)")
        if not args.no_search:
            _say(f"search: POST {server.url}/v1/search over {data_dir}")
        _say(f"token ({where}): {token}")
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            _say(
                f"warning: listening on {args.host}, not only this machine: anyone who can "
                "reach it and has the token can use it"
            )
        with fresh if fresh is not None else contextlib.nullcontext():
            _say("press Ctrl+C to stop")
            _serve_until_signalled(server)
        return 0

    def mcp(self, args: argparse.Namespace) -> int:
        from engine.priority_embedder import PriorityEmbedder
        from engine.serve.mcp_server import run_stdio

        data_dir = self.data_dir_from(args)
        loaded: list[Embedder] = []
        lock = threading.Lock()

        def embedder() -> Embedder:
            # Loaded at the first search (or by the indexer keeping the index fresh, on its
            # own thread) so the MCP handshake is answered at once; one query-first owner.
            with lock:
                if not loaded:
                    inner = self.embedder_from(args, default_model=_recorded_model(data_dir))
                    loaded.append(PriorityEmbedder(inner))
                return loaded[0]

        fresh = self._fresh(args, data_dir, embedder)
        if fresh is None:
            run_stdio(data_dir, embedder)
            return 0
        with fresh:
            run_stdio(data_dir, embedder, vectors=lambda: fresh.vectors)
        return 0


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The server itself binds with SO_REUSEADDR; probe the same way so a port in
        # TIME_WAIT from the last run is not reported as busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise KenningError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _serve_until_signalled(server: KenningServer) -> None:
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    server.start()
    try:
        stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _say("stopping")
        server.stop()


def _say(message: str) -> None:
    # The CLI's own voice on stderr (stdout stays free for machine-readable output).
    print(f"kenning: {message}", file=sys.stderr, flush=True)


def _recorded_model(data_dir: Path) -> str | None:
    """The model the index at ``data_dir`` was built with, so serve embeds with the same."""
    from engine.store import DB_NAME, Store

    if not (data_dir / DB_NAME).exists():
        return None
    store = Store.open(data_dir, readonly=True)
    try:
        info = store.model_info()
    finally:
        store.close()
    return info[0] if info else None


# -- used when the front end hands in nothing ------------------------------------------------


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help="index location")
    parser.add_argument("--model", default=None, help="embedding model: HF id or local folder")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 or mps")
    parser.add_argument("--dimensions", type=int, default=None, help="Matryoshka dimension")
    parser.add_argument("--server-url", default=None, help="OpenAI-compatible embedding server")
    parser.add_argument("--server-model", default=None, help="model name on that server")
    parser.add_argument("--api-key", default=None, help=f"server API key (${ENV_API_KEY})")


def _data_dir_from(args: argparse.Namespace) -> Path:
    if getattr(args, "data_dir", None):
        return Path(args.data_dir).expanduser().resolve()
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("kenning", appauthor=False))


def _embedder_from(args: argparse.Namespace, *, default_model: str | None = None) -> Embedder:
    from engine.embedders import load_embedder

    if args.server_url:
        return load_embedder(
            server_url=args.server_url,
            server_model=args.server_model or args.model or default_model,
            api_key=args.api_key or os.environ.get(ENV_API_KEY),
            dimensions=args.dimensions,
        )
    return load_embedder(
        args.model or default_model,
        device=args.device,
        dimensions=args.dimensions,
        on_notice=lambda message: _say(message),
    )

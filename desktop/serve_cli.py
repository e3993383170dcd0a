"""``kenning serve`` and ``kenning mcp``: the command-line front of :mod:`engine.serve`.

The servers themselves live in the engine (the desktop app runs the same HTTP server); what a
user types, what the terminal shows and how the model is chosen are the front end's.

Both keep the index they serve fresh while they run (``desktop.keep_fresh.FreshIndex``
watches the index's folders and indexes every saved change); ``--no-watch`` serves the index
as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.cli_common import (
    ENV_SERVE_TOKEN,
    add_common_options,
    data_dir_from,
    embedder_from,
    notice,
    recorded_model_id,
)
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
    from desktop.keep_fresh import FreshIndex
    from engine.serve.http_api import KenningServer


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` and ``mcp`` to ``kenning``'s subcommands."""

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
        help=f"bearer token clients must send (default: ${ENV_SERVE_TOKEN}, else one generated "
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
    _add_watch_option(p)
    add_common_options(p)
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser(
        "mcp",
        help="search the index from coding agents (MCP server on stdio)",
        description="Run a Model Context Protocol server on stdin/stdout with a 'search' tool.",
    )
    _add_watch_option(p)
    add_common_options(p)
    p.set_defaults(func=cmd_mcp)


def _add_watch_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-watch",
        action="store_true",
        help="serve the index as it is; by default the index's folders are watched while "
        "this runs and every saved change is indexed (one line on stderr per batch)",
    )


def _fresh(
    args: argparse.Namespace, data_dir: Path, embedder: Callable[[], Embedder]
) -> FreshIndex | None:
    if args.no_watch:
        return None
    from desktop.keep_fresh import FreshIndex

    return FreshIndex(data_dir, embedder, _say)


def cmd_serve(args: argparse.Namespace) -> int:
    from engine.serve.http_api import ServeConfig, make_server
    from engine.serve.token import check_token, load_or_create_token, token_path

    if not 0 <= args.port <= 65535:
        raise KenningError(f"--port must be between 0 and 65535, got {args.port}")
    if args.max_batch < 1 or args.max_body_mb <= 0:
        raise KenningError("--max-batch and --max-body-mb must be positive")
    data_dir = data_dir_from(args)
    given = args.token or os.environ.get(ENV_SERVE_TOKEN)
    token = check_token(given) if given else load_or_create_token()
    _check_port_free(args.host, args.port)  # before seconds of model loading
    from engine.priority_embedder import PriorityEmbedder

    # One query-first owner of the model for the server and the indexer keeping it fresh.
    embedder = PriorityEmbedder(embedder_from(args, default_model=recorded_model_id(data_dir)))
    fresh = None if args.no_search else _fresh(args, data_dir, lambda: embedder)
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
        raise KenningError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None

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


def cmd_mcp(args: argparse.Namespace) -> int:
    from engine.priority_embedder import PriorityEmbedder
    from engine.serve.mcp_server import run_stdio

    data_dir = data_dir_from(args)
    loaded: list[Embedder] = []
    lock = threading.Lock()

    def embedder() -> Embedder:
        # Loaded at the first search (or by the indexer keeping the index fresh, on its
        # own thread) so the MCP handshake is answered at once; one query-first owner.
        with lock:
            if not loaded:
                inner = embedder_from(args, default_model=recorded_model_id(data_dir))
                loaded.append(PriorityEmbedder(inner))
            return loaded[0]

    fresh = _fresh(args, data_dir, embedder)
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
    notice(message)

"""The HTTP server behind ``kenning serve`` (standard library only).

Routes::

    GET  /health            {"status": "ok", ...}      no token needed; 503 when search
                                                        cannot read the index
    GET  /v1/models         OpenAI model list           token
    GET  /v1/models/{id}    one model                   token
    POST /v1/embeddings     OpenAI embeddings           token
    POST /v1/search         Kenning search (CLI JSON)   token

Every request must carry this server's ``Host`` (and, from a browser, ``Origin``); bodies
must be JSON with a ``Content-Length`` within ``max_body_bytes``. Failures are answered in
the OpenAI error shape. ``ThreadingHTTPServer`` is enough: the model is the bottleneck and
it is shared through one :class:`~engine.priority_embedder.PriorityEmbedder`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from engine.serve.api_errors import ApiError
from engine.serve.defaults import (
    DEFAULT_BODY_TIMEOUT_S,
    DEFAULT_HOST,
    DEFAULT_LISTEN_BACKLOG,
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_CONCURRENT,
    DEFAULT_PORT,
    DEFAULT_SOCKET_TIMEOUT_S,
)
from engine.serve.embeddings_api import EmbeddingsApi
from engine.serve.search_api import SearchApi
from engine.serve.security import RequestGuard
from engine.types import Embedder

log = logging.getLogger(__name__)

# After refusing a request whose body was not read, keep reading (and dropping) what the
# client still sends for this long, up to this much, before closing: closing a socket with
# unread data makes the kernel answer with a reset, and a client still sending its body then
# gets "broken pipe" (or loses the error answer) instead of reading why it was refused.
_LINGER_S = 2.0
_LINGER_MAX_BYTES = 16 * 1024 * 1024

Handler = Callable[[Any], dict[str, object]]


@dataclass(frozen=True, slots=True)
class ServeConfig:
    token: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_batch: int = DEFAULT_MAX_BATCH
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    allow_hosts: tuple[str, ...] = ()
    socket_timeout_s: float = DEFAULT_SOCKET_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S


class KenningServer(ThreadingHTTPServer):
    """Serves ``embeddings`` (and ``search`` when given) under ``config``'s rules."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default of 5 drops a burst of connections on the floor (clients wait
    # for SYN retransmits, a second or more each).
    request_queue_size = DEFAULT_LISTEN_BACKLOG

    def __init__(
        self, config: ServeConfig, embeddings: EmbeddingsApi, search: SearchApi | None = None
    ) -> None:
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        self.config = config
        self.embeddings = embeddings
        self.search = search
        self._slots = threading.BoundedSemaphore(config.max_concurrent)
        self._thread: threading.Thread | None = None
        # Open connections with their handler threads, so stop() can end keep-alive clients
        # (the openai client pools connections) instead of answering them after a stop.
        self._conn_lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        super().__init__((config.host, config.port), _RequestHandler)
        # With port 0 the OS picked one; the Host check must know which.
        self.port = int(self.server_address[1])
        self.guard = RequestGuard.for_server(
            config.token, config.host, self.port, config.allow_hosts
        )

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        if host in ("0.0.0.0", "[::]"):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Serve on a background thread (tests, the desktop app); ``stop`` ends it."""
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.1}, name="kenning-serve"
        )
        self._thread.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        # ThreadingMixIn's own, but keeping the thread: with daemon threads it forgets them.
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="kenning-serve-request",
            daemon=True,
        )
        with self._conn_lock:
            self._connections[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Errors answering a request are logged by the handler; what reaches here is the
        # socket going away (a client hanging up, or stop() cutting it): no traceback.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop accepting, cut open connections, end every thread; True if all ended in time."""
        end = time.monotonic() + timeout
        self.shutdown()  # serve_forever has returned: nothing is accepted after this
        with self._conn_lock:
            open_now = dict(self._connections)
        for conn in open_now:
            # A handler waiting for the next request reads EOF and ends; one busy with a
            # request finishes it and finds nobody to answer. OSError: already closed.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in open_now.values():
            thread.join(max(0.0, end - time.monotonic()))
        busy = [t for t in open_now.values() if t.is_alive()]
        if busy:
            log.warning("%d request(s) still running after the server stopped", len(busy))
        self.server_close()
        if self._thread is not None:
            self._thread.join(max(0.0, end - time.monotonic()))
            self._thread = None
        if self.search is not None:
            self.search.close()
        return not busy

    def route(self, method: str, path: str) -> tuple[Handler, bool]:
        """The handler for ``method path`` and whether it needs the token."""
        routes: dict[str, dict[str, tuple[Handler, bool]]] = {
            "/health": {"GET": (lambda _: self._health(), False)},
            "/v1/models": {"GET": (lambda _: self.embeddings.models(), True)},
            "/v1/embeddings": {"POST": (self.embeddings.embed, True)},
            "/v1/search": {"POST": (self._search, True)},
        }
        if path.startswith("/v1/models/"):
            name = unquote(path.removeprefix("/v1/models/"))
            routes[path] = {"GET": (lambda _: self._model(name), True)}
        methods = routes.get(path)
        if methods is None:
            raise ApiError(404, f"no such endpoint: {path}", code="not_found")
        if method not in methods:
            raise ApiError(405, f"{path} accepts {', '.join(methods)} only")
        return methods[method]

    def try_enter(self) -> bool:
        return self._slots.acquire(blocking=False)

    def leave(self) -> None:
        self._slots.release()

    def _health(self) -> dict[str, object]:
        if self.search is None:
            return {"status": "ok"}
        return self.search.health()

    def _search(self, body: Any) -> dict[str, object]:
        if self.search is None:
            raise ApiError(404, "search is not enabled on this server", code="not_found")
        return self.search.search(body)

    def _model(self, name: str) -> dict[str, object]:
        if name not in self.embeddings.served_names:
            raise ApiError(404, f"the model {name!r} is not served here", code="model_not_found")
        return self.embeddings.models()["data"][0]  # type: ignore[index]


class _RequestHandler(BaseHTTPRequestHandler):
    server: KenningServer
    protocol_version = "HTTP/1.1"  # keep-alive: the openai client reuses connections
    server_version = "kenning"
    sys_version = ""

    def setup(self) -> None:
        # socketserver reads the per-connection timeout from the instance; typeshed calls it
        # a ClassVar.
        self.timeout = self.server.config.socket_timeout_s  # type: ignore[misc]
        self._linger = False
        super().setup()

    def finish(self) -> None:
        super().finish()
        if self._linger:
            self._drain_before_close()

    def _drain_before_close(self) -> None:
        """Half-close, then drop what the client still sends, so the answer reaches it."""
        sock: socket.socket = self.connection
        deadline = time.monotonic() + _LINGER_S
        drained = 0
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)
            while drained < _LINGER_MAX_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                sock.settimeout(left)
                data = sock.recv(65536)
                if not data:
                    break
                drained += len(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        # No CORS: a browser's preflight gets a refusal, so no page can call us.
        self._dispatch("OPTIONS")

    def _dispatch(self, method: str) -> None:
        # A body this handler does not read (any method's) would be taken for the next
        # request on a keep-alive connection, so unless it is read the connection closes.
        body_read = not self._has_body()
        entered = False
        try:
            guard = self.server.guard
            guard.check_host(self.headers.get("Host"))
            guard.check_origin(self.headers.get("Origin"))
            path = urlsplit(self.path).path.rstrip("/") or "/"
            handler, needs_token = self.server.route(method, path)
            if needs_token:
                guard.check_token(self.headers.get("Authorization"))
            body = None
            if method == "POST":
                # Read before taking a slot: a client trickling its body holds only its own
                # connection's thread, not one of the slots every other request needs.
                body = self._read_json()
                body_read = True
            entered = self.server.try_enter()
            if not entered:
                raise ApiError(503, "the server is busy; retry in a moment", code="busy")
            status, payload = 200, handler(body)
        except ApiError as exc:
            status, payload = exc.status, exc.body()
        except Exception:
            log.exception("Unexpected error answering %s %s", method, self.path)
            error = ApiError(500, "internal server error; the server log has the details")
            status, payload = error.status, error.body()
        finally:
            if entered:
                self.server.leave()
        if not body_read:
            # The unread body would be taken for the next request on this connection.
            self.close_connection = True
            self._linger = True
        self._send(status, payload)

    def _has_body(self) -> bool:
        if self.headers.get("Transfer-Encoding"):
            return True
        length = (self.headers.get("Content-Length") or "0").strip()
        return length != "0"

    def _read_json(self) -> Any:
        if self.headers.get("Transfer-Encoding"):
            raise ApiError(411, "send the body with a Content-Length, not chunked")
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            raise ApiError(411, "a Content-Length header is required")
        try:
            length = int(length_header)
        except ValueError:
            raise ApiError(400, "Content-Length is not a number") from None
        limit = self.server.config.max_body_bytes
        if length < 0:
            raise ApiError(400, "Content-Length is negative")
        if length > limit:
            raise ApiError(
                413,
                f"request body of {length} bytes is over the limit of {limit}; "
                "send smaller batches",
                code="body_too_large",
            )
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, "the body must be JSON (Content-Type: application/json)")
        raw = self._read_body(length)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"the body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        return body

    def _read_body(self, length: int) -> bytes:
        """``length`` bytes of body, all within ``body_timeout_s`` (not per read)."""
        deadline = time.monotonic() + self.server.config.body_timeout_s
        parts: list[bytes] = []
        got = 0
        sock: socket.socket = self.connection
        try:
            while got < length:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left)
                # read1: at most one recv, so the deadline is checked between trickles.
                data = self.rfile.read1(min(length - got, 65536))
                if not data:
                    raise ApiError(400, "the request body ended early")
                parts.append(data)
                got += len(data)
        except TimeoutError:
            # Whatever is still on its way would be read as the next request.
            self.close_connection = True
            raise ApiError(
                408,
                f"the request body did not arrive within {self.server.config.body_timeout_s:g} s",
                code="body_timeout",
            ) from None
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(self.timeout)
        return b"".join(parts)

    def _send(self, status: int, payload: dict[str, object]) -> None:
        try:
            raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            # Text that is not valid Unicode (a lone surrogate echoed back) is sent escaped,
            # which JSON allows, rather than leaving the client without an answer.
            raw = json.dumps(payload, ensure_ascii=True).encode("ascii")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="kenning"')
        if status == 503:
            self.send_header("Retry-After", "1")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)


def make_server(
    config: ServeConfig,
    embedder: Embedder,
    *,
    data_dir: Path | None = None,
    vectors: Callable[[], Any] | None = None,
) -> KenningServer:
    """A server for ``embedder`` (and search over ``data_dir`` when given), not yet started.

    The embedder is shared by embeddings and search through one priority lock, so a search
    query never waits behind a large embeddings batch. ``vectors``: see :class:`SearchApi`.
    """
    from engine.priority_embedder import PriorityEmbedder

    shared: Embedder = (
        embedder if isinstance(embedder, PriorityEmbedder) else PriorityEmbedder(embedder)
    )
    embeddings = EmbeddingsApi(shared, max_batch=config.max_batch)
    search = SearchApi(data_dir, lambda: shared, vectors=vectors) if data_dir is not None else None
    return KenningServer(config, embeddings, search)

"""One running app per user and data directory: a second launch brings the first forward.

The first instance listens on a :class:`QLocalServer`; a later launch connects, sends
``show`` and exits. The server name includes the user and a hash of the data directory, so
two users (or two separate indexes) never meet. ``kenning show`` and ``kenning index`` reach
the same socket without Qt (desktop/instance_client.py, which also documents the protocol).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from desktop.instance_client import INDEX, MAX_LINE, SHOW, parse_request, server_name

log = logging.getLogger(__name__)

__all__ = ["SingleInstance", "server_name"]

_SHOW = b"show\n"
_BUFFER = "kenningBuffer"  # a dynamic property of each socket: its unfinished line

IndexHandler = Callable[[list[str]], tuple[bool, str]]


class SingleInstance(QObject):
    """The local-socket handshake between a running app and a new launch.

    Signals:
        activated(): another launch asked this instance to show its window.
    """

    activated = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server: QLocalServer | None = None
        self._index_handler: IndexHandler | None = None

    def set_index_handler(self, handler: IndexHandler | None) -> None:
        """Who answers ``index`` requests (the running app): ``(ok, message)`` per request.

        Until one is set (the first-run wizard is still open), requests are refused, and
        ``kenning index`` indexes by itself.
        """
        self._index_handler = handler

    def notify_running(self, timeout_ms: int = 1000) -> bool:
        """Ask a running instance to show itself; True when one answered."""
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if not sock.waitForConnected(timeout_ms):
            return False
        sock.write(_SHOW)
        sock.waitForBytesWritten(timeout_ms)
        sock.disconnectFromServer()
        log.info("another Kenning is running; asked it to show its window")
        return True

    def listen(self) -> bool:
        """Become the running instance. False only when the socket cannot be created."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A crashed instance leaves its socket file behind; nobody answered on it
            # (notify_running came first), so it is stale and can go.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("single-instance socket unavailable: %s", server.errorString())
                return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_connection(self) -> None:
        assert self._server is not None
        while (sock := self._server.nextPendingConnection()) is not None:
            sock.readyRead.connect(self._on_ready_read)
            sock.disconnected.connect(sock.deleteLater)
            if sock.bytesAvailable():
                self._read(sock)

    def _on_ready_read(self) -> None:
        sock = self.sender()
        if isinstance(sock, QLocalSocket):
            self._read(sock)

    def _read(self, sock: QLocalSocket) -> None:
        # Requests are lines; one may arrive in pieces, so the unfinished part waits on the
        # socket itself (a dynamic property), which goes away with the socket.
        held = sock.property(_BUFFER)
        data = (bytes(held.data()) if held is not None else b"") + bytes(sock.readAll().data())
        *lines, rest = data.split(b"\n")
        if len(rest) > MAX_LINE:
            log.warning("dropping an over-long request on the single-instance socket")
            sock.abort()
            return
        sock.setProperty(_BUFFER, QByteArray(rest))
        for line in lines:
            self._handle(sock, line)

    def _handle(self, sock: QLocalSocket, line: bytes) -> None:
        try:
            command, folders = parse_request(line.decode())
        except (UnicodeDecodeError, ValueError) as exc:
            log.info("ignoring a request on the single-instance socket: %s", exc)
            self._answer(sock, False, "not understood")
            return
        if command == SHOW:
            self.activated.emit()
        elif command == INDEX:
            if self._index_handler is None:
                self._answer(sock, False, "busy: Kenning is not ready yet")
                return
            ok, message = self._index_handler(folders)
            self._answer(sock, ok, message)

    @staticmethod
    def _answer(sock: QLocalSocket, ok: bool, message: str) -> None:
        text = " ".join(message.split())  # one line, whatever the message holds
        sock.write(f"{'ok' if ok else 'error'} {text}\n".encode())
        sock.flush()

"""Talk to a running Kenning app from the command line, without importing Qt.

The app listens on a :class:`QLocalServer` (desktop/single_instance.py); on Linux and macOS
that is a Unix socket at ``$TMPDIR/<name>`` (``/tmp`` when unset), which plain ``socket``
reaches. The protocol is one line per request:

``show``
    bring the window forward (no answer; old apps did not send one).
``index {"folders": [absolute paths]}``
    add the folders to the app's index (or refresh them); answered with one line,
    ``ok <message>`` or ``error <message>``.

``kenning show`` and the ``kenning index`` hand-off use this; so could a hotkey daemon.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import logging
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SHOW = "show"
INDEX = "index"
ANSWER_TIMEOUT_S = 10.0
MAX_LINE = 1 << 20  # a request longer than this is refused (and never buffered further)


def server_name(data_dir: Path) -> str:
    """The local server's name for one user and one data directory."""
    digest = hashlib.sha256(str(Path(data_dir).absolute()).encode()).hexdigest()[:12]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    safe_user = "".join(c for c in user if c.isalnum()) or "user"
    return f"kenning-{safe_user}-{digest}"


def socket_path(name: str) -> Path:
    """Where QLocalServer puts ``name`` on Unix (QDir::tempPath() + name)."""
    return Path(os.environ.get("TMPDIR") or "/tmp") / name


@dataclass(frozen=True, slots=True)
class Answer:
    ok: bool
    message: str


def index_request(folders: list[Path]) -> str:
    return f"{INDEX} " + json.dumps({"folders": [str(f) for f in folders]}, ensure_ascii=False)


def parse_request(line: str) -> tuple[str, list[str]]:
    """``(command, folders)`` from one request line; raises ValueError for a bad one."""
    command, _, rest = line.strip().partition(" ")
    if command == SHOW:
        return SHOW, []
    if command == INDEX:
        data = json.loads(rest)
        folders = data.get("folders") if isinstance(data, dict) else None
        if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
            raise ValueError('index wants {"folders": [paths]}')
        return INDEX, folders
    raise ValueError(f"unknown request {command[:40]!r}")


def _connect(data_dir: Path, timeout: float) -> socket.socket | None:
    if sys.platform == "win32":
        return None  # a named pipe there; `kenning` itself asks the running app via Qt
    path = socket_path(server_name(data_dir))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except OSError:
        # No app (no file), or a crashed app's stale socket (connection refused).
        sock.close()
        return None
    return sock


def ask_to_show(data_dir: Path, timeout: float = 2.0) -> bool:
    """Ask a running app to bring its window forward; True when one was reached."""
    sock = _connect(data_dir, timeout)
    if sock is None:
        return False
    with sock:
        try:
            sock.sendall(f"{SHOW}\n".encode())
        except OSError:
            return False
    return True


def hand_off_folders(
    data_dir: Path, folders: list[Path], timeout: float = ANSWER_TIMEOUT_S
) -> Answer | None:
    """Give ``folders`` to a running app to index; None when no app is running."""
    sock = _connect(data_dir, timeout)
    if sock is None:
        return None
    with sock:
        try:
            sock.sendall((index_request(folders) + "\n").encode())
            reply = _read_line(sock)
        except OSError as exc:
            log.info("the running app did not answer: %s", exc)
            return None
    status, _, message = reply.partition(" ")
    if status not in ("ok", "error"):
        return None  # an app that does not know the request: index here instead
    return Answer(status == "ok", message)


def _read_line(sock: socket.socket) -> str:
    data = b""
    while b"\n" not in data and len(data) < MAX_LINE:
        block = sock.recv(4096)
        if not block:
            break
        data += block
    with contextlib.suppress(UnicodeDecodeError):
        return data.split(b"\n", 1)[0].decode()
    return ""

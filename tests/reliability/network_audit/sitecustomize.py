"""Record every network operation a Python process attempts (installed by tests).

Put this folder on ``PYTHONPATH`` and set ``KENNING_NETWORK_AUDIT`` to a file: every process
started that way (the parse worker too) appends one line per name lookup, connect, send to an
address or bind, through Python's audit hooks (PEP 578), which see every use of the socket
module whatever library makes it.
"""

from __future__ import annotations

import os
import sys

_LOG = os.environ.get("KENNING_NETWORK_AUDIT")
_EVENTS = frozenset(
    {
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.getnameinfo",
        "socket.connect",
        "socket.sendto",
        "socket.sendmsg",
        "socket.bind",
    }
)


def _audit(event: str, args: tuple) -> None:
    if event not in _EVENTS:
        return
    family = getattr(args[0], "family", None) if args else None
    if getattr(family, "name", None) == "AF_UNIX":
        # A Unix socket cannot leave the machine: `kenning index` asks the running app
        # (single-instance socket) whether to hand it the folders.
        return
    shown = args[1:] if family is not None else args  # the socket object itself says nothing
    line = f"{os.getpid()} {event} {getattr(family, 'name', family)} {shown!r}\n"
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8", "backslashreplace"))
    finally:
        os.close(fd)


if _LOG:
    sys.addaudithook(_audit)

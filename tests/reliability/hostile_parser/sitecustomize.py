"""A parser that misbehaves on request, installed into parse-worker processes by tests.

Put this folder on ``PYTHONPATH`` and set ``KENNING_HOSTILE_LOG`` to a file: in every Python
process started that way, ``indexer.chunking.chunk_file`` first looks at the content, and a
file whose first line is ``HOSTILE:<act>`` does <act> (after noting its path in the log), as a
parser meeting a hostile file would: segfault, abort, exit, spin, sleep, exhaust memory or
recurse without end. Every other file is chunked by the real function.
"""

from __future__ import annotations

import os

_LOG = os.environ.get("KENNING_HOSTILE_LOG")


def _act(act: str, ctx: object, path: object = None) -> None:
    if act == "segfault":
        import ctypes

        ctypes.string_at(0)  # reads address 0: SIGSEGV
    elif act == "abort":
        os.abort()
    elif act == "exit":
        os._exit(7)
    elif act == "spin":
        while True:  # holds the GIL: only another process can stop it
            pass
    elif act == "sleep":
        import threading

        threading.Event().wait()
    elif act == "memory":
        hoard = []
        while True:
            hoard.append(bytearray(64 * 2**20))
    elif act == "recursion":

        def nest(depth: int) -> int:
            return nest(depth + 1) + 1

        nest(0)
    elif act == "stall-once":  # a busy moment: only the first parse of the file stalls
        with open(_LOG, encoding="utf-8") as log:
            tries = sum(1 for line in log if line.split(" ", 1)[1].strip() == str(path))
        if tries <= 1:
            import threading

            threading.Event().wait()
    elif act == "count-then-spin":
        ctx.count_tokens(["the caller may cancel while this parser spins"])  # type: ignore[attr-defined]
        while True:
            pass


if _LOG:
    import indexer.chunking as _chunking

    _real_chunk_file = _chunking.chunk_file

    def _hostile_chunk_file(path, data, ctx):  # type: ignore[no-untyped-def]
        if data.startswith(b"HOSTILE:"):
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"{os.getpid()} {path}\n")
            _act(data.split(b"\n", 1)[0][len(b"HOSTILE:") :].decode(), ctx, path)
        return _real_chunk_file(path, data, ctx)

    _chunking.chunk_file = _hostile_chunk_file

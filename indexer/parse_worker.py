"""Run the chunkers in a child process, so a hostile file costs one file and never the app.

Parsers read untrusted bytes with C extensions (tree-sitter, lxml) and pure-Python libraries
that can loop or balloon on crafted input (pypdf). ``ParseWorker.chunk`` hands one file to a
long-lived worker process and waits for its chunks under a deadline that grows with the file's
size. When the worker segfaults, exits, runs out of its address-space cap or misses the
deadline, the call raises :class:`ParserFailure` with a one-line reason (the pipeline records
it and moves on) and the next call starts a fresh worker.

Token counting stays in this process: the chunkers' ``count_tokens`` calls travel back over
the pipe and are answered with the caller's own ``ChunkingContext.count_tokens``, so budgets
are exact for every embedder (local, remote, wrapped) without loading a tokenizer twice. A
file needs a handful of such round trips, a few tens of microseconds each.

The worker is a fresh interpreter running this module (``python -m indexer.parse_worker``)
with one end of a socket pair, rather than a ``multiprocessing`` child: those re-import the
caller's ``__main__`` (a script without a main guard would run again inside the worker, store
writes included) and, with ``fork``, copy the caller's threads and locks. Where there is no
interpreter to run (a frozen app) or no fd passing (Windows), ``multiprocessing``'s ``spawn``
start method stands in; the frozen launcher calls ``freeze_support`` for it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from engine.types import Chunk
from indexer.chunking import ChunkingContext, SkipFile, chunk_file

log = logging.getLogger(__name__)

# How often a wait with a cancel event looks at it: the latency of a stop during a parse.
_CANCEL_POLL_S = 0.05
# A worker that has not said "ready" by then cannot start at all (broken install).
_START_TIMEOUT_S = 60.0
# The source folder holding the ``indexer`` package, for the worker's import path.
_SOURCE_ROOT = str(Path(__file__).resolve().parent.parent)


class ParserFailure(Exception):
    """A parser crashed, hung or ran out of memory on one file; ``str(err)`` is the reason."""


class ParseTimeout(ParserFailure):
    """The parse ran past its deadline: the machine may just have been busy."""


class ParseCancelled(Exception):
    """The caller's cancel event was set while the file was being parsed."""


class WorkerUnavailable(Exception):
    """No worker process could be started at all; parsing in-process is the fallback."""


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds for one file: wall time ``base_s + per_mb_s * size in MB``, and memory."""

    base_s: float = 10.0
    per_mb_s: float = 1.0
    # The worker's address-space cap (RLIMIT_AS, where the platform has it); None: no cap.
    memory_bytes: int | None = 2 * 1024**3

    def deadline_for(self, size: int) -> float:
        return self.base_s + self.per_mb_s * size / 2**20


class ParseWorker:
    """``chunk_file`` in a worker process with a deadline and a memory cap.

    Use from one thread at a time (the pipeline's); :meth:`close` ends the worker.
    """

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or ParseLimits()
        self._child: _Child | None = None
        self._conn: Connection | None = None
        self.started = 0  # workers started so far (a restart after each crash or timeout)

    # ------------------------------------------------------------------ public API
    def chunk(
        self,
        path: Path,
        data: bytes,
        ctx: ChunkingContext,
        *,
        cancel: threading.Event | None = None,
        deadline_scale: float = 1.0,
    ) -> list[Chunk]:
        """``chunk_file(path, data, ctx)`` in the worker.

        Raises ``SkipFile`` as ``chunk_file`` does, :class:`ParserFailure` when the parser
        failed in any way (its exception, a crash, the memory cap), :class:`ParseTimeout` (a
        ParserFailure) when it ran past the deadline (times ``deadline_scale``),
        :class:`ParseCancelled` when ``cancel`` was set before the answer came, and
        :class:`WorkerUnavailable` when no worker process can be started.
        """
        limit = self.limits.deadline_for(len(data)) * deadline_scale
        # The clock starts once a worker is ready: starting one is no file's time.
        conn = self._send(("chunk", str(path), data, ctx.rel_path, ctx.max_tokens, limit))
        deadline = time.monotonic() + limit
        while True:
            message = self._receive(conn, deadline, limit, cancel)
            kind = message[0]
            if kind == "count":
                asked = time.monotonic()
                answer = _answer_count(ctx, message[1])
                # Counting runs here, in the caller (a lazily loaded tokenizer may load now):
                # not the parser's time, so not charged to its deadline.
                deadline += time.monotonic() - asked
                try:
                    conn.send(answer)
                except (OSError, ValueError):
                    raise self._failure(self._death_reason()) from None
            elif kind == "chunks":
                return message[1]
            elif kind == "skip":
                raise SkipFile(message[1])
            elif kind == "failed":
                if message[2]:  # the worker ends itself after running out of memory
                    self._discard()
                raise ParserFailure(message[1])
            else:
                raise self._failure(f"the parser process sent an unknown message {kind!r}")

    def close(self) -> None:
        """End the worker (the next :meth:`chunk` would start another)."""
        conn, child = self._conn, self._child
        self._conn = self._child = None
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                conn.send(("exit",))
            conn.close()
        if child is not None and child.exit_code(2.0) is None:
            child.kill()
            child.exit_code(2.0)

    @property
    def pid(self) -> int | None:
        """The running worker's process id, if one is running."""
        return self._child.pid if self._child is not None else None

    # ------------------------------------------------------------------ internals
    def _start(self) -> Connection:
        try:
            conn, child = _launch(self.limits.memory_bytes)
        except OSError as exc:
            raise WorkerUnavailable(f"cannot start the parser process: {exc}") from exc
        self._conn, self._child = conn, child
        # The worker says "ready" once it runs; dying before that means it cannot run at all,
        # which is no file's fault.
        if not conn.poll(_START_TIMEOUT_S):
            self._discard()
            raise WorkerUnavailable("the parser process did not start in time")
        try:
            hello = conn.recv()
        except (EOFError, OSError):
            reason = self._death_reason()
            self._discard()
            raise WorkerUnavailable(f"the parser process could not start: {reason}") from None
        if hello != ("ready",):
            self._discard()
            raise WorkerUnavailable(f"the parser process answered {hello!r} at start")
        self.started += 1
        log.debug("started parser worker %s", child.pid)
        return conn

    def _send(self, message: tuple[object, ...]) -> Connection:
        if self._child is not None and self._child.exit_code(0) is not None:
            # It died while idle (killed from outside): not this file's doing.
            self._discard()
        conn = self._conn or self._start()
        try:
            conn.send(message)
        except (OSError, ValueError):
            # The worker died while idle (killed from outside): one fresh start.
            self._discard()
            conn = self._start()
            conn.send(message)
        return conn

    def _receive(
        self, conn: Connection, deadline: float, limit: float, cancel: threading.Event | None
    ) -> tuple[Any, ...]:
        while True:
            if cancel is not None and cancel.is_set():
                self._discard()
                raise ParseCancelled()
            left = deadline - time.monotonic()
            if left <= 0:
                self._discard()
                raise ParseTimeout(f"parsing took longer than {limit:.0f} s (stopped)")
            # The worker's death closes its end of the socket: that wakes this wait too.
            if not wait([conn], min(left, _CANCEL_POLL_S) if cancel is not None else left):
                continue
            try:
                return conn.recv()
            except (EOFError, OSError):
                raise self._failure(self._death_reason()) from None

    def _failure(self, reason: str) -> ParserFailure:
        self._discard()
        return ParserFailure(reason)

    def _death_reason(self) -> str:
        assert self._child is not None
        code = self._child.exit_code(2.0)
        if code is None:
            return "the parser process stopped answering"
        if code < 0:
            if -code == getattr(signal, "SIGXCPU", None):
                return "the parser used too much CPU time (stopped)"
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the parser crashed ({name})"
        return f"the parser process exited with status {code}"

    def _discard(self) -> None:
        """Kill the worker (hung, crashed or no longer needed); the next call starts another."""
        conn, child = self._conn, self._child
        self._conn = self._child = None
        if child is not None:
            child.kill()
            child.exit_code(2.0)
        if conn is not None:
            conn.close()


def _answer_count(ctx: ChunkingContext, texts: list[str]) -> tuple[str, object]:
    try:
        return "counts", list(ctx.count_tokens(texts))
    except Exception as exc:  # the worker raises it inside the chunker, as in-process
        return "count_error", f"{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------- launching
class _Child:
    """A worker process started either way, seen the same way."""

    def __init__(self, handle: subprocess.Popen[bytes] | Any) -> None:
        self._handle = handle

    @property
    def pid(self) -> int:
        return int(self._handle.pid)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self._handle.kill()

    def exit_code(self, timeout: float) -> int | None:
        """The exit status (negative: the signal that ended it) or None if still running."""
        if isinstance(self._handle, subprocess.Popen):
            try:
                return self._handle.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        self._handle.join(timeout)
        return self._handle.exitcode


def _launch(memory_bytes: int | None) -> tuple[Connection, _Child]:
    if os.name != "posix" or getattr(sys, "frozen", False):
        ctx = multiprocessing.get_context("spawn")
        ours, theirs = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=_serve, args=(theirs, memory_bytes), name="kenning-parser", daemon=True
        )
        process.start()
        theirs.close()  # only the worker may hold its end: its death is then end-of-file here
        return ours, _Child(process)
    ours_sock, theirs_sock = socket.socketpair()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_SOURCE_ROOT, env.get("PYTHONPATH")) if p)
    # numpy comes in with engine.types; its BLAS threads would only cost address space.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    fd = theirs_sock.fileno()
    command = [sys.executable, "-m", "indexer.parse_worker", str(fd), str(memory_bytes or 0)]
    try:
        popen = subprocess.Popen(
            command,
            pass_fds=(fd,),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # stdout may be the CLI's JSON output
            close_fds=True,
        )
    finally:
        theirs_sock.close()
    return Connection(ours_sock.detach()), _Child(popen)


# ---------------------------------------------------------------------- worker side
def _serve(conn: Connection, memory_bytes: int | None) -> None:
    """The worker's loop: one request at a time until the caller goes away."""
    # Ctrl+C in a terminal reaches the whole process group; the caller decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_resources(memory_bytes)
    _warm_up()
    try:
        conn.send(("ready",))
    except (OSError, ValueError):
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the caller closed the pipe or died
        if message[0] != "chunk":
            return
        _, path, data, rel_path, max_tokens, limit_s = message
        _arm_cpu_backstop(limit_s)
        ctx = ChunkingContext(
            rel_path=rel_path, max_tokens=max_tokens, count_tokens=_RemoteCounter(conn)
        )
        try:
            answer: tuple[object, ...] = ("chunks", chunk_file(Path(path), data, ctx))
        except SkipFile as skip:
            answer = ("skip", skip.reason)
        except MemoryError:
            answer = ("failed", _memory_reason(memory_bytes), True)
        except RecursionError:
            answer = ("failed", "parser error: nesting too deep (RecursionError)", False)
        except _CallerGone:
            return
        except Exception as exc:
            answer = ("failed", f"parser error: {type(exc).__name__}: {exc}"[:300], False)
        del data, ctx
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return
        if answer[0] == "failed" and answer[2]:
            # After a MemoryError the heap may be fragmented or a library half-initialised:
            # a fresh worker is cheap.
            return


def _warm_up() -> None:
    """Import the chunkers before saying "ready", so the first file's deadline pays no imports."""
    import importlib

    for name in ("indexer.text_decoding", "indexer.chunk_docs", "indexer.chunk_lines",
                 "indexer.languages", "indexer.chunk_code"):  # fmt: skip
        try:
            importlib.import_module(name)
        except Exception:  # a broken optional parser shows on the file that needs it
            log.debug("warming up %s failed", name, exc_info=True)


class _CallerGone(Exception):
    pass


class _RemoteCounter:
    """``count_tokens`` answered by the caller's embedder over the pipe."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def __call__(self, texts: list[str]) -> list[int]:
        try:
            self._conn.send(("count", list(texts)))
            kind, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise _CallerGone() from exc
        if kind != "counts":
            raise RuntimeError(f"count_tokens failed: {value}")
        return value


def _limit_resources(memory_bytes: int | None) -> None:
    try:
        import resource
    except ImportError:  # Windows: the deadline still applies
        return
    # A crash must not leave core files in the user's folders.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        soft = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        except (ValueError, OSError) as exc:
            log.debug("cannot cap the parser's memory: %s", exc)


def _arm_cpu_backstop(limit_s: float) -> None:
    """Let the kernel end a runaway parse even if the caller is gone (SIGKILLed, hung).

    The caller's deadline normally stops a parse first; this soft CPU limit, a generous
    multiple of it, is the backstop for a worker whose caller cannot.
    """
    try:
        import resource
    except ImportError:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + 3 * limit_s + 30) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _memory_reason(memory_bytes: int | None) -> str:
    if not memory_bytes:
        return "the parser ran out of memory"
    return f"the parser ran out of memory (capped at {memory_bytes / 2**30:.1f} GiB)"


def _main(argv: list[str]) -> int:
    fd, memory = int(argv[0]), int(argv[1])
    _serve(Connection(fd), memory or None)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

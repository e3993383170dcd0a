"""``kenning watch PATH...``: index the folders, then keep the index fresh until Ctrl+C.

The same :class:`~indexer.service.IndexService` the desktop app runs, with a console
listener: a progress bar while the folders are caught up, then one line per batch of
changes. Ctrl+C (or SIGTERM) stops it cleanly: the current file is finished, the vector
index is saved, and the exit status is 0.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from desktop.keep_fresh import ConsoleReporter, say_on_stderr
from engine.errors import IndexDamagedError, KenningError

STOP_TIMEOUT_S = 60.0  # a long embedding batch finishes before the index is saved


def register_cli(sub: argparse._SubParsersAction) -> None:
    from desktop.cli_common import add_common_options

    p = sub.add_parser(
        "watch",
        help="index folders, then keep the index fresh until Ctrl+C",
        description="Index the folders (like `kenning index`), then watch them and index "
        "every change as it is saved, until Ctrl+C. Other folders already in the index are "
        "kept but not watched. Prints a progress bar while catching up (on a terminal), "
        "then one line per batch of changes.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="folders to index and watch")
    add_common_options(p)
    p.set_defaults(func=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    from desktop.cli import _ProgressBar, data_dir_from, embedder_from, recorded_model
    from indexer.service import IndexService

    roots = [Path(p).expanduser() for p in args.paths]
    for root in roots:  # fail before loading a model
        if not root.exists():
            raise KenningError(f"no such folder: {root}")
        if not root.is_dir():
            raise KenningError(f"not a folder: {root} (watch the folder that contains it)")
    data_dir = data_dir_from(args)
    try:
        previous = recorded_model(data_dir)
    except IndexDamagedError:
        previous = None  # the pipeline moves the damaged database aside and says so
    # Not lazy (as `kenning index` is): watch needs the model for the first change anyway,
    # and loading it up front keeps model loading out of the first file's parse deadline.
    embedder = embedder_from(args, default_model=previous[0] if previous else None)
    reporter = ConsoleReporter(say_on_stderr, progress=_ProgressBar())
    service = IndexService(
        data_dir,
        lambda: embedder,
        roots,
        listener=reporter,
        adopt_indexed=False,
    )
    stop = threading.Event()
    previous_handlers = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        service.start()
        said_watching = False
        while not stop.is_set():
            if reporter.failed.is_set():
                raise KenningError(reporter.failure or "the index could not be opened")
            if reporter.caught_up.is_set() and not said_watching:
                said_watching = True
                where = ", ".join(str(r) for r in service.roots)
                say_on_stderr(f"watching {where} for changes; press Ctrl+C to stop")
            # A short wait: Python runs the signal handler on this (the main) thread.
            stop.wait(0.2)
        say_on_stderr("stopping…")
    finally:
        ended = service.stop(STOP_TIMEOUT_S)
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
    if not ended:
        raise KenningError("the indexer did not stop in time; run `kenning index` to finish")
    say_on_stderr(f"stopped; {reporter.batches} batches of changes indexed")
    return 0

"""Live watching: watchdog observers on every root, debounced into batches of changed paths.

Events that name an excluded path (``.git/``, ``node_modules/``, secrets, the data dir) are
dropped as they arrive, and excluded directories are not even given an inotify watch, so a
repository's object store does not use up the user's watch budget. Running out of watches
(or the kernel's event queue overflowing) is told to the user once per folder, with the
limit to raise, and that folder is then rescanned periodically instead.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from indexer.debounce import DEFAULT_MAX_DELAY_S, DEFAULT_QUIET_S, Debouncer
from indexer.discovery import IGNORE_FILES, DiscoveryOptions, exclusion_reason

log = logging.getLogger(__name__)

DEFAULT_RESCAN_INTERVAL_S = 300.0
# Only what can change a file's content or existence: the indexer reading every file must not
# flood the kernel queue with open/close events (the mask is set from this list).
_EVENT_FILTER: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
# A change to one of these changes what is excluded below it: the whole folder is rescanned.
_IGNORE_FILE_NAMES = frozenset(IGNORE_FILES)


class FolderWatcher:
    """Watches ``roots`` recursively and calls ``on_changes`` with batches of changed paths.

    A batch holds files and folders that were created, modified or deleted; a move gives both
    its old and its new path. ``on_changes``, ``on_problem`` and ``rescan`` are called from
    the watcher's own threads: keep them short (hand the work to a queue).

    ``rescan(root)`` is called for a root that cannot be watched completely (watch limit,
    unreadable folder), at once and then every ``rescan_interval_s``, and once for every root
    after the kernel dropped events (queue overflow) or an ignore file changed. A root that is
    missing (deleted, or a disk not mounted) is rescanned once, so its owner can tell the user,
    and watched again (and rescanned) once it is back.
    """

    def __init__(
        self,
        roots: Iterable[Path],
        on_changes: Callable[[set[Path]], None],
        *,
        on_problem: Callable[[str], None],
        rescan: Callable[[Path], None],
        rescan_interval_s: float = DEFAULT_RESCAN_INTERVAL_S,
        options: DiscoveryOptions | None = None,
        data_dir: Path | None = None,
        quiet_s: float = DEFAULT_QUIET_S,
        max_delay_s: float = DEFAULT_MAX_DELAY_S,
    ) -> None:
        self._roots = sorted({Path(r).absolute() for r in roots}, key=lambda p: -len(p.parts))
        self._on_changes = on_changes
        self._on_problem = on_problem
        self._rescan = rescan
        self._rescan_interval_s = rescan_interval_s
        self._options = options
        self._data_dir = Path(data_dir).absolute() if data_dir is not None else None
        self._debouncer = Debouncer(
            self._hand_on, quiet_s=quiet_s, max_delay_s=max_delay_s, name="kenning-watch-debounce"
        )
        self._cond = threading.Condition()
        self._unwatched: set[Path] = set()  # roots on periodic rescans
        self._gone: set[Path] = set()  # roots whose folder is missing: watched again when back
        self._watches: dict[Path, ObservedWatch] = {}
        self._handler = _Handler(self)
        self._rescan_now: set[Path] = set()
        self._problems: list[str] = []
        self._told: set[tuple[Path, str]] = set()  # (root, errno name) already reported
        self._told_overflow = False
        self._stopping = False
        self._stopped = False
        self._started = False
        self._lifecycle = threading.Lock()
        self._observer: BaseObserver | None = None
        self._maintenance = threading.Thread(
            target=self._run_maintenance, name="kenning-watch-rescan", daemon=True
        )

    @property
    def roots(self) -> list[Path]:
        return sorted(self._roots)

    @property
    def unwatched(self) -> frozenset[Path]:
        """Roots that are (partly) not watched and are rescanned periodically instead."""
        with self._cond:
            return frozenset(self._unwatched)

    def start(self) -> None:
        """Start watching. Adding watches walks every folder, so this takes a while on big trees."""
        with self._lifecycle:
            if self._started or self._stopping:
                return
            self._started = True
            self._debouncer.start()
            self._maintenance.start()
            try:
                self._observer = _make_observer(self)
                self._observer.start()
            except OSError as err:  # no inotify instance left (EMFILE), or no inotify at all
                self._observer = None
                for root in self._roots:
                    self._cannot_watch(root, err)
                return
            for root in self._roots:
                if self._stopping:
                    break
                self._schedule(root)

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop every thread; True when all of them ended within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._stopped:
                return True
            self._stopping = True
            self._cond.notify_all()
        with self._lifecycle:
            observer = self._observer
            if observer is not None:
                observer.stop()
                observer.join(max(0.0, deadline - time.monotonic()))
            debounced = self._debouncer.stop(max(0.0, deadline - time.monotonic()))
            if self._maintenance.is_alive():
                self._maintenance.join(max(0.0, deadline - time.monotonic()))
        ended = debounced and not self._maintenance.is_alive()
        if observer is not None:
            ended = ended and not observer.is_alive()
        if ended:
            with self._cond:
                self._stopped = True
        else:
            log.warning("The folder watcher did not stop within %.1f s", timeout)
        return ended

    # -- events -------------------------------------------------------------------------------

    def _schedule(self, root: Path) -> None:
        assert self._observer is not None
        try:
            watch = self._observer.schedule(
                self._handler, str(root), recursive=True, event_filter=_EVENT_FILTER
            )
        except OSError as err:
            if err.errno == errno.ENOENT or not root.is_dir():
                self._root_gone(root)
            else:
                # ENOSPC/EMFILE were already reported by the inotify hook where there is one;
                # this covers other platforms and other reasons (no permission).
                self._cannot_watch(root, err)
            return
        self._watches[root] = watch

    def _rewatch_returned_roots(self) -> set[Path]:
        """Watch again the missing roots that are back (a remounted disk); they need a rescan."""
        with self._cond:
            candidates = [root for root in self._gone if root.is_dir()]
        if not candidates or not self._lifecycle.acquire(blocking=False):
            return set()  # stop() holds the lock: it is shutting down
        try:
            back = set()
            for root in candidates:
                if self._stopping or self._observer is None:
                    break
                old = self._watches.pop(root, None)
                if old is not None:
                    with contextlib.suppress(KeyError):
                        self._observer.unschedule(old)
                with self._cond:
                    self._gone.discard(root)
                    self._unwatched.discard(root)
                self._schedule(root)  # puts it back in _gone or _unwatched if it fails again
                log.info("Watching %s again", root)
                back.add(root)
            return back
        finally:
            self._lifecycle.release()

    def _root_of(self, path: Path) -> Path | None:
        for root in self._roots:  # deepest first, so nested roots resolve to the inner one
            if path == root or path.is_relative_to(root):
                return root
        return None

    def _relevant(self, path: Path) -> Path | None:
        """The root ``path`` belongs to when its changes matter, else None."""
        if self._data_dir is not None and path.is_relative_to(self._data_dir):
            return None
        root = self._root_of(path)
        if root is None or path == root:
            return root
        reason = exclusion_reason(path, root, self._options)
        # A secret or generated file is handed on so the indexer lists it as left out (it
        # never opens it).
        if reason is not None and reason not in ("secret file", "generated file"):
            return None
        return root

    def _on_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if event.is_directory:
            if kind not in ("deleted", "moved"):
                # A new folder's files come as events of their own (watchdog lists what is
                # already in it); handing on the folder would reconcile its whole root.
                return
            raws = [event.src_path]  # likewise for a moved folder's files at their new place
        elif kind == "moved":
            raws = [event.src_path, event.dest_path]
        else:
            raws = [event.src_path]
        changed: set[Path] = set()
        for raw in raws:
            if not raw:
                continue
            path = Path(os.fsdecode(raw))
            root = self._relevant(path)
            if root is None:
                continue
            if path == root:
                self._root_gone(root)
            elif path.name in _IGNORE_FILE_NAMES:
                self._request_rescan(root)
            changed.add(path)
        if changed:
            self._debouncer.add(changed)

    def _hand_on(self, paths: set[Path]) -> None:
        with self._cond:
            if self._stopping:
                return
        self._on_changes(paths)

    # -- problems and rescans -----------------------------------------------------------------

    def _wants_watch(self, path: bytes) -> bool:
        """False for directories that are excluded: no inotify watch is spent on them."""
        return self._relevant(Path(os.fsdecode(path))) is not None

    def _watch_failed(self, path: bytes, err: OSError) -> None:
        root = self._root_of(Path(os.fsdecode(path)))
        if root is not None:
            self._cannot_watch(root, err)

    def _overflowed(self) -> None:
        with self._cond:
            if not self._told_overflow:
                self._told_overflow = True
                self._problems.append(_overflow_message())
            self._rescan_now.update(self._roots)
            self._cond.notify_all()
        log.warning("The inotify event queue overflowed; rescanning %d folders", len(self._roots))

    def _cannot_watch(self, root: Path, err: OSError) -> None:
        kind = errno.errorcode.get(err.errno or 0, "OSERROR")
        with self._cond:
            if (root, kind) not in self._told:
                self._told.add((root, kind))
                self._problems.append(_watch_problem_message(root, err, self._rescan_interval_s))
                log.warning("Cannot watch all of %s: %s", root, err)
            if root not in self._unwatched:
                self._unwatched.add(root)
                self._rescan_now.add(root)
            self._cond.notify_all()

    def _root_gone(self, root: Path) -> None:
        # Not a problem to tell: whoever indexes the folder finds it missing on the rescan and
        # says so in its own words (and must not take its files as deleted).
        log.info("%s is gone; it is watched again once it is back", root)
        with self._cond:
            self._gone.add(root)
            self._unwatched.add(root)
            self._rescan_now.add(root)
            self._cond.notify_all()

    def _request_rescan(self, root: Path) -> None:
        with self._cond:
            self._rescan_now.add(root)
            self._cond.notify_all()

    def _run_maintenance(self) -> None:
        """Tell the user about problems and rescan what is not watched, off the event threads."""
        next_periodic = time.monotonic() + self._rescan_interval_s
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    now = time.monotonic()
                    periodic = bool(self._unwatched) and now >= next_periodic
                    if self._problems or self._rescan_now or periodic:
                        break
                    self._cond.wait(next_periodic - now if self._unwatched else None)
                problems, self._problems = self._problems, []
                due = set(self._rescan_now)
                self._rescan_now.clear()
                if periodic:
                    due |= self._unwatched - self._gone
                    next_periodic = now + self._rescan_interval_s
            if periodic:
                due |= self._rewatch_returned_roots()
            for message in problems:
                _call_safely(self._on_problem, message)
            for root in sorted(due):
                _call_safely(self._rescan, root)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher) -> None:
        self._watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            self._watcher._on_event(event)
        except Exception:
            # An exception here would end watchdog's dispatcher thread and all watching.
            log.exception("Handling the file event %r failed", event)


def _call_safely(fn: Callable[[Path], None] | Callable[[str], None], arg: object) -> None:
    try:
        fn(arg)  # type: ignore[arg-type]
    except Exception:
        log.exception("The watcher's callback %r failed", fn)


def _read_limit(name: str) -> str:
    try:
        return Path("/proc/sys/fs/inotify", name).read_text().strip()
    except OSError:
        return "?"


def _watch_problem_message(root: Path, err: OSError, interval_s: float) -> str:
    every = f"every {interval_s / 60:g} min" if interval_s >= 60 else f"every {interval_s:g} s"
    if err.errno == errno.ENOSPC:
        limit = _read_limit("max_user_watches")
        return (
            f"Cannot watch every folder in {root}: the inotify watch limit "
            f"(fs.inotify.max_user_watches = {limit}) is reached, so it is rescanned {every}; "
            "raise it with `sudo sysctl fs.inotify.max_user_watches=524288` "
            "(and a file in /etc/sysctl.d/ to keep it)."
        )
    if err.errno == errno.EMFILE:
        limit = _read_limit("max_user_instances")
        return (
            f"Cannot watch {root}: the inotify instance limit "
            f"(fs.inotify.max_user_instances = {limit}) is reached, so it is rescanned {every}; "
            "raise it with `sudo sysctl fs.inotify.max_user_instances=1024`."
        )
    reason = err.strerror or str(err)
    return f"Cannot watch {root} ({reason}), so it is rescanned {every}."


def _overflow_message() -> str:
    limit = _read_limit("max_queued_events")
    return (
        "Too many file changes at once: the inotify event queue "
        f"(fs.inotify.max_queued_events = {limit}) overflowed; rescanning the folders to catch up."
    )


def _make_observer(watcher: FolderWatcher) -> BaseObserver:
    """The platform's observer; on Linux one that reports watch failures and overflows.

    watchdog adds a recursive tree's watches itself and skips sub-folders it could not watch
    without a word, so running out of watches would go unnoticed: the hook sees each
    ``inotify_add_watch`` failure instead. It leans on watchdog 7's ``InotifyFD`` internals;
    where they are not there, the plain observer still reports a root it cannot watch.
    """
    try:
        from watchdog.observers.inotify import InotifyEmitter, InotifyObserver
        from watchdog.observers.inotify_c import InotifyEvent, InotifyFD, Mask, Watch
    except (ImportError, OSError):
        return Observer()
    if not (hasattr(InotifyFD, "_get_or_create_watch") and hasattr(InotifyFD, "handle_event")):
        log.debug("watchdog's inotify internals changed; watch failures below a root go unseen")
        return Observer()

    class ReportingInotifyFD(InotifyFD):
        def _get_or_create_watch(self, path: bytes, mask: Mask) -> Watch:
            if not watcher._wants_watch(path):
                # watchdog skips a sub-folder it cannot watch, which is what we want here.
                raise OSError(errno.EPERM, "excluded from watching")
            try:
                return super()._get_or_create_watch(path, mask)
            except OSError as err:
                if err.errno in (errno.ENOSPC, errno.EMFILE):
                    watcher._watch_failed(path, err)
                raise

        def handle_event(self, event: InotifyEvent) -> None:
            if event.is_queue_overflow:
                watcher._overflowed()
            super().handle_event(event)

    class ReportingInotifyObserver(InotifyObserver):
        def __init__(self) -> None:
            # InotifyObserver.__init__ builds its own InotifyFD; this is the same with ours.
            self._inotify_fd = ReportingInotifyFD()
            self._inotify_fd.start()
            BaseObserver.__init__(self, InotifyEmitter, inotify_fd=self._inotify_fd)

    return ReportingInotifyObserver()

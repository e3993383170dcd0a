"""The background indexer a long-running front end (the desktop app) stands on.

One worker thread owns the model and the :class:`~indexer.pipeline.Pipeline` (so the store has
one writer). It loads the model without blocking the caller, starts a :class:`FolderWatcher`,
reconciles every folder with the disk (changes made while the app was closed), then follows
the watcher's batches of changed paths.
Commands from other threads only change a little shared state under a condition; the worker
turns that state into pipeline runs, merging what piled up while it was busy.

Everything the front end hears arrives through :class:`ServiceListener`, from the worker thread.
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from engine.errors import DownloadCancelled, IndexBusy, KenningError
from engine.priority_embedder import PriorityEmbedder
from engine.types import Embedder
from engine.vector_index import VectorIndex
from indexer.debounce import DEFAULT_MAX_DELAY_S, DEFAULT_QUIET_S
from indexer.memory_trim import release_freed_memory
from indexer.pipeline import IndexOptions, IndexReport, Pipeline, Progress
from indexer.watcher import DEFAULT_RESCAN_INTERVAL_S, FolderWatcher

log = logging.getLogger(__name__)

ServiceState = Literal[
    "loading-model", "scanning", "indexing", "idle", "paused", "error", "stopped"
]
# Recorded in the store once an index of every folder has completed, so "first run" survives a
# first index that was interrupted by quitting.
_FIRST_INDEX_META = "service.first_index_done"
# How often the service tries again to open an index another process is writing.
INDEX_BUSY_RETRY_S = 10.0


class ServiceListener(Protocol):
    """What the service tells its owner. Every call comes from the service's worker thread."""

    def on_state(self, state: str) -> None:
        """One of "loading-model", "scanning", "indexing", "idle", "paused", "error", "stopped"."""

    def on_progress(self, progress: Progress) -> None: ...

    def on_download(self, done: int, total: int) -> None:
        """The model is being downloaded: ``done`` of ``total`` bytes are on disk so far.

        Called about twice a second while the files come in, in the "loading-model" state,
        and only when ``make_embedder`` takes ``on_progress``.
        """

    def on_model_ready(self, embedder: Embedder, notice: str | None) -> None:
        """The model is loaded; ``notice`` says e.g. that the offline model stands in."""

    def on_index_finished(self, report: IndexReport, first_run: bool) -> None:
        """A run ended (not when paused or stopped); ``first_run``: the first full index."""

    def on_problem(self, message: str) -> None:
        """A one-line message for the user; details are in the log."""


@dataclass(frozen=True)
class _Job:
    kind: Literal["remove", "index", "paths"]
    paths: frozenset[Path]


class IndexService:
    """Keeps the index of ``roots`` in ``data_dir`` current, on one background thread.

    ``make_embedder`` is called on the worker thread (model loading never blocks the caller).
    When it takes an ``on_notice`` keyword (as ``functools.partial(load_embedder, ...)`` does),
    the notices it gives are passed on with :meth:`ServiceListener.on_model_ready`; when it
    takes ``on_progress``, a model download it starts is reported to
    :meth:`ServiceListener.on_download` and cancelled by :meth:`stop`.

    ``adopt_indexed``: folders the index holds beyond ``roots`` are indexed and watched too
    (the app: one folder list with the CLI). ``kenning watch A`` passes False: an index that
    also holds B keeps B, but only A is watched. No folder is ever dropped unless a caller
    removed it with :meth:`set_roots`.
    """

    def __init__(
        self,
        data_dir: Path,
        make_embedder: Callable[[], Embedder],
        roots: list[Path],
        *,
        listener: ServiceListener,
        watch: bool = True,
        options: IndexOptions | None = None,
        rescan_interval_s: float = DEFAULT_RESCAN_INTERVAL_S,
        quiet_s: float = DEFAULT_QUIET_S,
        max_delay_s: float = DEFAULT_MAX_DELAY_S,
        adopt_indexed: bool = True,
    ) -> None:
        self._data_dir = Path(data_dir)
        self._adopt_indexed = adopt_indexed
        self._make_embedder = make_embedder
        self._listener = listener
        self._watch = watch
        self._options = options or IndexOptions()
        self._watcher_settings = {
            "rescan_interval_s": rescan_interval_s,
            "quiet_s": quiet_s,
            "max_delay_s": max_delay_s,
        }
        self._cond = threading.Condition()
        # Shared with other threads, guarded by _cond.
        self._roots: list[Path] = _normalise(roots)
        self._caller_roots: list[Path] = list(self._roots)  # as last given by the caller
        self._to_remove: set[Path] = set()
        # Folders a caller removed (set_roots): the only ones the index may lose.
        self._removed: set[Path] = set()
        self._to_index: set[Path] = set()
        self._changed: set[Path] = set()
        self._problems: list[str] = []
        self._restart_watcher = False
        self._retry_load = False
        self._paused = False
        self._started = False
        self._stopping = False
        self._cancel = threading.Event()
        self._watcher: FolderWatcher | None = None
        # Owned by the worker thread (read-only elsewhere).
        self._state: ServiceState = "stopped"
        self._embedder: PriorityEmbedder | None = None
        self._pipeline: Pipeline | None = None
        self._load_notices: list[str] | None = None
        # The model loaded while another process held the index (kept for the retries).
        self._busy_model: PriorityEmbedder | None = None
        self._missing_told: set[Path] = set()
        self._thread = threading.Thread(target=self._run, name="kenning-indexer", daemon=True)

    # ------------------------------------------------------------------ commands (any thread)
    def start(self) -> None:
        """Start the worker: load the model, watch the folders, reconcile them with the disk.

        Watching starts before the reconcile, so no change falls between the two. A service
        runs once: after :meth:`stop`, make a new one.
        """
        with self._cond:
            if self._started or self._stopping:
                return
            self._started = True
            self._to_index = set(self._roots)
        self._thread.start()

    def reindex_all(self) -> None:
        """Reconcile every folder with the disk (and retry loading a model that failed)."""
        with self._cond:
            self._to_index |= set(self._roots)
            self._retry_load = True
            self._cond.notify_all()

    def pause(self) -> None:
        """Stop indexing at the next safe point (between files); watching goes on."""
        with self._cond:
            self._paused = True
            self._cancel.set()
            self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def set_roots(self, roots: list[Path]) -> None:
        """Index ``roots`` from now on: new ones are indexed, dropped ones forgotten.

        Dropped means: given before (to the constructor or the last call) and not now. A
        folder the index held that the caller never named (indexed from the command line
        meanwhile) is kept: the service never drops a folder it was not told to remove.
        """
        new = _normalise(roots)
        with self._cond:
            old = set(self._roots)
            dropped = set(self._caller_roots) - set(new)
            self._caller_roots = new
            kept = [r for r in self._roots if r not in set(new) and r not in dropped]
            self._roots = [*new, *kept]
            roots_now = set(self._roots)
            self._to_remove = (self._to_remove | dropped) - set(new)
            self._removed = (self._removed | dropped) - set(new)
            self._to_index = (self._to_index & roots_now) | (roots_now - old)
            self._changed = {p for p in self._changed if _under_any(p, self._roots)}
            self._restart_watcher = True
            self._retry_load = True
            self._cancel.set()  # the current run may be over a folder that was just dropped
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> bool:
        """Cancel the current run, stop watching, end the worker; True if all ended in time."""
        deadline = _Deadline(timeout)
        with self._cond:
            self._stopping = True
            self._cancel.set()
            watcher = self._watcher
            self._cond.notify_all()
        watched = watcher.stop(deadline.left()) if watcher is not None else True
        if self._thread.is_alive():
            self._thread.join(deadline.left())
        ended = watched and not self._thread.is_alive()
        if not ended:
            log.warning("The indexer did not stop within %.1f s", timeout)
        return ended

    # ------------------------------------------------------------------------- properties
    @property
    def embedder(self) -> Embedder | None:
        """The shared, query-first embedder once the model is loaded."""
        return self._embedder

    @property
    def vectors(self) -> VectorIndex | None:
        """The live vector index now (it is replaced on a recovery: a searcher should be given
        the service itself, a :class:`~engine.index_files.VectorSource`)."""
        return self.current_vectors()

    def current_vectors(self) -> VectorIndex | None:
        """The vector index of the store in place at this moment (any thread)."""
        pipeline = self._pipeline
        return pipeline.files.current_vectors() if pipeline is not None else None

    @property
    def state(self) -> ServiceState:
        return self._state

    @property
    def roots(self) -> list[Path]:
        with self._cond:
            return list(self._roots)

    @property
    def paused(self) -> bool:
        with self._cond:
            return self._paused

    # ------------------------------------------------------------ watcher callbacks (its threads)
    def _on_changes(self, paths: set[Path]) -> None:
        with self._cond:
            self._changed |= paths
            self._cond.notify_all()

    def _on_watch_problem(self, message: str) -> None:
        with self._cond:
            self._problems.append(message)
            self._cond.notify_all()

    def _on_rescan(self, root: Path) -> None:
        with self._cond:
            if root in self._roots:
                self._to_index.add(root)
                self._cond.notify_all()

    # ----------------------------------------------------------------------- worker thread
    def _run(self) -> None:
        try:
            self._load()
            while self._step():
                pass
        except Exception as exc:  # a bug in the loop itself: say so rather than die silently
            self._report("The indexer stopped after an unexpected error", exc)
        finally:
            self._shut_down()

    def _step(self) -> bool:
        """Do one thing: deliver problems, change state, load, run a job, or save. False: stop."""
        action, job = self._next_action()
        if action == "stop":
            return False
        if action == "problems":
            for message in job:  # type: ignore[attr-defined]
                self._call("on_problem", message)
        elif action == "paused":
            self._set_state("paused")
        elif action == "idle":
            self._set_state("idle")
        elif action == "load":
            self._load()
        elif action == "watch":
            self._restart_watching()
        elif action == "save":
            self._save_if_due()
        elif action == "job":
            assert isinstance(job, _Job)
            self._run_job(job)
        return True

    def _next_action(self) -> tuple[str, object]:
        with self._cond:
            while True:
                if self._stopping:
                    return "stop", None
                if self._problems:
                    problems, self._problems = self._problems, []
                    return "problems", problems
                if self._restart_watcher:  # watching goes on while paused
                    self._restart_watcher = False
                    return "watch", None
                if self._paused:
                    if self._state != "paused":
                        return "paused", None
                    self._cond.wait()
                    continue
                if self._pipeline is None:
                    if self._retry_load:
                        self._retry_load = False
                        return "load", None
                    if self._busy_model is not None:
                        # Another process writes the index: try again now and then.
                        if not self._cond.wait(INDEX_BUSY_RETRY_S):
                            self._retry_load = True
                        continue
                    self._cond.wait()
                    continue
                self._retry_load = False
                job = self._take_job()
                if job is not None:
                    self._cancel = threading.Event()
                    return "job", job
                if self._state not in ("idle", "error"):
                    return "idle", None
                dirty = self._pipeline.vectors.dirty
                timeout = self._options.save_interval_s if dirty else None
                if not self._cond.wait(timeout) and dirty:
                    return "save", None

    def _take_job(self) -> _Job | None:
        """The next run, merging everything of its kind that is waiting. Called under _cond."""
        if self._to_remove:
            job = _Job("remove", frozenset(self._to_remove))
            self._to_remove.clear()
            return job
        if self._to_index:
            roots = frozenset(self._to_index)
            self._to_index.clear()
            # A reconcile of a root sees every change below it that happened before it starts.
            self._changed = {p for p in self._changed if not _under_any(p, roots)}
            return _Job("index", roots)
        if self._changed:
            job = _Job("paths", frozenset(self._changed))
            self._changed.clear()
            return job
        return None

    def _requeue(self, job: _Job) -> None:
        """Put back a run that was cancelled by pause or set_roots, to finish it later."""
        with self._cond:
            if job.kind == "index":
                self._to_index |= job.paths & set(self._roots)
            elif job.kind == "paths":
                self._changed |= {p for p in job.paths if _under_any(p, self._roots)}

    def _load(self) -> None:
        self._set_state("loading-model")
        self._load_notices = []
        context = "Cannot load the embedding model"
        try:
            # A retry after "index busy" keeps the model it loaded (seconds to load).
            embedder = self._busy_model or PriorityEmbedder(self._call_make_embedder())
            context = "Cannot open the index"
            pipeline = Pipeline(
                self._data_dir,
                embedder,
                options=self._options,
                on_notice=self._on_notice,
                what="the Kenning app",
            )
        except DownloadCancelled:
            self._load_notices = None
            log.info("model download cancelled")
            return
        except IndexBusy as exc:
            self._load_notices = None
            told, self._busy_model = self._busy_model is not None, embedder
            if not told:
                self._report("Indexing waits", exc)
            else:
                self._set_state("error")
            return
        except Exception as exc:
            self._load_notices = None
            self._busy_model = None
            self._report(context, exc)
            return
        self._busy_model = None
        notices, self._load_notices = self._load_notices, None
        with self._cond:
            self._embedder = embedder
            self._pipeline = pipeline
            known = {Path(p) for _, p in pipeline.store.folders()}
            # The index's folders are one list with the CLI's: a folder indexed there (or by
            # an earlier session) is kept, watched and reconciled; only what a caller removed
            # through set_roots goes.
            self._to_remove |= known & self._removed
            extra = sorted(known - set(self._roots) - self._removed)
            if extra and self._adopt_indexed:
                log.info("also indexing the folders already in the index: %s", extra)
                self._roots = [*self._roots, *extra]
                self._to_index |= set(extra)
            self._restart_watcher = self._watch
        self._call("on_model_ready", embedder, " ".join(notices) or None)

    def _on_notice(self, message: str) -> None:
        """Notices while loading go with on_model_ready; later ones are problems to tell."""
        if self._load_notices is not None:
            self._load_notices.append(message)
        else:
            self._on_watch_problem(message)

    def _call_make_embedder(self) -> Embedder:
        """``make_embedder`` with the callbacks it takes (``on_notice``, ``on_progress``)."""
        try:
            takes = set(inspect.signature(self._make_embedder).parameters)
        except (TypeError, ValueError):  # builtins and some callables have no signature
            takes = set()
        hooks = {"on_notice": self._on_notice, "on_progress": self._on_download_progress}
        return self._make_embedder(**{k: v for k, v in hooks.items() if k in takes})

    def _on_download_progress(self, done: int, total: int) -> None:
        """Called while the model downloads (worker thread): a stop cancels the download."""
        if self._stopping:
            raise DownloadCancelled("the model download was cancelled: Kenning is stopping")
        self._call("on_download", done, total)

    def _restart_watching(self) -> None:
        with self._cond:
            old, self._watcher = self._watcher, None
        if old is not None:
            old.stop()
        if not self._watch:
            return
        with self._cond:
            if self._stopping:
                return
            watcher = FolderWatcher(
                list(self._roots),
                self._on_changes,
                on_problem=self._on_watch_problem,
                rescan=self._on_rescan,
                options=self._options.discovery,
                data_dir=self._data_dir,
                **self._watcher_settings,
            )
            self._watcher = watcher
        self._set_state("scanning")
        try:
            watcher.start()
        except Exception as exc:
            self._report("Cannot watch the folders for changes", exc)

    def _run_job(self, job: _Job) -> None:
        pipeline = self._pipeline
        assert pipeline is not None
        cancel = self._cancel
        report: IndexReport | None = None
        first_run = False
        try:
            if job.kind == "remove":
                self._set_state("indexing")
                for root in sorted(job.paths):
                    try:
                        pipeline.remove_root(root)
                    except KenningError:
                        log.debug("%s was not in the index", root)
            elif job.kind == "index":
                self._set_state("scanning")
                report = self._reconcile(pipeline, job.paths, cancel)
                if report is not None and not report.cancelled:
                    first_run = self._mark_first_index(pipeline)
            else:
                self._set_state("indexing")
                report = pipeline.update_paths(
                    sorted(job.paths), on_progress=self._on_progress, cancel=cancel
                )
        except Exception as exc:
            what = "Updating the index" if job.kind == "paths" else "Indexing"
            self._report(f"{what} failed", exc)
            return
        finally:
            # The run's file bytes, chunks and batch buffers are freed: give the pages back
            # so the idle tray app does not keep them (issue 13, memory).
            release_freed_memory()
        if report is None:
            return
        if report.cancelled:
            self._requeue(job)
            return
        self._set_state("idle")
        self._call("on_index_finished", report, first_run)

    def _reconcile(
        self, pipeline: Pipeline, roots: frozenset[Path], cancel: threading.Event
    ) -> IndexReport | None:
        present = []
        for root in sorted(roots):
            if root.is_dir() and os.access(root, os.R_OK | os.X_OK):
                present.append(root)
                self._missing_told.discard(root)
            elif root not in self._missing_told:
                # An unplugged disk must not wipe its folder's index: skip it until it is back.
                self._missing_told.add(root)
                self._call("on_problem", f"Cannot read the folder {root}; it is skipped for now.")
        if not present:
            return None
        return pipeline.index(present, on_progress=self._on_progress, cancel=cancel)

    def _mark_first_index(self, pipeline: Pipeline) -> bool:
        with self._cond:
            every_root = not self._to_index and not self._to_remove
        if not every_root or pipeline.store.get_meta(_FIRST_INDEX_META):
            return False
        with pipeline.store.transaction():
            pipeline.store.set_meta(_FIRST_INDEX_META, "1")
        return True

    def _save_if_due(self) -> None:
        if self._pipeline is None:
            return
        try:
            self._pipeline.save_if_due()
        except Exception as exc:
            self._report("Saving the vector index failed", exc)

    def _on_progress(self, progress: Progress) -> None:
        if progress.phase == "scanning":
            self._set_state("scanning")
        elif progress.phase in ("indexing", "saving"):
            self._set_state("indexing")
        self._call("on_progress", progress)

    def _shut_down(self) -> None:
        with self._cond:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
        if self._pipeline is not None:
            try:
                self._pipeline.close()
            except Exception as exc:
                self._report("Saving the index on exit failed", exc)
        self._set_state("stopped")

    # ------------------------------------------------------------------------------ helpers
    def _set_state(self, state: ServiceState) -> None:
        if state != self._state:
            self._state = state
            self._call("on_state", state)

    def _report(self, context: str, exc: BaseException) -> None:
        log.error("%s", context, exc_info=exc)
        self._set_state("error")
        self._call("on_problem", one_line(context, exc))

    def _call(self, name: str, *args: object) -> None:
        try:
            getattr(self._listener, name)(*args)
        except Exception:
            log.exception("The service listener's %s failed", name)


def one_line(context: str, exc: BaseException) -> str:
    """``context: reason`` on one line; a KenningError's message is already meant for users."""
    reason = str(exc) if isinstance(exc, KenningError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(f"{context}: {reason}".split())
    return text if len(text) <= 300 else text[:299] + "…"


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())


def _normalise(roots: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(Path(r).expanduser().resolve() for r in roots))


def _under_any(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in roots)

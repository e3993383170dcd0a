"""The incremental indexing pipeline: discover -> chunk -> embed (cache misses) -> store.

``Pipeline`` orchestrates; the parts live beside it: ``index_run`` (options, progress,
reports, one call's bookkeeping), ``file_snapshot`` (reading a file race-safely, chunking
it, recording every file left out) and ``group_embedding`` (cache lookup, model batches,
one transaction per group of files). A file is re-read only when its size or mtime changed,
and re-chunked only when its content hash did; chunks whose text was embedded before (same
model, dimension and text) reuse the stored vector.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from engine.errors import KenningError, ModelMismatchError
from engine.index_files import IndexFiles
from engine.store import FileRecord, Store, is_damage
from engine.types import Chunk, Embedder
from engine.vector_index import VectorIndex
from indexer.chunking import CHUNKER_VERSION, ChunkingContext, chunk_file
from indexer.discovery import RootUnavailableError, SkippedPath, discover
from indexer.file_rules import record_rules, rules_changed
from indexer.file_snapshot import FileSnapshots, db_path, is_unchanged
from indexer.group_embedding import GroupEmbedding
from indexer.index_run import (
    DEFAULT_CHUNK_TOKENS,
    IndexOptions,
    IndexReport,
    IndexRun,
    Progress,
    ProgressCallback,
    WorkItem,
)
from indexer.parse_worker import ParseWorker, WorkerUnavailable
from indexer.retry_policy import deadline_scale, parse_timeouts_so_far

# Re-exported: callers import these from here.
__all__ = [
    "DEFAULT_CHUNK_TOKENS",
    "IndexOptions",
    "IndexReport",
    "Pipeline",
    "Progress",
    "ProgressCallback",
]

log = logging.getLogger(__name__)


class Pipeline:
    """Indexes folders into one data directory. Use from one thread at a time."""

    def __init__(
        self,
        data_dir: Path,
        embedder: Embedder,
        *,
        options: IndexOptions | None = None,
        on_notice: Callable[[str], None] | None = None,
        what: str = "indexer",
    ) -> None:
        """``what`` names this writer to a second one that finds the index taken (raised as
        :class:`~engine.errors.IndexBusy`)."""
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.options = _with_data_dir_skipped(options or IndexOptions(), self.data_dir)
        self._notice = on_notice or (lambda msg: log.warning("%s", msg))
        self.token_budget = max(32, min(embedder.max_tokens, self.options.chunk_tokens))
        self.files = IndexFiles(self.data_dir, what=what, on_notice=self._notice)
        # The next model's index while a model switch is under way (see _prepare_model).
        self._switch: IndexFiles | None = None
        self._nested_noticed: set[Path] = set()
        self._snapshots = FileSnapshots(lambda: self.store, self.options.discovery, self._chunk)
        self._groups = GroupEmbedding(embedder, self.options, self._target)
        try:
            try:
                self._prepare_model()
            except sqlite3.DatabaseError as exc:
                if not is_damage(exc):
                    raise
                self._replace_damaged_store(exc)
        except BaseException:
            self._close_files()
            raise
        self._parser = (
            ParseWorker(self.options.parse_limits) if self.options.isolate_parsers else None
        )
        self._last_save = time.monotonic()

    def _target(self) -> IndexFiles:
        """The index files this pipeline writes: during a model switch, the next model's."""
        return self._switch or self.files

    @property
    def store(self) -> Store:
        """The store this pipeline writes (a recovery or a completed model switch replaces
        it: never keep it across calls). During a model switch, the next model's."""
        return self._target().store

    @property
    def vectors(self) -> VectorIndex:
        """The vector index of the store this pipeline writes; labels are its point ids."""
        return self._target().vectors

    @property
    def switching(self) -> bool:
        """The index is moving to this pipeline's model; searches answer from the old one."""
        return self._switch is not None

    # --------------------------------------------------------------- set-up
    def _prepare_model(self) -> None:
        """Record the model and chunker, and load the vector index.

        A different model than the index's does not empty the index: the new model's index
        is built beside it (``IndexFiles.open_switch``), by the same runs that keep an index
        current, while every search answers from the index in place; the first complete run
        puts it in place in one step. A restart resumes it (every finished group is
        committed), and coming back to the index's own model cancels it, losing nothing.
        """
        model, dim = self.embedder.model_id, self.embedder.dim
        live = self.files.store
        recorded = live.model_info()
        new_model = recorded is not None and recorded != (model, dim)
        if new_model and not self.options.allow_model_change:
            assert recorded is not None  # new_model implies it; says so to the type checker
            raise ModelMismatchError(
                f"this index was built with {recorded[0]} ({recorded[1]}-dim), "
                f"not {model} ({dim}-dim)"
            )
        # A new chunker (an upgrade, or another input limit) re-chunks every file: that too
        # is built beside the index in place, so search never goes empty.
        new_chunker = live.get_meta("chunker") not in (None, self._chunker())
        if (new_model or new_chunker) and recorded is not None and live.chunk_count():
            self._begin_switch(recorded)
            return
        if self.files.switch_dir.exists():
            # Back to the index's own model: the unfinished switch is dropped (or only the
            # leftovers of one that completed just before a crash).
            if self.files.switch_pending():
                self._notice(
                    f"Cancelled the switch to another model: the index stays with {model}."
                )
            self.files.discard_switch()
        self._record_model(live)
        self.files.load_vectors(model, dim)

    def _chunker(self) -> str:
        return f"{CHUNKER_VERSION}:{self.token_budget}"

    def _record_model(self, store: Store) -> None:
        model, dim = self.embedder.model_id, self.embedder.dim
        chunker = self._chunker()
        old_chunker = store.get_meta("chunker")
        with store.transaction():
            if old_chunker is not None and old_chunker != chunker and store.chunk_count():
                self._notice("Re-indexing every file: the chunker changed.")
                store.clear_chunks()
                store.bump_generation()
            store.set_meta("model", model)
            store.set_meta("dim", str(dim))
            store.set_meta("chunker", chunker)

    def _begin_switch(self, recorded: tuple[str, int]) -> None:
        model, dim = self.embedder.model_id, self.embedder.dim
        self.files.load_vectors(*recorded)  # what searches in this process keep using
        resumed = self.files.switch_pending()
        target = self.files.open_switch()
        if target.store.model_info() not in (None, (model, dim)):
            # Left from a switch to a third model: of no use for this one.
            target.close()
            self.files.discard_switch()
            target, resumed = self.files.open_switch(), False
        self._switch = target
        self._record_model(target.store)
        if not resumed and recorded == (model, dim):
            # Same model, new chunker: every chunk text already embedded is not paid again.
            target.store.copy_vectors_from(self.files.store, model, dim)
        target.load_vectors(model, dim)
        self._notice(
            f"{'Resuming' if resumed else 'Started'} re-embedding for {model} beside the "
            f"current index; search answers from {recorded[0]} until it is complete."
        )

    def _complete_switch(self) -> None:
        target, self._switch = self._switch, None
        assert target is not None
        self.files.complete_switch(target)
        self._last_save = time.monotonic()
        log.info("the index now uses %s", self.embedder.model_id)

    def _new_run(
        self, on_progress: ProgressCallback | None, cancel: threading.Event | None
    ) -> IndexRun:
        run = IndexRun(on_progress, cancel)
        run.recheck_left_out = rules_changed(self.store)
        if self._switch is not None:
            run.progress.switching_to = self.embedder.model_id
        return run

    def _close_files(self) -> None:
        try:
            if self._switch is not None:
                self._switch.close()
        finally:
            self.files.close()

    def _replace_damaged_store(self, exc: sqlite3.DatabaseError) -> list[Path]:
        """Damage found in use: the index files' owner replaces the store; the folders to redo."""
        if self._switch is not None:
            # The next model's index is the one written, and it is only a cache of the one
            # in place: start it again rather than lose the index searches answer from.
            known = self._live_folders()
            with contextlib.suppress(Exception):
                self._switch.close()
            self._switch = None
            self.files.discard_switch()
            self._notice(f"The new model's index was damaged ({exc}); started it again.")
        else:
            known = self.files.replace_damaged(exc)
        self._prepare_model()
        return known

    def _live_folders(self) -> list[Path]:
        """The folders of the index in place that can be read now."""
        try:
            folders = [Path(p) for _, p in self.files.store.folders()]
        except sqlite3.DatabaseError:
            return []
        return [p for p in folders if p.is_dir() and os.access(p, os.R_OK | os.X_OK)]

    def close(self) -> None:
        try:
            if self._parser is not None:
                self._parser.close()
        finally:
            self._close_files()

    # ------------------------------------------------------------ public API
    def index(
        self,
        roots: Iterable[Path],
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Add ``roots`` (folders) and bring the index in line with what is on disk."""
        roots = list(roots)
        if self._switch is not None:
            # The next model's index must hold every folder before it can take over.
            roots = [*self._live_folders(), *roots]
        try:
            report = self._index(roots, on_progress, cancel)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            known = self._replace_damaged_store(exc)
            report = self._index([*known, *roots], on_progress, cancel)
        if self._switch is not None and not report.cancelled:
            self._complete_switch()
        return report

    def _index(
        self,
        roots: Iterable[Path],
        on_progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> IndexReport:
        roots = self._normalise_roots(roots)
        run = self._new_run(on_progress, cancel)
        work: list[WorkItem] = []
        for root in roots:
            folder_id = self.store.add_folder(root)
            work.extend(self._scan(root, folder_id, run))
            if run.cancelled:
                break
        run.progress.phase = "indexing"
        run.progress.files_total = len(work)
        run.emit(force=True)
        self._process(work, run)
        self._finish(run, save=True)
        complete = not run.cancelled and not run.roots_unavailable
        every_folder = {Path(p) for _, p in self.store.folders()} <= set(roots)
        if run.recheck_left_out and complete and every_folder:
            record_rules(self.store)  # every folder scanned to the end under these rules
        return run.report

    def update_paths(
        self,
        paths: Iterable[Path],
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Re-check paths that changed on disk (created, modified, deleted, moved)."""
        paths = list(paths)
        try:
            return self._update_paths(paths, on_progress, cancel)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            return self._index(self._replace_damaged_store(exc), on_progress, cancel)

    def _update_paths(
        self,
        paths: Iterable[Path],
        on_progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> IndexReport:
        run = self._new_run(on_progress, cancel)
        folders = [(fid, Path(p)) for fid, p in self.store.folders()]
        work: list[WorkItem] = []
        rescan_roots: list[Path] = []
        for raw in dict.fromkeys(Path(os.path.abspath(p)) for p in paths):
            owner = _owning_root(raw, folders)
            if owner is None:
                continue
            folder_id, root = owner
            if raw.is_dir() and not raw.is_symlink():
                rescan_roots.append(root)  # a new or moved-in directory: reconcile its root
                continue
            item = self._snapshots.check(raw, root, folder_id, run)
            if item is not None:
                work.append(item)
        run.progress.phase = "indexing"
        run.progress.files_total = len(work)
        self._process(work, run)
        self._finish(run, save=time.monotonic() - self._last_save > self.options.save_interval_s)
        for root in dict.fromkeys(rescan_roots):
            if run.cancelled:
                break
            run.report.merge(self.index([root], on_progress=on_progress, cancel=cancel))
        return run.report

    def remove_root(self, root: Path) -> None:
        path = Path(root).expanduser().resolve()
        found = False
        # During a model switch the folder goes from both indexes, or the next run of the
        # switch would bring it back from the one in place.
        for files in (f for f in (self._switch, self.files) if f is not None):
            store = files.store
            folder_id = store.folder_id(path)
            if folder_id is None:
                continue
            found = True
            store.remove_folder(folder_id)
            with store.transaction():
                store.bump_generation()
                gone = store.drop_unused_vectors()
            files.vectors.delete(gone)
            files.save_vectors()
        if not found:
            raise KenningError(f"{root} is not an indexed folder")
        self._last_save = time.monotonic()

    # ------------------------------------------------------------- scanning
    def _normalise_roots(self, roots: Iterable[Path]) -> list[Path]:
        out: list[Path] = []
        for raw in roots:
            root = Path(raw).expanduser()
            if not root.exists():
                raise KenningError(f"no such folder: {raw}")
            if not root.is_dir():
                raise KenningError(f"not a folder: {raw} (index the folder that contains it)")
            if not os.access(root, os.R_OK | os.X_OK):
                raise KenningError(f"cannot read folder: {raw}")
            out.append(root.resolve())
        # A root inside another indexed root would own the same files twice.
        registered = [Path(p) for _, p in self.store.folders()] + out
        kept = []
        for root in dict.fromkeys(out):
            outer = [r for r in registered if r != root and root.is_relative_to(r)]
            if outer:
                if root not in self._nested_noticed:
                    self._nested_noticed.add(root)
                    self._notice(f"{root} is already indexed as part of {outer[0]}")
                root = outer[0]
            if root not in kept:
                kept.append(root)
        return kept

    def _scan(self, root: Path, folder_id: int, run: IndexRun) -> list[WorkItem]:
        run.progress.phase = "scanning"
        known = self.store.files_in_folder(folder_id)
        seen: set[str] = set()
        skipped: list[SkippedPath] = []
        work = []
        try:
            for found in discover(root, self.options.discovery, on_skip=skipped.append):
                key = str(found.path)
                seen.add(key)
                record = known.get(key)
                if is_unchanged(record, found, recheck_left_out=run.recheck_left_out):
                    run.report.files_unchanged += 1
                    continue
                work.append((folder_id, found, record))
                if run.cancelled:
                    return work
        except RootUnavailableError as exc:
            # An unplugged disk or unmounted share is not "every file was deleted": keep what
            # the index holds for it until the folder is back or the user removes it.
            self._notice(f"{exc}; keeping its index as it is")
            run.roots_unavailable = True
            return []
        with self.store.transaction():
            for skip in skipped:
                key = db_path(skip.path)
                seen.add(key)
                self._snapshots.record_skip(folder_id, root, skip.path, skip.reason, known.get(key))
                run.report.files_skipped += 1
            gone = [rec for path, rec in known.items() if path not in seen]
            self.store.delete_files([rec.id for rec in gone])
            if gone:
                self.store.bump_generation()
        run.report.files_removed += len(gone)
        return work

    # ------------------------------------------------------------ processing
    def _process(self, work: list[WorkItem], run: IndexRun) -> None:
        self._process_pass(work, run)
        if run.timed_out and not run.cancelled:
            # A deadline is not a crash: the machine may have been busy. Once more, after the
            # other files, with a longer deadline (issue 13.5).
            again, run.timed_out = run.timed_out, []
            run.retrying_timeouts = True
            log.info("parsing %d file(s) again with a longer deadline", len(again))
            self._process_pass(again, run, count_done=False)

    def _process_pass(
        self,
        work: list[WorkItem],
        run: IndexRun,
        *,
        count_done: bool = True,
    ) -> None:
        for folder_id, found, record in work:
            if run.cancelled:
                run.report.cancelled = True
                break
            run.progress.current_path = str(found.path)
            prepared = self._snapshots.prepare(folder_id, found, record, run)
            if count_done:
                run.progress.files_done += 1
            if prepared is not None:
                run.add_to_group(prepared)
                if run.group_size >= self.options.group_chunks:
                    self._groups.commit(run.take_group(), run)
            run.emit()
        self._groups.commit(run.take_group(), run)

    def _chunk(
        self, path: Path, data: bytes, rel_path: str, record: FileRecord | None, run: IndexRun
    ) -> list[Chunk]:
        """One file's chunks, parsed in the worker process while there is one."""
        ctx = ChunkingContext(
            rel_path=rel_path,
            max_tokens=self.token_budget,
            count_tokens=self.embedder.count_tokens,
        )
        if self._parser is not None:
            scale = deadline_scale(
                parse_timeouts_so_far(record), retry_in_run=run.retrying_timeouts
            )
            try:
                return self._parser.chunk(path, data, ctx, cancel=run.cancel, deadline_scale=scale)
            except WorkerUnavailable as exc:
                self._notice(f"Parsing files in the indexer itself: {exc}.")
                self._parser = None
        return chunk_file(path, data, ctx)

    def _finish(self, run: IndexRun, *, save: bool) -> None:
        if run.cancelled:
            run.report.cancelled = True
        if not run.cancelled:
            # After a complete pass only: an interrupted one leaves vectors the next run uses.
            with self.store.transaction():
                gone = self.store.drop_unused_vectors()
            if gone:
                log.debug("dropped %d unused vectors", len(gone))
                self.vectors.delete(gone)
        if save and self.vectors.dirty:
            run.progress.phase = "saving"
            run.emit(force=True)
            self._save_vectors()
        run.progress.phase = "done"
        run.progress.current_path = None
        run.report.elapsed_s = time.monotonic() - run.started
        run.emit(force=True)

    def _save_vectors(self) -> None:
        self._target().save_vectors()
        self._last_save = time.monotonic()

    def save_if_due(self) -> None:
        """Save the vector index when it changed and the save interval has passed."""
        if self.vectors.dirty and time.monotonic() - self._last_save > self.options.save_interval_s:
            self._save_vectors()


def _with_data_dir_skipped(options: IndexOptions, data_dir: Path) -> IndexOptions:
    """The options with the index's own folder excluded from discovery (issue 14.11)."""
    own = os.path.abspath(data_dir)
    if own in options.discovery.skip_dirs:
        return options
    discovery = dataclasses.replace(
        options.discovery, skip_dirs=(*options.discovery.skip_dirs, own)
    )
    return dataclasses.replace(options, discovery=discovery)


def _owning_root(path: Path, folders: list[tuple[int, Path]]) -> tuple[int, Path] | None:
    best: tuple[int, Path] | None = None
    for folder_id, root in folders:
        if (path == root or path.is_relative_to(root)) and (
            best is None or len(root.parts) > len(best[1].parts)
        ):
            best = (folder_id, root)
    return best

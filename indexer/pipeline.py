"""The incremental indexing pipeline: discover -> chunk -> embed (cache misses) -> store.

Work is committed in groups of files: each group's chunks, embeddings and file rows land in one
transaction, so an interrupted run keeps every finished group and redoes only the rest. A file
is re-read only when its size or mtime changed, and re-chunked only when its content hash did;
chunks whose text was embedded before (same model, dimension and text) reuse the stored vector.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import KenningError, ModelMismatchError
from engine.index_files import IndexFiles
from engine.store import FileRecord, NewChunk, Store, is_damage
from engine.token_batches import plan_batches
from engine.types import Chunk, Embedder
from engine.vector_index import VectorIndex
from indexer.chunking import (
    CHUNKER_VERSION,
    DOCX_SUFFIXES,
    PDF_SUFFIXES,
    ChunkingContext,
    SkipFile,
    chunk_file,
)
from indexer.discovery import (
    DiscoveredFile,
    DiscoveryOptions,
    RootUnavailableError,
    SkippedPath,
    discover,
    exclusion_reason,
    is_opted_in,
    size_limit,
    size_reason,
)
from indexer.file_reading import (
    NOT_REGULAR_REASON,
    RACY_WINDOW_NS,
    NotRegularFile,
    is_regular,
    is_transient,
    read_unchanging,
)
from indexer.junk_files import (
    MAX_CHUNKS_PER_FILE,
    cap_note,
    generated_content_reason,
    generated_name_reason,
    repetitive_reason,
)
from indexer.parse_worker import (
    ParseCancelled,
    ParseLimits,
    ParserFailure,
    ParseTimeout,
    ParseWorker,
    WorkerUnavailable,
)
from indexer.retry_policy import (
    deadline_scale,
    parse_timeout_verdict,
    parse_timeouts_so_far,
    read_error_reason,
)
from indexer.secret_files import SECRET_REASON, content_secret_reason

log = logging.getLogger(__name__)

DEFAULT_CHUNK_TOKENS = 512
# Padded tokens per model call when the embedder does not say (a remote server).
DEFAULT_SLICE_TOKENS = 8192


@dataclass
class IndexOptions:
    discovery: DiscoveryOptions = field(default_factory=DiscoveryOptions)
    # Chunks are at most this many model tokens (and never more than the model takes).
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    # Files are embedded and committed in groups of about this many chunks. Bigger groups
    # batch similar lengths better (128: the model did 1.16x the work of one call, 512:
    # 1.04x) at the cost of coarser commits; a cancel keeps the vectors already paid for.
    group_chunks: int = 512
    # Model calls within a group: the embedder's own batches (similar lengths, at most its
    # token budget padded, or ``embed_slice_tokens`` when set), at most ``embed_slice`` texts
    # each. A cancel waits for at most one such call.
    embed_slice: int = 256
    embed_slice_tokens: int | None = None
    # While watching, the vector index is saved at most this often (and always on close).
    save_interval_s: float = 60.0
    # A different model than the index's: re-embed everything (True) or refuse (False).
    allow_model_change: bool = True
    # Parsers run in a worker process under a deadline and a memory cap, so a file that
    # crashes or hangs its parser costs that file, not the run; False parses in this process.
    isolate_parsers: bool = True
    parse_limits: ParseLimits = field(default_factory=ParseLimits)


@dataclass
class Progress:
    phase: str = "scanning"  # scanning | indexing | saving | done
    files_total: int = 0
    files_done: int = 0
    chunks_done: int = 0
    elapsed_s: float = 0.0
    files_per_s: float = 0.0
    eta_s: float | None = None
    current_path: str | None = None
    # Set while the index moves to another model: the model its vectors are being built for
    # (searches answer from the current model until then).
    switching_to: str | None = None


@dataclass
class IndexReport:
    files_indexed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    # Failed for now (a read error, a parse out of time): tried again on later runs.
    files_retrying: int = 0
    chunks_added: int = 0
    chunks_embedded: int = 0
    elapsed_s: float = 0.0
    cancelled: bool = False

    def merge(self, other: IndexReport) -> None:
        for name in (
            "files_indexed",
            "files_unchanged",
            "files_removed",
            "files_skipped",
            "files_failed",
            "files_retrying",
            "chunks_added",
            "chunks_embedded",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.cancelled = self.cancelled or other.cancelled


ProgressCallback = Callable[[Progress], None]


@dataclass
class _Prepared:
    file: DiscoveredFile
    folder_id: int
    content_hash: str
    language: str | None
    chunks: list[NewChunk]
    note: str | None = None  # shown with the file (a chunk cap)


def _text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


class _Run:
    """Bookkeeping for one call: progress, report, grouping of prepared files."""

    def __init__(
        self, on_progress: ProgressCallback | None, cancel: threading.Event | None
    ) -> None:
        self.started = time.monotonic()
        self.report = IndexReport()
        self.progress = Progress()
        self.on_progress = on_progress
        self.cancel = cancel
        self.group: list[_Prepared] = []
        self.group_size = 0
        # Files whose parse ran out of time: tried once more at the end, with more time.
        self.timed_out: list[tuple[int, DiscoveredFile, FileRecord | None]] = []
        self.retrying_timeouts = False
        self._last_emit = 0.0

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def emit(self, *, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_emit < 0.1:
            return
        self._last_emit = now
        p = self.progress
        p.elapsed_s = now - self.started
        if p.files_done and p.elapsed_s > 0:
            p.files_per_s = p.files_done / p.elapsed_s
            remaining = max(p.files_total - p.files_done, 0)
            p.eta_s = remaining / p.files_per_s if p.files_per_s > 0 else None
        try:
            self.on_progress(p)
        except Exception:  # a broken progress display must not stop indexing
            log.exception("progress callback failed")


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
        self.embedded_texts = 0  # texts sent to the model since this pipeline was created
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

    @property
    def store(self) -> Store:
        """The store this pipeline writes (a recovery or a completed model switch replaces
        it: never keep it across calls). During a model switch, the next model's."""
        return (self._switch or self.files).store

    @property
    def vectors(self) -> VectorIndex:
        """The vector index of the store this pipeline writes; labels are its point ids."""
        return (self._switch or self.files).vectors

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
    ) -> _Run:
        run = _Run(on_progress, cancel)
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
        work: list[tuple[int, DiscoveredFile, FileRecord | None]] = []
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
        work: list[tuple[int, DiscoveredFile, FileRecord | None]] = []
        rescan_roots: list[Path] = []
        for raw in dict.fromkeys(Path(os.path.abspath(p)) for p in paths):
            owner = _owning_root(raw, folders)
            if owner is None:
                continue
            folder_id, root = owner
            if raw.is_dir() and not raw.is_symlink():
                rescan_roots.append(root)  # a new or moved-in directory: reconcile its root
                continue
            item = self._check_one(raw, root, folder_id, run)
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

    def _scan(
        self, root: Path, folder_id: int, run: _Run
    ) -> list[tuple[int, DiscoveredFile, FileRecord | None]]:
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
                if _unchanged(record, found):
                    run.report.files_unchanged += 1
                    continue
                work.append((folder_id, found, record))
                if run.cancelled:
                    return work
        except RootUnavailableError as exc:
            # An unplugged disk or unmounted share is not "every file was deleted": keep what
            # the index holds for it until the folder is back or the user removes it.
            self._notice(f"{exc}; keeping its index as it is")
            return []
        with self.store.transaction():
            for skip in skipped:
                key = _db_path(skip.path)
                seen.add(key)
                self._record_skip(folder_id, root, skip.path, skip.reason, known.get(key))
                run.report.files_skipped += 1
            gone = [rec for path, rec in known.items() if path not in seen]
            self.store.delete_files([rec.id for rec in gone])
            if gone:
                self.store.bump_generation()
        run.report.files_removed += len(gone)
        return work

    def _check_one(
        self, path: Path, root: Path, folder_id: int, run: _Run
    ) -> tuple[int, DiscoveredFile, FileRecord | None] | None:
        record = self.store.file_by_path(str(path))
        reason = exclusion_reason(path, root, self.options.discovery)
        try:
            st = path.stat()
        except OSError:
            st = None
        if st is not None and reason == "generated file":
            # A lockfile, bundle or source map: listed with its reason, never opened.
            with self.store.transaction():
                why = generated_name_reason(path.name.lower()) or reason
                self._record_skip(folder_id, root, path, why, record)
                self.store.bump_generation()
            run.report.files_skipped += 1
            return None
        if st is not None and reason == "secret file":
            # Listed as left out (the health view shows it), never opened; any chunks it had
            # before it was recognised go.
            with self.store.transaction():
                self._record_skip(folder_id, root, path, SECRET_REASON, record)
                self.store.bump_generation()
            run.report.files_skipped += 1
            return None
        if st is None or reason is not None:
            # Deleted (or now excluded): forget it and anything that was below it.
            records = self.store.files_under(str(path))
            if records:
                with self.store.transaction():
                    self.store.delete_files([r.id for r in records])
                    self.store.bump_generation()
                run.report.files_removed += len(records)
            return None
        if not is_regular(st):
            # A FIFO, socket or device: opening it could block the indexer for good.
            with self.store.transaction():
                self._record_skip(folder_id, root, path, NOT_REGULAR_REASON, record)
            run.report.files_skipped += 1
            return None
        found = DiscoveredFile(
            path=path,
            root=root,
            rel_path=path.relative_to(root).as_posix(),
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
        )
        limit = size_limit(path.name, self.options.discovery)
        if found.size > limit:
            with self.store.transaction():
                self._record_skip(folder_id, root, path, size_reason(found.size, limit), record)
            run.report.files_skipped += 1
            return None
        if _unchanged(record, found):
            run.report.files_unchanged += 1
            return None
        return folder_id, found, record

    def _record_skip(
        self,
        folder_id: int,
        root: Path,
        path: Path,
        reason: str,
        record: FileRecord | None,
        *,
        read: tuple[DiscoveredFile, str] | None = None,
    ) -> None:
        """``read``: the file as read and its content hash, when the chunker skipped it."""
        if read is not None:
            size, mtime = read[0].size, read[0].mtime_ns
        else:
            try:
                st = path.stat()
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:
                size, mtime = 0, 0
        if record is not None:
            self.store.delete_chunks_of(record.id)
        self.store.record_file(
            folder_id=folder_id,
            path=_db_path(path),
            rel_path=_db_path(Path(_rel(path, root))),
            size=size,
            mtime_ns=mtime,
            hash=read[1] if read is not None else None,
            status="skipped",
            reason=reason,
        )

    # ------------------------------------------------------------ processing
    def _process(
        self, work: list[tuple[int, DiscoveredFile, FileRecord | None]], run: _Run
    ) -> None:
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
        work: list[tuple[int, DiscoveredFile, FileRecord | None]],
        run: _Run,
        *,
        count_done: bool = True,
    ) -> None:
        for folder_id, found, record in work:
            if run.cancelled:
                run.report.cancelled = True
                break
            run.progress.current_path = str(found.path)
            prepared = self._prepare(folder_id, found, record, run)
            if count_done:
                run.progress.files_done += 1
            if prepared is not None:
                run.group.append(prepared)
                run.group_size += len(prepared.chunks)
                if run.group_size >= self.options.group_chunks:
                    self._flush(run)
            run.emit()
        self._flush(run)

    def _prepare(
        self, folder_id: int, found: DiscoveredFile, record: FileRecord | None, run: _Run
    ) -> _Prepared | None:
        path = found.path
        limit = size_limit(path.name, self.options.discovery)
        try:
            read = read_unchanging(path, limit)
        except NotRegularFile:  # replaced by a FIFO, socket or device since it was found
            with self.store.transaction():
                self._record_skip(folder_id, found.root, path, NOT_REGULAR_REASON, record)
                self.store.bump_generation()
            run.report.files_skipped += 1
            return None
        except FileNotFoundError:
            if record is not None:  # vanished since the scan
                with self.store.transaction():
                    self.store.delete_files([record.id])
                    self.store.bump_generation()
                run.report.files_removed += 1
            return None
        except OSError as exc:
            if is_transient(exc):  # EACCES, EMFILE, EIO...: says nothing about the file
                reason = read_error_reason(exc.strerror or str(exc))
                self._record_failure(folder_id, found, record, reason, status="pending")
                run.report.files_retrying += 1
                return None
            self._record_failure(folder_id, found, record, f"cannot read: {exc.strerror or exc}")
            run.report.files_failed += 1
            return None
        if read is None:
            # Changed while we read it: storing this would mix old and new. The watcher (or the
            # next run) sees the final content.
            log.info("%s changed while being read; left for the next pass", path)
            return None
        data, after = read
        found = dataclasses.replace(found, size=after.st_size, mtime_ns=after.st_mtime_ns)
        content_hash = _content_hash(data)
        secret = content_secret_reason(data)
        if secret is not None:  # a private key in a file whose name says nothing
            with self.store.transaction():
                read_as = (found, content_hash)
                self._record_skip(folder_id, found.root, path, secret, record, read=read_as)
                self.store.bump_generation()
            run.report.files_skipped += 1
            return None
        # Lines and markers are looked for in text and code only: the raw bytes of a PDF or
        # DOCX are compressed streams whose "lines" say nothing (their extracted text still
        # meets the repetitive check below).
        binary_document = path.suffix.lower() in PDF_SUFFIXES | DOCX_SUFFIXES
        skip_content_check = found.opted_in or binary_document
        junk = None if skip_content_check else generated_content_reason(data)
        if junk is not None and not is_opted_in(path, found.root):
            self._skip_read(folder_id, found, path, junk, record, content_hash, run)
            return None
        # Same bytes as when it was indexed, skipped or failed: only the mtime moved (or the
        # size and mtime could not be trusted). A parser that crashed on it is not run again.
        if record is not None and record.hash == content_hash:
            with self.store.transaction():
                self.store.touch_file(record.id, found.size, found.mtime_ns)
            run.report.files_unchanged += 1
            return None
        ctx = ChunkingContext(
            rel_path=found.rel_path,
            max_tokens=self.token_budget,
            count_tokens=self.embedder.count_tokens,
        )
        try:
            chunks = self._chunk(path, data, ctx, run, record)
        except SkipFile as skip:
            with self.store.transaction():
                hashed = (found, content_hash)
                self._record_skip(folder_id, found.root, path, str(skip), record, read=hashed)
                self.store.bump_generation()
            run.report.files_skipped += 1
            return None
        except ParseCancelled:
            return None  # not recorded: the next run parses it again
        except ParseTimeout as exc:
            if not run.retrying_timeouts:
                run.timed_out.append((folder_id, found, record))
                return None
            timeouts = parse_timeouts_so_far(record)
            status, reason = parse_timeout_verdict(str(exc), timeouts)
            log.warning("parsing %s: %s", path, reason)
            # No content hash for a retry: the same bytes must be parsed again next run.
            self._record_failure(
                folder_id,
                found,
                record,
                reason,
                None if status == "pending" else content_hash,
                status=status,
            )
            if status == "pending":
                run.report.files_retrying += 1
            else:
                run.report.files_failed += 1
            return None
        except ParserFailure as exc:  # crashed, hung or out of memory in the worker
            log.warning("parsing %s failed: %s", path, exc)
            self._record_failure(folder_id, found, record, str(exc), content_hash)
            run.report.files_failed += 1
            return None
        except Exception as exc:  # a parser bug must cost one file, not the run
            log.exception("chunking %s failed", path)
            reason = f"parser error: {exc!r}"[:300]
            self._record_failure(folder_id, found, record, reason, content_hash)
            run.report.files_failed += 1
            return None
        note = None
        if not found.opted_in:
            repetitive = repetitive_reason([c.embed_text for c in chunks])
            if repetitive is not None and not is_opted_in(path, found.root):
                self._skip_read(folder_id, found, path, repetitive, record, content_hash, run)
                return None
        if len(chunks) > MAX_CHUNKS_PER_FILE:
            # A very long file costs the index its first part, not the graph's health.
            note = cap_note(len(chunks))
            chunks = chunks[:MAX_CHUNKS_PER_FILE]
        news = [NewChunk(c, _text_hash(c.embed_text)) for c in chunks]
        language = chunks[0].language if chunks else None
        return _Prepared(found, folder_id, content_hash, language, news, note)

    def _skip_read(
        self,
        folder_id: int,
        found: DiscoveredFile,
        path: Path,
        reason: str,
        record: FileRecord | None,
        content_hash: str,
        run: _Run,
    ) -> None:
        """Record a file that was read and is left out (generated, repetitive)."""
        with self.store.transaction():
            read_as = (found, content_hash)
            self._record_skip(folder_id, found.root, path, reason, record, read=read_as)
            self.store.bump_generation()
        run.report.files_skipped += 1

    def _chunk(
        self,
        path: Path,
        data: bytes,
        ctx: ChunkingContext,
        run: _Run,
        record: FileRecord | None = None,
    ) -> list[Chunk]:
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

    def _record_failure(
        self,
        folder_id: int,
        found: DiscoveredFile,
        record: FileRecord | None,
        reason: str,
        content_hash: str | None = None,
        *,
        status: str = "failed",
    ) -> None:
        """``status``: "failed" (final until the file changes) or "pending" (retried)."""
        with self.store.transaction():
            if record is not None:
                self.store.delete_chunks_of(record.id)
                self.store.bump_generation()
            self.store.record_file(
                folder_id=folder_id,
                path=str(found.path),
                rel_path=found.rel_path,
                size=found.size,
                mtime_ns=found.mtime_ns,
                hash=content_hash,
                status=status,
                reason=reason,
            )

    def _flush(self, run: _Run) -> None:
        group, run.group, run.group_size = run.group, [], 0
        if not group:
            return
        model, dim = self.embedder.model_id, self.embedder.dim
        all_chunks = [c for prepared in group for c in prepared.chunks]
        vectors = self.store.cached_vectors(model, dim, (c.text_hash for c in all_chunks))
        missing: dict[str, Chunk] = {}
        for new in all_chunks:
            if new.text_hash not in vectors:
                missing.setdefault(new.text_hash, new.chunk)
        fresh = self._embed_missing(missing, run)
        vectors.update(fresh)
        if len(fresh) < len(missing):
            # Cancelled mid-group: keep the vectors already paid for (the next run finds them
            # in the cache) but commit no file, so none is stored half-embedded.
            with self.store.transaction():
                points = self.store.put_vectors(model, dim, fresh)
            self.vectors.add(*points)
            run.report.cancelled = True
            return
        new_ids: list[int] = []
        with self.store.transaction():
            points = self.store.put_vectors(model, dim, fresh)
            for prepared in group:
                found = prepared.file
                file_id = self.store.record_file(
                    folder_id=prepared.folder_id,
                    path=str(found.path),
                    rel_path=found.rel_path,
                    size=found.size,
                    mtime_ns=found.mtime_ns,
                    hash=prepared.content_hash,
                    status="indexed",
                    reason=prepared.note,
                    language=prepared.language,
                )
                self.store.delete_chunks_of(file_id)
                ids = self.store.insert_chunks(file_id, found.rel_path, prepared.chunks)
                new_ids.extend(ids)
            self.store.bump_generation()
        # Only vectors never stored before become points; a chunk whose text (or vector) is
        # already known costs the graph nothing.
        self.vectors.add(*points)
        run.report.files_indexed += len(group)
        run.report.chunks_added += len(new_ids)
        run.report.chunks_embedded += len(fresh)
        run.progress.chunks_done += len(new_ids)

    def _embed_missing(self, missing: dict[str, Chunk], run: _Run) -> dict[str, np.ndarray]:
        """Embed in slices, so a cancel (quit, pause) waits for one slice, not a whole group."""
        dim = self.embedder.dim
        fresh: dict[str, np.ndarray] = {}
        for part in self._slices(missing):
            if run.cancelled:
                break
            texts = [missing[h].embed_text for h in part]
            embedded = self.embedder.embed_documents(texts)
            self.embedded_texts += len(texts)
            if embedded.shape != (len(texts), dim):
                raise KenningError(
                    f"the model returned vectors of shape {embedded.shape}, expected "
                    f"({len(texts)}, {dim})"
                )
            fresh.update(zip(part, embedded, strict=True))
        return fresh

    def _slices(self, missing: dict[str, Chunk]) -> list[list[str]]:
        """The texts' hashes cut into the model's own batches: similar lengths together.

        A call pads every text to its longest. 32-text slices in file order padded to 1.68x
        the real tokens (bench.pipeline_overhead); cut as the embedder would batch the whole
        group, the model does the same work as in one call per group, and a cancel still
        waits for one batch only.
        """
        hashes = list(missing)
        lengths = self.embedder.count_tokens([missing[h].embed_text for h in hashes])
        budget = (
            self.options.embed_slice_tokens
            or getattr(self.embedder, "token_budget", None)
            or DEFAULT_SLICE_TOKENS
        )
        batches = plan_batches(lengths, budget, max_batch_size=self.options.embed_slice)
        return [[hashes[i] for i in batch] for batch in batches]

    def _finish(self, run: _Run, *, save: bool) -> None:
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
        (self._switch or self.files).save_vectors()
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


def _unchanged(record: FileRecord | None, found: DiscoveredFile) -> bool:
    return (
        record is not None
        and record.status in ("indexed", "skipped", "failed")
        and record.size == found.size
        and record.mtime_ns == found.mtime_ns
        # Modified within a clock tick of being read: a later write may have kept both
        # size and mtime. Read it again (it costs a hash when nothing changed), as git does.
        and not (
            record.indexed_at is not None
            and record.mtime_ns >= record.indexed_at * 1e9 - RACY_WINDOW_NS
        )
    )


def _owning_root(path: Path, folders: list[tuple[int, Path]]) -> tuple[int, Path] | None:
    best: tuple[int, Path] | None = None
    for folder_id, root in folders:
        if (path == root or path.is_relative_to(root)) and (
            best is None or len(root.parts) > len(best[1].parts)
        ):
            best = (folder_id, root)
    return best


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _db_path(path: Path) -> str:
    """The path as stored: names that are not valid UTF-8 (surrogate escapes) are escaped."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return text

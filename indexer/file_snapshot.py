"""One file on disk, read race-safely and turned into chunks, or recorded with why not.

A file is read only when it did not change while being read (``read_unchanging``): storing
a mix of old and new bytes would index text that never existed. What was read is checked
before and after chunking (a private key, generated or repetitive content, a chunk cap), and
every file left out is recorded in the store with a one-line reason the health view and
``kenning status`` show. Files whose parse ran out of time are handed back to the run, which
tries them again with a longer deadline (issue 13.5).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from engine.store import FileRecord, NewChunk, Store
from engine.types import Chunk
from indexer.chunking import DOCX_SUFFIXES, PDF_SUFFIXES, SkipFile
from indexer.discovery import (
    DiscoveredFile,
    DiscoveryOptions,
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
from indexer.index_run import IndexRun, PreparedFile, WorkItem
from indexer.junk_files import (
    MAX_CHUNKS_PER_FILE,
    cap_note,
    generated_content_reason,
    generated_name_reason,
    repetitive_reason,
)
from indexer.parse_worker import ParseCancelled, ParserFailure, ParseTimeout
from indexer.retry_policy import (
    parse_timeout_verdict,
    parse_timeouts_so_far,
    read_error_reason,
)
from indexer.secret_files import SECRET_REASON, content_secret_reason

log = logging.getLogger(__name__)


class ChunkBytes(Protocol):
    """Chunks the bytes of one file (in a parse worker or in this process)."""

    def __call__(
        self, path: Path, data: bytes, rel_path: str, record: FileRecord | None, run: IndexRun
    ) -> list[Chunk]: ...


class FileSnapshots:
    """Checks, reads and chunks files for one pipeline, recording every file left out.

    ``store`` returns the store written now: a recovery or a model switch replaces it, so
    it is asked for on every use, never kept.
    """

    def __init__(
        self, store: Callable[[], Store], discovery: DiscoveryOptions, chunk: ChunkBytes
    ) -> None:
        self._store = store
        self._discovery = discovery
        self._chunk = chunk

    # ----------------------------------------------------------- a changed path
    def check(self, path: Path, root: Path, folder_id: int, run: IndexRun) -> WorkItem | None:
        """A path the watcher says changed: the work item to read it, or None when it is
        recorded here (deleted, excluded, skipped) or did not change."""
        store = self._store()
        record = store.file_by_path(str(path))
        reason = exclusion_reason(path, root, self._discovery)
        try:
            st = path.stat()
        except OSError:
            st = None
        if st is not None and reason == "generated file":
            # A lockfile, bundle or source map: listed with its reason, never opened.
            with store.transaction():
                why = generated_name_reason(path.name.lower()) or reason
                self.record_skip(folder_id, root, path, why, record)
                store.bump_generation()
            run.report.files_skipped += 1
            return None
        if st is not None and reason == "secret file":
            # Listed as left out (the health view shows it), never opened; any chunks it had
            # before it was recognised go.
            with store.transaction():
                self.record_skip(folder_id, root, path, SECRET_REASON, record)
                store.bump_generation()
            run.report.files_skipped += 1
            return None
        if st is None or reason is not None:
            # Deleted (or now excluded): forget it and anything that was below it.
            records = store.files_under(str(path))
            if records:
                with store.transaction():
                    store.delete_files([r.id for r in records])
                    store.bump_generation()
                run.report.files_removed += len(records)
            return None
        if not is_regular(st):
            # A FIFO, socket or device: opening it could block the indexer for good.
            with store.transaction():
                self.record_skip(folder_id, root, path, NOT_REGULAR_REASON, record)
            run.report.files_skipped += 1
            return None
        found = DiscoveredFile(
            path=path,
            root=root,
            rel_path=path.relative_to(root).as_posix(),
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
        )
        limit = size_limit(path.name, self._discovery)
        if found.size > limit:
            with store.transaction():
                self.record_skip(folder_id, root, path, size_reason(found.size, limit), record)
            run.report.files_skipped += 1
            return None
        if is_unchanged(record, found, recheck_left_out=run.recheck_left_out):
            run.report.files_unchanged += 1
            return None
        return folder_id, found, record

    # ------------------------------------------------------------ read + chunk
    def prepare(
        self, folder_id: int, found: DiscoveredFile, record: FileRecord | None, run: IndexRun
    ) -> PreparedFile | None:
        """The file read and chunked, ready for its group; None when it is recorded here
        (left out, failed, retried later) or must be read again later."""
        store = self._store()
        path = found.path
        limit = size_limit(path.name, self._discovery)
        try:
            read = read_unchanging(path, limit)
        except NotRegularFile:  # replaced by a FIFO, socket or device since it was found
            with store.transaction():
                self.record_skip(folder_id, found.root, path, NOT_REGULAR_REASON, record)
                store.bump_generation()
            run.report.files_skipped += 1
            return None
        except FileNotFoundError:
            if record is not None:  # vanished since the scan
                with store.transaction():
                    store.delete_files([record.id])
                    store.bump_generation()
                run.report.files_removed += 1
            return None
        except OSError as exc:
            if is_transient(exc):  # EACCES, EMFILE, EIO...: says nothing about the file
                reason = read_error_reason(exc.strerror or str(exc))
                self.record_failure(folder_id, found, record, reason, status="pending")
                run.report.files_retrying += 1
                return None
            self.record_failure(folder_id, found, record, f"cannot read: {exc.strerror or exc}")
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
            self._skip_read(folder_id, found, secret, record, content_hash, run)
            return None
        # Lines and markers are looked for in text and code only: the raw bytes of a PDF or
        # DOCX are compressed streams whose "lines" say nothing (their extracted text still
        # meets the repetitive check below).
        binary_document = path.suffix.lower() in PDF_SUFFIXES | DOCX_SUFFIXES
        skip_content_check = found.opted_in or binary_document
        junk = None if skip_content_check else generated_content_reason(data)
        if junk is not None and not is_opted_in(path, found.root):
            self._skip_read(folder_id, found, junk, record, content_hash, run)
            return None
        # Same bytes as when it was indexed, skipped or failed: only the mtime moved (or the
        # size and mtime could not be trusted). A parser that crashed on it is not run again,
        # unless the rules that skipped or failed it changed since.
        left_out = record is not None and record.status in ("skipped", "failed")
        if (
            record is not None
            and record.hash == content_hash
            and not (run.recheck_left_out and left_out)
        ):
            with store.transaction():
                store.touch_file(record.id, found.size, found.mtime_ns)
            run.report.files_unchanged += 1
            return None
        chunks = self._chunked(folder_id, found, data, record, content_hash, run)
        if chunks is None:
            return None
        note = None
        if not found.opted_in:
            repetitive = repetitive_reason([c.embed_text for c in chunks])
            if repetitive is not None and not is_opted_in(path, found.root):
                self._skip_read(folder_id, found, repetitive, record, content_hash, run)
                return None
        if len(chunks) > MAX_CHUNKS_PER_FILE:
            # A very long file costs the index its first part, not the graph's health.
            note = cap_note(len(chunks))
            chunks = chunks[:MAX_CHUNKS_PER_FILE]
        news = [NewChunk(c, text_hash(c.embed_text)) for c in chunks]
        language = chunks[0].language if chunks else None
        return PreparedFile(found, folder_id, content_hash, language, news, note)

    def _chunked(
        self,
        folder_id: int,
        found: DiscoveredFile,
        data: bytes,
        record: FileRecord | None,
        content_hash: str,
        run: IndexRun,
    ) -> list[Chunk] | None:
        """The file's chunks; None when the chunker left it out or failed (recorded here)."""
        path = found.path
        try:
            return self._chunk(path, data, found.rel_path, record, run)
        except SkipFile as skip:
            self._skip_read(folder_id, found, str(skip), record, content_hash, run)
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
            self.record_failure(
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
            self.record_failure(folder_id, found, record, str(exc), content_hash)
            run.report.files_failed += 1
            return None
        except Exception as exc:  # a parser bug must cost one file, not the run
            log.exception("chunking %s failed", path)
            reason = f"parser error: {exc!r}"[:300]
            self.record_failure(folder_id, found, record, reason, content_hash)
            run.report.files_failed += 1
            return None

    # ------------------------------------------------------------- recording
    def _skip_read(
        self,
        folder_id: int,
        found: DiscoveredFile,
        reason: str,
        record: FileRecord | None,
        content_hash: str,
        run: IndexRun,
    ) -> None:
        """Record a file that was read and is left out (a secret, generated, repetitive)."""
        store = self._store()
        with store.transaction():
            read_as = (found, content_hash)
            self.record_skip(folder_id, found.root, found.path, reason, record, read=read_as)
            store.bump_generation()
        run.report.files_skipped += 1

    def record_skip(
        self,
        folder_id: int,
        root: Path,
        path: Path,
        reason: str,
        record: FileRecord | None,
        *,
        read: tuple[DiscoveredFile, str] | None = None,
    ) -> None:
        """Record ``path`` as left out for ``reason``; the caller holds a transaction.

        ``read``: the file as read and its content hash, when it was read before the verdict.
        """
        store = self._store()
        if read is not None:
            size, mtime = read[0].size, read[0].mtime_ns
        else:
            try:
                st = path.stat()
                size, mtime = st.st_size, st.st_mtime_ns
            except OSError:
                size, mtime = 0, 0
        if record is not None:
            store.delete_chunks_of(record.id)
        store.record_file(
            folder_id=folder_id,
            path=db_path(path),
            rel_path=db_path(Path(_rel(path, root))),
            size=size,
            mtime_ns=mtime,
            hash=read[1] if read is not None else None,
            status="skipped",
            reason=reason,
        )

    def record_failure(
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
        store = self._store()
        with store.transaction():
            if record is not None:
                store.delete_chunks_of(record.id)
                store.bump_generation()
            store.record_file(
                folder_id=folder_id,
                path=str(found.path),
                rel_path=found.rel_path,
                size=found.size,
                mtime_ns=found.mtime_ns,
                hash=content_hash,
                status=status,
                reason=reason,
            )


def is_unchanged(
    record: FileRecord | None, found: DiscoveredFile, *, recheck_left_out: bool = False
) -> bool:
    """The stored row still describes the file: it need not be read again.

    ``recheck_left_out``: the skip/fail rules changed, so only an indexed row still holds.
    """
    kept = ("indexed",) if recheck_left_out else ("indexed", "skipped", "failed")
    return (
        record is not None
        and record.status in kept
        and record.size == found.size
        and record.mtime_ns == found.mtime_ns
        # Modified within a clock tick of being read: a later write may have kept both
        # size and mtime. Read it again (it costs a hash when nothing changed), as git does.
        and not (
            record.indexed_at is not None
            and record.mtime_ns >= record.indexed_at * 1e9 - RACY_WINDOW_NS
        )
    )


def text_hash(text: str) -> str:
    """The key of a chunk's vector in the embedding cache."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def db_path(path: Path) -> str:
    """The path as stored: names that are not valid UTF-8 (surrogate escapes) are escaped."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return text

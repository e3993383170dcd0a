"""What one indexing call is told, reports and keeps track of while it runs.

``IndexOptions`` configure a :class:`~indexer.pipeline.Pipeline`; ``Progress`` goes to the
caller's progress callback while a call runs and ``IndexReport`` is what it returns.
``IndexRun`` is the bookkeeping of one call (progress, report, the group of prepared files
waiting to be embedded), shared by the pipeline, the file snapshots and the group embedding.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.store import FileRecord, NewChunk
from indexer.discovery import DiscoveredFile, DiscoveryOptions
from indexer.parse_worker import ParseLimits

log = logging.getLogger(__name__)

DEFAULT_CHUNK_TOKENS = 512

# A file found to need indexing: its folder's id, the file as found, its row in the store.
WorkItem = tuple[int, DiscoveredFile, FileRecord | None]


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
class PreparedFile:
    """A file read and chunked, waiting in its group to be embedded and committed."""

    file: DiscoveredFile
    folder_id: int
    content_hash: str
    language: str | None
    chunks: list[NewChunk]
    note: str | None = None  # shown with the file (a chunk cap)


class IndexRun:
    """Bookkeeping for one call: progress, report, grouping of prepared files."""

    def __init__(
        self, on_progress: ProgressCallback | None, cancel: threading.Event | None
    ) -> None:
        self.started = time.monotonic()
        self.report = IndexReport()
        self.progress = Progress()
        self.on_progress = on_progress
        self.cancel = cancel
        self.group: list[PreparedFile] = []
        self.group_size = 0
        # Files whose parse ran out of time: tried once more at the end, with more time.
        self.timed_out: list[WorkItem] = []
        self.retrying_timeouts = False
        # The skip/fail rules changed since this index's records were decided: skipped and
        # failed files are read and decided again (``indexer.file_rules``).
        self.recheck_left_out = False
        self.roots_unavailable = False  # a folder's disk was gone: its files not re-decided
        self._last_emit = 0.0

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def add_to_group(self, prepared: PreparedFile) -> None:
        self.group.append(prepared)
        self.group_size += len(prepared.chunks)

    def take_group(self) -> list[PreparedFile]:
        """The files waiting to be embedded, leaving the group empty."""
        group, self.group, self.group_size = self.group, [], 0
        return group

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

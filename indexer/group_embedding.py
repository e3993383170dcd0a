"""Embed a group of prepared files and commit it: cache lookup, model batches, one transaction.

Chunks whose text was embedded before (same model, dimension and text) reuse the stored
vector; the rest go to the model in its own batches (similar lengths together, planned from
the token counts the chunkers recorded, so no text is tokenized again to plan them). A group's
files, chunks and new vectors land in one transaction, so an interrupted run keeps every
finished group and redoes only the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from engine.errors import KenningError
from engine.index_files import IndexFiles
from engine.token_batches import plan_batches
from engine.types import Chunk, Embedder
from indexer.index_run import IndexOptions, IndexRun, PreparedFile

log = logging.getLogger(__name__)

# Padded tokens per model call when the embedder does not say (a remote server).
DEFAULT_SLICE_TOKENS = 8192


class GroupEmbedding:
    """Embeds and commits the groups of one pipeline.

    ``target`` returns the index files written now (a recovery or a model switch replaces
    them), asked for on every group, never kept.
    """

    def __init__(
        self, embedder: Embedder, options: IndexOptions, target: Callable[[], IndexFiles]
    ) -> None:
        self._embedder = embedder
        self._options = options
        self._target = target

    def commit(self, group: list[PreparedFile], run: IndexRun) -> None:
        """Embed what the cache lacks and store the group's files and chunks in one step.

        A cancel in the middle keeps the vectors already paid for and commits no file.
        """
        if not group:
            return
        files = self._target()
        store = files.store
        model, dim = self._embedder.model_id, self._embedder.dim
        all_chunks = [c for prepared in group for c in prepared.chunks]
        vectors = store.cached_vectors(model, dim, (c.text_hash for c in all_chunks))
        missing: dict[str, Chunk] = {}
        for new in all_chunks:
            if new.text_hash not in vectors:
                missing.setdefault(new.text_hash, new.chunk)
        fresh = self._embed_missing(missing, run)
        vectors.update(fresh)
        if len(fresh) < len(missing):
            # Cancelled mid-group: keep the vectors already paid for (the next run finds them
            # in the cache) but commit no file, so none is stored half-embedded.
            with store.transaction():
                points = store.put_vectors(model, dim, fresh)
            files.vectors.add(*points)
            run.report.cancelled = True
            return
        new_ids: list[int] = []
        with store.transaction():
            points = store.put_vectors(model, dim, fresh)
            for prepared in group:
                found = prepared.file
                file_id = store.record_file(
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
                store.delete_chunks_of(file_id)
                ids = store.insert_chunks(file_id, found.rel_path, prepared.chunks)
                new_ids.extend(ids)
            store.bump_generation()
        # Only vectors never stored before become points; a chunk whose text (or vector) is
        # already known costs the graph nothing.
        files.vectors.add(*points)
        run.report.files_indexed += len(group)
        run.report.chunks_added += len(new_ids)
        run.report.chunks_embedded += len(fresh)
        run.progress.chunks_done += len(new_ids)

    def _embed_missing(self, missing: dict[str, Chunk], run: IndexRun) -> dict[str, np.ndarray]:
        """Embed in slices, so a cancel (quit, pause) waits for one slice, not a whole group."""
        dim = self._embedder.dim
        fresh: dict[str, np.ndarray] = {}
        for part in self._slices(missing):
            if run.cancelled:
                break
            texts = [missing[h].embed_text for h in part]
            embedded = self._embedder.embed_documents(texts)
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
        lengths = self._token_counts([missing[h] for h in hashes])
        budget = (
            self._options.embed_slice_tokens
            or getattr(self._embedder, "token_budget", None)
            or DEFAULT_SLICE_TOKENS
        )
        batches = plan_batches(lengths, budget, max_batch_size=self._options.embed_slice)
        return [[hashes[i] for i in batch] for batch in batches]

    def _token_counts(self, chunks: list[Chunk]) -> list[int]:
        """Each chunk's tokens: the chunker's count (it counted with this embedder to fit the
        budget), and the embedder's only for a chunk that came without one."""
        uncounted = [c.embed_text for c in chunks if c.tokens is None]
        counted = iter(self._embedder.count_tokens(uncounted) if uncounted else [])
        return [c.tokens if c.tokens is not None else next(counted) for c in chunks]

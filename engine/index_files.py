"""The one owner of an index's files: the store, the vector index, and damage recovery.

A data directory holds the SQLite store (the source of truth) and a saved hnswlib index of
its points (a cache). The writer process opens both through :class:`IndexFiles`, which holds
the data directory's writer lock for as long as it is open, and is the only code that moves a
damaged database aside. Everyone else in the process (the window's searcher, the local
servers) asks it for the *current* vector index through :class:`VectorSource` instead of
keeping the object it had: after a recovery the old index's labels are ids of the damaged
store, which the new store hands out again for unrelated chunks.

The policy, in one place:
- damage (SQLite says corrupt / not a database, or the open-time check fails): the database
  and its WAL are moved aside as ``*.damaged-<time>`` (kept for inspection), the saved vector
  index is deleted, a new store is opened and the caller re-indexes every known folder;
- anything else (busy, locked, out of descriptors, read-only, disk full) is an error the user
  is told about, never a reason to move a file;
- a saved vector index that is stale or fails its checks is rebuilt from the stored points
  (see :meth:`engine.vector_index.VectorIndex.load`); a rebuild is saved when it can be, so
  the next process does not pay for it again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from engine.errors import IndexDamagedError, KenningError
from engine.index_lock import DEFAULT_WAIT_S, WriterLock
from engine.store import DB_NAME, Store, is_damage
from engine.vector_index import HEADER_NAME, INDEX_NAME, VectorIndex, fsync_dir

log = logging.getLogger(__name__)

StoreIdentity = tuple[int, int]

# While the index moves to another model, the new model's index is built here, beside the
# one searches keep using; it replaces it in one step when it is complete.
SWITCH_DIR = "switching"
# Meta keys a store writes for itself; every other key (e.g. the app's own) moves with a switch.
_OWN_META = {
    "schema_version",
    "tokenizer_version",
    "generation",
    "points_generation",
    "model",
    "dim",
    "chunker",
}


class VectorSource(Protocol):
    """Where a searcher gets the vector index to query, at the moment it queries."""

    def current_vectors(self) -> VectorIndex | None:
        """The vector index of the store now in place, or None while there is none."""
        ...


class FixedVectors:
    """A :class:`VectorSource` for one vector index that is never replaced (tests, tools)."""

    def __init__(self, vectors: VectorIndex | None) -> None:
        self._vectors = vectors

    def current_vectors(self) -> VectorIndex | None:
        return self._vectors


def store_identity(data_dir: Path) -> StoreIdentity | None:
    """(device, inode) of the database file: changes when a damaged one is replaced."""
    try:
        st = os.stat(Path(data_dir) / DB_NAME)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def pending_switch(data_dir: Path) -> dict[str, object] | None:
    """The model switch under way in ``data_dir``: {"model", "dim", "chunks"}, or None."""
    target = Path(data_dir) / SWITCH_DIR
    if not (target / DB_NAME).exists():
        return None
    try:
        store = Store.open(target, readonly=True)
    except KenningError:
        return None
    try:
        info = store.model_info()
        if info is None:
            return None
        return {"model": info[0], "dim": info[1], "chunks": store.chunk_count()}
    finally:
        store.close()


def build_vectors(store: Store, model: str, dim: int) -> VectorIndex:
    """A vector index of every stored point of ``model``."""
    count = store.point_count(model, dim)
    log.info("building the vector index from %d stored vectors", count)
    vectors = VectorIndex(dim, capacity=count + 1024)
    for ids, batch in store.iter_point_vectors(model, dim):
        vectors.add(ids, batch)
    return vectors


def load_or_build_vectors(store: Store, data_dir: Path, *, save: bool) -> VectorIndex | None:
    """The saved vector index of the store's model if it is current, else one rebuilt from
    the stored points. ``save``: save a rebuild (the writer). A reader saves its rebuild too
    when no writer holds the data directory, so a stale file costs one rebuild, not one per
    search."""
    info = store.model_info()
    if info is None:
        return None
    model, dim = info
    generation = store.points_generation
    vectors = VectorIndex.load(data_dir, model=model, dim=dim, generation=generation)
    if vectors is None:
        vectors = build_vectors(store, model, dim)
        if save:
            vectors.save(data_dir, model=model, generation=generation)
        else:
            _save_as_reader(vectors, store, data_dir, model, generation)
    vectors.store_id = store_identity(data_dir)
    return vectors


def _save_as_reader(
    vectors: VectorIndex, store: Store, data_dir: Path, model: str, generation: int
) -> None:
    try:
        lock = WriterLock.acquire(data_dir, "search (saving a rebuilt vector index)", wait_s=0)
    except (KenningError, OSError):
        return  # a writer is at work and saves its own; or the directory is read-only
    try:
        # Saved under the generation it was built from: if the writer moved on since, the
        # header says so and the next reader rebuilds, as it would have anyway.
        vectors.save(data_dir, model=model, generation=generation)
        log.info("saved the rebuilt vector index (generation %d)", generation)
    except KenningError as exc:
        log.debug("could not save the rebuilt vector index: %s", exc)
    finally:
        lock.release()


class IndexFiles:
    """Owns one data directory's store and vector index for the writer. One thread uses it;
    :meth:`current_vectors` may be called from any thread."""

    def __init__(
        self,
        data_dir: Path,
        *,
        what: str = "indexer",
        on_notice: Callable[[str], None] | None = None,
        lock_wait_s: float = DEFAULT_WAIT_S,
        locked: bool = True,
    ) -> None:
        """``locked=False``: the caller holds the data directory's lock (a switch's index)."""
        self.data_dir = Path(data_dir)
        self._notice = on_notice or (lambda msg: log.warning("%s", msg))
        self._lock = WriterLock.acquire(self.data_dir, what, wait_s=lock_wait_s) if locked else None
        self._guard = threading.Lock()
        self._vectors: VectorIndex | None = None
        self._vectors_model: str | None = None
        # How many times a damaged store was replaced while this owner was open.
        self.replacements = 0
        try:
            self._store = self._open_store()
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    # ------------------------------------------------------------------ access
    @property
    def store(self) -> Store:
        return self._store

    @property
    def vectors(self) -> VectorIndex:
        vectors = self._vectors
        if vectors is None:
            raise KenningError("the vector index is not loaded")
        return vectors

    def current_vectors(self) -> VectorIndex | None:
        with self._guard:
            return self._vectors

    # ----------------------------------------------------------------- vectors
    def load_vectors(self, model: str, dim: int) -> VectorIndex:
        """Load (or rebuild and save) the vector index of ``model``; it becomes current."""
        generation = self._store.points_generation
        vectors = VectorIndex.load(self.data_dir, model=model, dim=dim, generation=generation)
        if vectors is None:
            vectors = build_vectors(self._store, model, dim)
            vectors.save(self.data_dir, model=model, generation=generation)
        vectors.store_id = store_identity(self.data_dir)
        with self._guard:
            self._vectors, self._vectors_model = vectors, model
        return vectors

    def save_vectors(self) -> None:
        """Save the current vector index under the store's points generation."""
        model = self._vectors_model
        if model is None:
            raise KenningError("the vector index is not loaded")
        self.vectors.save(self.data_dir, model=model, generation=self._store.points_generation)

    # ---------------------------------------------------------------- recovery
    def _open_store(self) -> Store:
        try:
            return Store.open(self.data_dir)
        except IndexDamagedError as exc:
            return self._move_aside_and_open(exc)

    def replace_damaged(self, exc: BaseException) -> list[Path]:
        """Damage found in use: move the database aside and start afresh. Returns the folders
        the old store knew (that still exist), which the caller must index again. The vector
        index is gone until the caller loads the new one (searchers get no semantic results
        for that moment, never results from the old labels)."""
        try:
            known = [Path(p) for _, p in self._store.folders()]
        except sqlite3.DatabaseError:
            known = []  # the folders table itself is damaged: the callers' roots remain
        with self._guard:
            self._vectors = self._vectors_model = None
        with contextlib.suppress(sqlite3.Error):
            self._store.close()
        self._store = self._move_aside_and_open(exc)
        return [p for p in known if p.is_dir()]

    def _move_aside_and_open(self, exc: BaseException) -> Store:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = []
        for suffix in ("", "-wal", "-shm"):
            path = self.data_dir / (DB_NAME + suffix)
            if path.exists():
                target = path.with_name(f"{path.name}.damaged-{stamp}")
                path.rename(target)
                moved.append(target)
        # The vector index caches the damaged store (its labels are that store's point ids).
        for name in (INDEX_NAME, HEADER_NAME):
            (self.data_dir / name).unlink(missing_ok=True)
        self.replacements += 1
        where = f"moved it to {moved[0]}" if moved else "it was already gone"
        self._notice(
            f"The index database was damaged ({exc}); {where} and started a full re-index."
        )
        return Store.open(self.data_dir)

    # ----------------------------------------------------------------- closing
    def close(self) -> None:
        """Save the vector index if it changed, close the store and release the writer lock."""
        try:
            vectors = self._vectors
            if vectors is not None and vectors.dirty:
                self.save_vectors()
        finally:
            try:
                self._store.close()
            finally:
                self._release()

    # ------------------------------------------------------------ model switch
    @property
    def switch_dir(self) -> Path:
        return self.data_dir / SWITCH_DIR

    def switch_pending(self) -> bool:
        """A switch to another model was started and not completed (nor cancelled)."""
        return (self.switch_dir / DB_NAME).exists()

    def open_switch(self) -> IndexFiles:
        """The index being built for the next model (resumed if one was started)."""
        target = IndexFiles(self.switch_dir, on_notice=self._notice, locked=False)
        with target.store.transaction():
            for key, value in self._store.conn.execute("SELECT key, value FROM meta"):
                if key not in _OWN_META and target.store.get_meta(key) is None:
                    target.store.set_meta(key, value)
        return target

    def discard_switch(self) -> None:
        """Cancel a switch: the index in place was never touched, so nothing is lost."""
        if self.switch_dir.exists():
            shutil.rmtree(self.switch_dir, ignore_errors=True)
            log.info("discarded the unfinished index in %s", self.switch_dir)

    def complete_switch(self, target: IndexFiles) -> None:
        """Put the complete index of the next model in place of this one, in one step for
        every reader: a searcher sees either the old store and its vectors or the new ones
        (it follows the database file's identity, as after a recovery)."""
        target.save_vectors()
        target.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # A rollback journal, not a WAL, while it moves: no second file to move with it.
        target.store.conn.execute("PRAGMA journal_mode = DELETE")
        target.close()
        with self._guard:
            self._vectors = self._vectors_model = None
        with contextlib.suppress(sqlite3.Error):
            # Everything the old database holds is in its main file before its WAL goes.
            self._store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._store.close()
        source = self.switch_dir
        for name in (INDEX_NAME, HEADER_NAME):
            (self.data_dir / name).unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):  # the old database's: never to be read with the new
            (self.data_dir / (DB_NAME + suffix)).unlink(missing_ok=True)
        os.replace(source / DB_NAME, self.data_dir / DB_NAME)
        # The header goes last: a crash before it leaves a header-less pair, rebuilt at open.
        os.replace(source / INDEX_NAME, self.data_dir / INDEX_NAME)
        os.replace(source / HEADER_NAME, self.data_dir / HEADER_NAME)
        fsync_dir(self.data_dir)
        shutil.rmtree(source, ignore_errors=True)
        self.replacements += 1
        self._store = Store.open(self.data_dir)
        info = self._store.model_info()
        if info is not None:
            self.load_vectors(*info)


__all__ = [
    "FixedVectors",
    "IndexFiles",
    "VectorSource",
    "build_vectors",
    "is_damage",
    "load_or_build_vectors",
    "pending_switch",
    "store_identity",
]

"""hnswlib over chunk embeddings: a rebuildable cache of what the store holds.

The index file is never trusted blindly: it is saved atomically (temp file, fsync, rename)
next to a small JSON header naming the store generation it reflects, its size and its
SHA-256. A load that finds any mismatch moves the damaged file aside and returns None, and the
caller rebuilds from the stored embeddings. hnswlib is not safe for concurrent add and query,
so every call goes through one lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

INDEX_NAME = "vectors.hnsw"
HEADER_NAME = "vectors.json"
FORMAT_VERSION = 1

_M = 16
_EF_CONSTRUCTION = 200
_EF_SEARCH = 96
_MIN_CAPACITY = 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class VectorIndex:
    """Cosine-similarity ANN index whose labels are chunk ids."""

    def __init__(self, dim: int, *, capacity: int = _MIN_CAPACITY) -> None:
        import hnswlib

        self.dim = dim
        self._lock = threading.RLock()
        self._index = hnswlib.Index(space="cosine", dim=dim)
        self._index.init_index(
            max_elements=max(capacity, _MIN_CAPACITY),
            ef_construction=_EF_CONSTRUCTION,
            M=_M,
            allow_replace_deleted=True,
        )
        self._index.set_ef(_EF_SEARCH)
        self._live = 0
        self.dirty = False

    # ---------------------------------------------------------------- mutation
    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(
                f"vectors of shape {vectors.shape} for {len(ids)} ids of dim {self.dim}"
            )
        with self._lock:
            self._reserve(len(ids))
            self._index.add_items(vectors, ids, replace_deleted=True)
            self._live += len(ids)
            self.dirty = True

    def delete(self, ids: Iterable[int]) -> None:
        with self._lock:
            for label in ids:
                try:
                    self._index.mark_deleted(int(label))
                except RuntimeError:
                    continue  # never added (e.g. its embedding was missing) or already deleted
                self._live -= 1
                self.dirty = True

    def _reserve(self, extra: int) -> None:
        needed = self._index.get_current_count() + extra
        capacity = self._index.get_max_elements()
        if needed > capacity:
            new_capacity = max(needed, int(capacity * 1.5))
            log.debug("growing vector index %d -> %d", capacity, new_capacity)
            self._index.resize_index(new_capacity)

    # ------------------------------------------------------------------- query
    def __len__(self) -> int:
        return self._live

    def query(
        self,
        vector: np.ndarray,
        k: int,
        *,
        allowed: Callable[[int], bool] | None = None,
    ) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity) of the ``k`` nearest live vectors, best first."""
        with self._lock:
            k = min(k, self._live)
            if k <= 0:
                return []
            self._index.set_ef(max(_EF_SEARCH, k * 2))
            query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
            while k > 0:
                try:
                    labels, distances = self._index.knn_query(query, k=k, filter=allowed)
                    break
                except RuntimeError:
                    # hnswlib raises when fewer than k results survive the filter; ask for fewer.
                    k //= 2
            else:
                return []
        return [
            (int(label), 1.0 - float(dist))
            for label, dist in zip(labels[0], distances[0], strict=True)
        ]

    # ------------------------------------------------------------ persistence
    def save(self, directory: Path, *, model: str, generation: int) -> None:
        """Write the index and its header atomically; a crash leaves the old pair or none."""
        directory.mkdir(parents=True, exist_ok=True)
        index_path = directory / INDEX_NAME
        tmp = directory / (INDEX_NAME + ".tmp")
        with self._lock:
            self._index.save_index(str(tmp))
            live = self._live
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        header = {
            "format": FORMAT_VERSION,
            "model": model,
            "dim": self.dim,
            "generation": generation,
            "count": live,
            "size": tmp.stat().st_size,
            "sha256": _sha256(tmp),
            "saved_at": time.time(),
        }
        # The header goes first, under a name that says which data file it describes: a crash
        # between the two renames leaves a header that does not match the old data, which load
        # then rejects, and the store rebuilds the index.
        _write_atomically(directory / HEADER_NAME, json.dumps(header).encode())
        os.replace(tmp, index_path)
        _fsync_dir(directory)
        self.dirty = False

    @classmethod
    def load(cls, directory: Path, *, model: str, dim: int, generation: int) -> VectorIndex | None:
        """The saved index if it is intact and reflects ``generation``; else None.

        A damaged file is moved aside (never fed to hnswlib, whose loader trusts its input).
        """
        index_path, header_path = directory / INDEX_NAME, directory / HEADER_NAME
        if not index_path.exists() or not header_path.exists():
            return None
        try:
            header = json.loads(header_path.read_text())
            expected = (FORMAT_VERSION, model, dim, generation)
            found = (header["format"], header["model"], header["dim"], header["generation"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("vector index header unreadable (%s): rebuilding", exc)
            _move_aside(index_path, header_path)
            return None
        if found != expected:
            log.info("vector index is stale (%s, want %s): rebuilding", found, expected)
            return None
        if index_path.stat().st_size != header.get("size") or _sha256(index_path) != header.get(
            "sha256"
        ):
            log.warning("vector index %s fails its checksum: moved aside, rebuilding", index_path)
            _move_aside(index_path, header_path)
            return None
        import hnswlib

        self = cls.__new__(cls)
        self.dim = dim
        self._lock = threading.RLock()
        self._index = hnswlib.Index(space="cosine", dim=dim)
        try:
            self._index.load_index(str(index_path), allow_replace_deleted=True)
        except (RuntimeError, ValueError) as exc:
            log.warning("hnswlib could not load %s (%s): rebuilding", index_path, exc)
            _move_aside(index_path, header_path)
            return None
        # hnswlib does not persist ef; without this the default (10) would cripple recall.
        self._index.set_ef(_EF_SEARCH)
        self._live = int(header.get("count", self._index.get_current_count()))
        self.dirty = False
        return self


def _move_aside(*paths: Path) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in paths:
        if path.exists():
            try:
                path.rename(path.with_name(f"{path.name}.damaged-{stamp}"))
            except OSError as exc:
                log.warning("could not move %s aside: %s", path, exc)

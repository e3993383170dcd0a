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
import mmap
import os
import struct
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from engine.errors import KenningError

log = logging.getLogger(__name__)

INDEX_NAME = "vectors.hnsw"
HEADER_NAME = "vectors.json"
# 2: labels are the store's point ids (one per distinct vector), no longer chunk ids.
FORMAT_VERSION = 2

_M = 16
_EF_CONSTRUCTION = 200
# Recall@10 vs exact at 100k chunks: 0.946 at ef 96, 0.982 at ef 200 for < 1 ms more p95
# (docs/BENCHMARKS.md, section 3).
_EF_SEARCH = 200
_MIN_CAPACITY = 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# hnswlib's file: a fixed header, the level-0 block (one record per element: neighbour count
# and ids, vector, label), then per element a uint32 size and its upper-level link lists.
_HNSW_HEADER = struct.Struct("<QQQQQQiIQQQdQ")
_NO_ENTRY = 0xFFFFFFFF


def check_hnsw_layout(path: Path, dim: int, *, count: int | None = None) -> str | None:
    """Why ``path`` is not a well-formed hnswlib index of ``dim``-dim vectors, or None.

    hnswlib's loader trusts its input: a truncated or crafted file can make it allocate
    without bound or follow neighbour ids out of its arrays. Every size, count and neighbour
    id is checked here first; hnswlib's writer does not check its writes either, so a save
    checks its own output with this too (a full disk gives a short file, not an error).
    """
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < _HNSW_HEADER.size:
                return f"{size} bytes is shorter than the header"
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return _check_layout(buf, size, dim, count)
    except (OSError, ValueError) as exc:
        return f"unreadable: {exc}"


def _check_layout(buf: mmap.mmap, size: int, dim: int, count: int | None) -> str | None:
    (offset0, capacity, n, per_element, label_at, data_at, max_level, entry, max_m, max_m0, m,
     _mult, _ef) = _HNSW_HEADER.unpack_from(buf, 0)  # fmt: skip
    links0 = max_m0 * 4 + 4
    if not (2 <= m <= 4096 and max_m == m and max_m0 == 2 * m and offset0 == 0):
        return f"implausible graph parameters (M={m}, maxM={max_m}, maxM0={max_m0})"
    if (data_at, label_at, per_element) != (links0, links0 + 4 * dim, links0 + 4 * dim + 8):
        return f"record layout does not match {dim}-dim vectors"
    if count is not None and n != count:
        return f"holds {n} elements, expected {count}"
    # Capacity is what hnswlib allocates at load: bounded by what the elements justify.
    if not n <= capacity <= 4 * n + 65536:
        return f"implausible capacity {capacity} for {n} elements"
    if n == 0:
        if (max_level, entry) != (-1, _NO_ENTRY) or size != _HNSW_HEADER.size:
            return "an empty index with an entry point or trailing data"
        return None
    if not (0 <= max_level <= 64 and entry < n):
        return f"implausible top level {max_level} or entry point {entry}"
    level0_end = _HNSW_HEADER.size + n * per_element
    if size < level0_end:
        return f"{size} bytes is shorter than its {n} elements need"
    records = np.frombuffer(buf, dtype=np.uint8, count=n * per_element, offset=_HNSW_HEADER.size)
    records = records.reshape(n, per_element)
    reason = _check_links(records[:, :links0], max_m0, n)
    if reason:
        return f"level 0: {reason}"
    links = max_m * 4 + 4
    pos = level0_end
    entry_level = 0
    for element in range(n):
        if pos + 4 > size:
            return "the link lists are cut short"
        (length,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        if length == 0:
            continue
        levels, rest = divmod(length, links)
        if rest or levels > max_level or pos + length > size:
            return f"element {element} has a malformed link list"
        block = np.frombuffer(buf, dtype=np.uint8, count=length, offset=pos)
        reason = _check_links(block.reshape(levels, links), max_m, n)
        if reason:
            return f"element {element}: {reason}"
        pos += length
        if element == entry:
            entry_level = levels
    if pos != size:
        return f"{size - pos} unexpected bytes after the link lists"
    if entry_level != max_level:
        return "the entry point is not on the top level"
    return None


def _check_links(rows: np.ndarray, max_links: int, n: int) -> str | None:
    """Each row: a uint16 neighbour count, 2 flag bytes, then ``max_links`` uint32 ids."""
    counts = rows[:, :2].copy().view("<u2")[:, 0]
    if counts.size and int(counts.max()) > max_links:
        return f"a node has {int(counts.max())} neighbours, more than {max_links}"
    ids = rows[:, 4:].copy().view("<u4")
    used = np.arange(max_links) < counts[:, None]
    if used.any() and int(ids[used].max()) >= n:
        return "a neighbour id points outside the index"
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class VectorIndex:
    """Cosine-similarity ANN index whose labels are the store's point ids.

    ``store_id`` names the database file (device, inode) whose point ids the labels are, so
    a searcher never maps them through another store (one that replaced a damaged file).
    """

    store_id: tuple[int, int] | None = None

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
        """(point id, cosine similarity) of the ``k`` nearest live vectors, best first."""
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
        try:
            self._save(directory, index_path, tmp, model=model, generation=generation)
        except OSError as exc:
            for leftover in (tmp, directory / (HEADER_NAME + ".tmp")):
                leftover.unlink(missing_ok=True)
            raise KenningError(
                f"could not save the vector index in {directory}: {exc.strerror or exc}"
            ) from exc

    def _save(
        self, directory: Path, index_path: Path, tmp: Path, *, model: str, generation: int
    ) -> None:
        with self._lock:
            self._index.save_index(str(tmp))
            live = self._live
            elements = self._index.get_current_count()
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        # hnswlib ignores write errors: a full disk leaves a short file and no exception.
        problem = check_hnsw_layout(tmp, self.dim, count=elements)
        if problem is not None:
            raise OSError(f"the written index is incomplete ({problem}); is the disk full?")
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
        fsync_dir(directory)
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
        before = index_path.stat()
        if before.st_size != header.get("size") or _sha256(index_path) != header.get("sha256"):
            if _save_under_way(directory, before):
                # Another process is between its header's rename and its data's: the pair is
                # new, not damaged, and is not ours to move.
                log.info("vector index %s is being saved: rebuilding for now", index_path)
                return None
            log.warning("vector index %s fails its checksum: moved aside, rebuilding", index_path)
            _move_aside(index_path, header_path)
            return None
        problem = check_hnsw_layout(index_path, dim)
        if problem is not None:
            log.warning(
                "vector index %s is malformed (%s): moved aside, rebuilding", index_path, problem
            )
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


def _save_under_way(directory: Path, checked: os.stat_result) -> bool:
    """A save's temporary file is there, or the data file was replaced while we read it."""
    if (directory / (INDEX_NAME + ".tmp")).exists():
        return True
    try:
        now = (directory / INDEX_NAME).stat()
    except OSError:
        return True
    return (now.st_ino, now.st_mtime_ns) != (checked.st_ino, checked.st_mtime_ns)


def _move_aside(*paths: Path) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in paths:
        if path.exists():
            # Only the latest damaged copy is kept: the index is a rebuildable cache, and
            # a machine that keeps crashing must not fill the disk with old copies of it.
            for older in path.parent.glob(f"{path.name}.damaged-*"):
                older.unlink(missing_ok=True)
            try:
                path.rename(path.with_name(f"{path.name}.damaged-{stamp}"))
            except OSError as exc:
                log.warning("could not move %s aside: %s", path, exc)

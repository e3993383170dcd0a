"""Read an index back and check it: SQLite health, store/FTS/vector agreement, completeness.

These read the data directory the way a fresh process would, so they see exactly what the
next run of the indexer (or a search) would see after a crash.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np

from engine.index_files import load_or_build_vectors
from engine.store import DB_NAME, Store
from indexer.chunking import ChunkingContext, SkipFile, chunk_file
from indexer.discovery import DiscoveryOptions, discover

ChunkKey = tuple[str, int, int, str]


def quick_check(data_dir: Path) -> str:
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA quick_check"))
    finally:
        conn.close()


def chunk_set(data_dir: Path) -> Counter[ChunkKey]:
    """Every stored chunk as (absolute path, start line, end line, text), with multiplicity."""
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        rows = conn.execute(
            "SELECT f.path, c.start_line, c.end_line, c.text FROM chunks c "
            "JOIN files f ON f.id = c.file_id"
        ).fetchall()
    finally:
        conn.close()
    return Counter((r[0], r[1], r[2], r[3]) for r in rows)


def point_count(data_dir: Path) -> int:
    """Distinct stored vectors of the recorded model: what the vector index must hold."""
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        return conn.execute(
            "SELECT count(*) FROM points p JOIN meta m ON m.key = 'model' AND m.value = p.model "
            "JOIN meta d ON d.key = 'dim' AND CAST(d.value AS INTEGER) = p.dim"
        ).fetchone()[0]
    finally:
        conn.close()


def integrity_problems(data_dir: Path) -> list[str]:
    """What would make a search wrong: FTS or vectors out of step with the chunks."""
    problems = []
    check = quick_check(data_dir)
    if check != "ok":
        return [f"quick_check: {check}"]
    store = Store.open(data_dir)
    try:
        conn = store.conn
        chunk_ids = {r[0] for r in conn.execute("SELECT id FROM chunks")}
        fts_ids = {r[0] for r in conn.execute("SELECT rowid FROM chunks_fts")}
        if fts_ids != chunk_ids:
            problems.append(
                f"FTS rows without chunk: {len(fts_ids - chunk_ids)}, "
                f"chunks without FTS row: {len(chunk_ids - fts_ids)}"
            )
        info = store.model_info()
        if info is None:
            if chunk_ids:
                problems.append("chunks but no model recorded")
            return problems
        model, dim = info
        unembedded = conn.execute(
            "SELECT count(*) FROM chunks c LEFT JOIN embeddings e ON e.text_hash = c.text_hash "
            "AND e.model = ? AND e.dim = ? WHERE e.text_hash IS NULL",
            (model, dim),
        ).fetchone()[0]
        if unembedded:
            problems.append(f"{unembedded} chunks without an embedding")
        orphans = conn.execute(
            "SELECT count(*) FROM files WHERE status = 'indexed' AND hash IS NULL"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} files marked indexed without a content hash")
        vectors = load_or_build_vectors(store, data_dir, save=False)
        live = len(vectors) if vectors is not None else 0
        points = store.point_count(model, dim)
        if live != points:
            problems.append(f"vector index holds {live} live vectors for {points} points")
        if vectors is not None and live:
            probe = np.ones(dim, dtype=np.float32) / np.sqrt(dim)
            labels = {label for label, _ in vectors.query(probe, live)}
            stored = {
                r[0]
                for r in conn.execute(
                    "SELECT id FROM points WHERE model = ? AND dim = ?", (model, dim)
                )
            }
            if not labels <= stored:
                problems.append(f"{len(labels - stored)} vector results point at no stored vector")
    finally:
        store.close()
    return problems


def incomplete_files(data_dir: Path, root: Path, count_tokens, max_tokens: int) -> list[str]:
    """Files the next run would take as done although their stored chunks are not complete.

    A file is done when its row says indexed (or skipped/failed) with the size and mtime it
    has on disk; then its chunks must be exactly what chunking its current bytes gives. Any
    other file is queued again by the next run, which is fine after a crash.
    """
    store = Store.open(data_dir)
    try:
        problems = []
        stored: dict[str, list[tuple[int, int, str]]] = {}
        for path, start, end, text in store.conn.execute(
            "SELECT f.path, c.start_line, c.end_line, c.text FROM chunks c "
            "JOIN files f ON f.id = c.file_id ORDER BY c.id"
        ):
            stored.setdefault(path, []).append((start, end, text))
        for found in discover(root, DiscoveryOptions()):
            record = store.file_by_path(str(found.path))
            if record is None or (record.size, record.mtime_ns) != (found.size, found.mtime_ns):
                continue  # queued again by the next run
            chunks = stored.get(str(found.path), [])
            if record.status != "indexed":
                if chunks:
                    problems.append(f"{found.rel_path}: {record.status} but has chunks")
                continue
            ctx = ChunkingContext(found.rel_path, max_tokens, count_tokens)
            try:
                expected = [
                    (c.start_line, c.end_line, c.text)
                    for c in chunk_file(found.path, found.path.read_bytes(), ctx)
                ]
            except SkipFile:
                expected = []
            if sorted(chunks) != sorted(expected):
                problems.append(
                    f"{found.rel_path}: {len(chunks)} chunks stored, {len(expected)} expected"
                )
        return problems
    finally:
        store.close()

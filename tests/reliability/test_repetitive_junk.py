"""Promise: junk beside real code does not change what semantic search finds. An 8 MB
one-line script, a 6 MB log of one repeated line and 1,500 copies of one generated file add
tens of thousands of chunks but only a handful of distinct vectors; each distinct vector is one
point of the vector index (content-addressed), so the graph never holds thousands of identical
points (which broke hnswlib's search for everything else: issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.search import Searcher
from engine.store import Store
from indexer.junk_files import MAX_CHUNKS_PER_FILE
from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder
from tests.reliability.junk_trees import QUERIES, add_junk, real_code

DIM = 256
OPTED_IN = ("junk/bundle.js", "junk/server.log")


def _index(tree: Path, data: Path) -> dict[str, list[tuple[str, int, int]]]:
    embedder = HashingEmbedder(dim=DIM)
    # In-process parsing: a loaded machine must not turn the junk into parse timeouts, which
    # would leave it out and let this test pass without testing anything.
    pipeline = Pipeline(data, embedder, options=IndexOptions(isolate_parsers=False))
    try:
        pipeline.index([tree])
    finally:
        pipeline.close()
    searcher = Searcher(data, embedder)
    try:
        return {
            q: [
                (Path(r.path).relative_to(tree).as_posix(), r.start_line, r.end_line)
                for r in searcher.search(q, mode="semantic", limit=10)
            ]
            for q in QUERIES
        }
    finally:
        searcher.close()


def _statuses(data: Path, tree: Path, names: tuple[str, ...]) -> list[str | None]:
    store = Store.open(data, readonly=True)
    try:
        statuses = dict(store.conn.execute("SELECT path, status FROM files"))
    finally:
        store.close()
    return [statuses.get(str(tree / name)) for name in names]


def _counts(data: Path) -> tuple[int, int]:
    store = Store.open(data, readonly=True)
    try:
        return store.chunk_count(), store.point_count("test/hashing", DIM)
    finally:
        store.close()


@pytest.mark.slow
# About 4 minutes of CPU on a shared 2-core machine (two indexes, one of ~50k chunks).
@pytest.mark.timeout(2400)
def test_repetitive_junk_leaves_semantic_top10_unchanged(tmp_path):
    clean, junk = tmp_path / "clean", tmp_path / "junk"
    real_code(clean)
    real_code(junk)
    add_junk(junk)
    # Left alone, the junk detector skips the one-liner and the log (generated, repetitive),
    # and this test would compare two indexes of the same real code. Opted in (a `!path`
    # line), they are indexed, up to the per-file chunk cap, and their duplicates must still
    # cost the vector index nothing.
    (junk / ".kenningignore").write_text("".join(f"!{name}\n" for name in OPTED_IN))

    expected = _index(clean, tmp_path / "data-clean")
    found = _index(junk, tmp_path / "data-junk")

    clean_chunks, clean_points = _counts(tmp_path / "data-clean")
    junk_chunks, junk_points = _counts(tmp_path / "data-junk")
    assert _statuses(tmp_path / "data-junk", junk, OPTED_IN) == ["indexed"] * len(OPTED_IN)
    # The one-liner and the log at MAX_CHUNKS_PER_FILE each (capped), 1,500 generated copies.
    junk_floor = len(OPTED_IN) * MAX_CHUNKS_PER_FILE + 1_500
    assert junk_chunks > clean_chunks + junk_floor, "the junk was indexed"
    assert junk_points - clean_points < 100, "duplicates cost the vector index nothing"
    assert all(expected.values())
    assert found == expected


def test_identical_chunks_share_one_point_and_all_are_found(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(300):
        (tree / f"copy{i:03d}.txt").write_text("the nightly ledger merge job\n")
    (tree / "other.txt").write_text("a socket buffer for the upload stream\n")
    embedder = HashingEmbedder(dim=64)
    pipeline = Pipeline(tmp_path / "data", embedder)
    try:
        pipeline.index([tree])
        assert len(pipeline.vectors) == 2
    finally:
        pipeline.close()
    searcher = Searcher(tmp_path / "data", embedder)
    try:
        hits = searcher.search("ledger merge", mode="semantic", limit=400)
    finally:
        searcher.close()
    assert len({h.path for h in hits}) == 301
    copies = sorted(str(tree / f"copy{i:03d}.txt") for i in range(300))
    assert sorted(h.path for h in hits[:300]) == copies, "every identical chunk is listed"

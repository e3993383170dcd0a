"""Schema 1 (one stored vector per chunk text) migrates to schema 2 (content-addressed
points) at the writer's open, keeping every embedding: nothing is re-embedded and search
answers as before. A reader of a schema-1 index is told to run `kenning index`."""

from __future__ import annotations

import sqlite3

import pytest

from engine.errors import KenningError
from engine.search import Searcher
from engine.store import DB_NAME, SCHEMA_VERSION, Store
from engine.vector_index import HEADER_NAME, INDEX_NAME
from indexer.pipeline import Pipeline
from tests.fake_embedder import HashingEmbedder

QUERIES = ["retry failed uploads", "merge the ledger records"]


def _as_schema_1(data) -> None:
    """Rewrite a schema-2 store into the schema-1 layout, as an older Kenning left it."""
    conn = sqlite3.connect(data / DB_NAME)
    with conn:
        conn.execute(
            "CREATE TABLE embeddings_old(model TEXT NOT NULL, dim INTEGER NOT NULL, "
            "text_hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, dim, text_hash)"
            ") WITHOUT ROWID"
        )
        conn.execute(
            "INSERT INTO embeddings_old SELECT e.model, e.dim, e.text_hash, p.vector "
            "FROM embeddings e JOIN points p ON p.id = e.point_id"
        )
        conn.execute("DROP TABLE embeddings")
        conn.execute("DROP TABLE points")
        conn.execute("ALTER TABLE embeddings_old RENAME TO embeddings")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        conn.execute("DELETE FROM meta WHERE key = 'points_generation'")
    conn.close()
    for name in (INDEX_NAME, HEADER_NAME):
        (data / name).unlink()


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "uploads.py").write_text("def retry_failed_uploads(queue):\n    return queue\n")
    (root / "ledger.md").write_text("# Ledger\n\nMerge the ledger records every night.\n")
    (root / "copy.md").write_text("# Ledger\n\nMerge the ledger records every night.\n")
    return root


def _answers(data, embedder) -> list[list[tuple[str, int]]]:
    searcher = Searcher(data, embedder)
    try:
        return [
            [(r.path, r.start_line) for r in searcher.search(q, mode="semantic")] for q in QUERIES
        ]
    finally:
        searcher.close()


def test_a_schema_1_index_migrates_without_re_embedding(tree, tmp_path):
    data = tmp_path / "data"
    pipeline = Pipeline(data, HashingEmbedder(dim=64))
    pipeline.index([tree])
    pipeline.close()
    before = _answers(data, HashingEmbedder(dim=64))
    _as_schema_1(data)

    with pytest.raises(KenningError, match="run `kenning index`"):
        Store.open(data, readonly=True)

    embedder = HashingEmbedder(dim=64)
    pipeline = Pipeline(data, embedder)
    report = pipeline.index([tree])
    points = len(pipeline.vectors)
    pipeline.close()
    assert embedder.documents_embedded == []
    assert report.files_unchanged == 3
    assert points == 2, "the two identical documents share one point"
    store = Store.open(data, readonly=True)
    try:
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        store.close()
    assert _answers(data, HashingEmbedder(dim=64)) == before

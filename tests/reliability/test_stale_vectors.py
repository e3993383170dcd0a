"""Promise: a vector index is never left stale by a run that changes no vectors, and a stale
one (a writer killed before its save) is rebuilt once, saved, and then loaded by every later
search, not rebuilt by each one."""

from __future__ import annotations

import json

import pytest

import engine.index_files
from desktop.cli import main
from engine.search import Searcher
from engine.vector_index import HEADER_NAME
from tests.reliability.conftest import hashing_pipeline


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "uploads.py").write_text("def retry_failed_uploads(queue):\n    return queue\n")
    (root / "notes.md").write_text("# Ledger\n\nMerge the ledger records every night.\n")
    return root


def _vector_state(data, capsys) -> dict:
    assert main(["status", "--data-dir", str(data), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["vector_index"]


@pytest.fixture
def rebuilds(monkeypatch) -> list[int]:
    counted: list[int] = []
    real = engine.index_files.build_vectors

    def counting(store, model, dim):
        counted.append(dim)
        return real(store, model, dim)

    monkeypatch.setattr(engine.index_files, "build_vectors", counting)
    return counted


def test_a_run_that_adds_no_chunks_leaves_the_vectors_current(tree, tmp_path, capsys, rebuilds):
    data = tmp_path / "data"
    pipeline = hashing_pipeline(data)
    pipeline.index([tree])
    (tree / "empty.txt").write_text("")  # skipped: the store changes, its vectors do not
    (tree / "uploads.py").touch()
    pipeline.index([tree])
    pipeline.close()

    assert _vector_state(data, capsys)["current"] is True
    built_by_writer = len(rebuilds)
    for _ in range(3):  # three CLI searches, each a new searcher
        searcher = Searcher(data, pipeline.embedder)
        try:
            assert searcher.search("retry failed uploads", mode="semantic")
        finally:
            searcher.close()
    assert len(rebuilds) == built_by_writer, "no search rebuilt the vector index"


def test_a_stale_index_is_rebuilt_once_and_saved(tree, tmp_path, capsys, rebuilds):
    data = tmp_path / "data"
    pipeline = hashing_pipeline(data)
    pipeline.index([tree])
    pipeline.close()
    header = json.loads((data / HEADER_NAME).read_text())
    header["generation"] -= 1  # as if the writer was killed before saving its last change
    (data / HEADER_NAME).write_text(json.dumps(header))
    assert _vector_state(data, capsys)["current"] is False
    before = len(rebuilds)

    for _ in range(3):
        searcher = Searcher(data, pipeline.embedder)
        try:
            assert searcher.search("merge the ledger records", mode="semantic")
        finally:
            searcher.close()

    assert len(rebuilds) == before + 1
    assert _vector_state(data, capsys)["current"] is True

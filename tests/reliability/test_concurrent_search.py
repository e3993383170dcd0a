"""Promise 12: searches while the indexer writes thousands of chunks.

No ``database is locked``, no hnswlib add and query at once (which can crash it), no result
pointing at a deleted chunk: in one process (search threads sharing the indexer's live
vector index), and across processes (the indexer in a child process, searches here reading
its saved files as ``kenning search`` does).
"""

from __future__ import annotations

import random
import sqlite3
import threading
from pathlib import Path

import pytest

from engine.search import Searcher
from engine.store import DB_NAME
from engine.types import SearchFilters, SearchResult
from engine.vector_index import HEADER_NAME, INDEX_NAME
from tests.fake_embedder import HashingEmbedder
from tests.reliability import index_runner
from tests.reliability.conftest import fresh_index, hashing_pipeline, scaled, start_runner
from tests.reliability.corpus import mutate, write_corpus
from tests.reliability.index_state import integrity_problems

pytestmark = pytest.mark.slow

QUERIES = ("retry upload cache", "vector store commit", "invoice refund", "watcher event storm")
MODES = ("lexical", "semantic", "hybrid")


class Checker:
    """Validates results against the store from a connection of its own."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.errors: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()

    def check(self, results: list[SearchResult]) -> None:
        conn = sqlite3.connect(f"file:{self.data_dir / DB_NAME}?mode=ro", uri=True, timeout=30)
        try:
            for result in results:
                row = conn.execute(
                    "SELECT f.path, c.start_line, c.end_line FROM chunks c "
                    "JOIN files f ON f.id = c.file_id WHERE c.id = ?",
                    (result.chunk_id,),
                ).fetchone()
                # Chunk ids are never reused, so a row that still exists must be the one the
                # result describes; one deleted since the search returned is fine.
                if row is not None and row != (result.path, result.start_line, result.end_line):
                    self._error(f"result {result.chunk_id} says {result.path} but is {row}")
        finally:
            conn.close()
        with self._lock:
            self.checked += len(results)

    def _error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)


def _search_loop(searcher: Searcher, checker: Checker, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        try:
            searcher.refresh()
            kind = rng.choice((None, "code", "text"))
            results = searcher.search(
                rng.choice(QUERIES),
                mode=rng.choice(MODES),
                limit=rng.choice((5, 20, 50)),
                filters=SearchFilters(kind=kind),
            )
            checker.check(results)
        except Exception as exc:  # any error at all fails the test, "database is locked" first
            checker._error(f"{type(exc).__name__}: {exc}")
            return


def _small_tree(tmp_path: Path) -> Path:
    write_corpus(tmp_path / "small", 5, seed=1)
    return tmp_path / "small"


def test_searches_in_threads_while_the_indexer_writes(tmp_path):
    tree = tmp_path / "tree"
    write_corpus(tree, scaled(400), seed=81)
    data = tmp_path / "data"
    pipeline = hashing_pipeline(data, group_chunks=32)
    pipeline.index([_small_tree(tmp_path)])  # searchers need an index to open
    embedder = HashingEmbedder(dim=64)
    checker = Checker(data)
    stop = threading.Event()
    searchers = [Searcher(data, embedder, vectors=pipeline.vectors) for _ in range(3)]
    threads = [
        threading.Thread(target=_search_loop, args=(s, checker, stop, n))
        for n, s in enumerate(searchers)
    ]
    for thread in threads:
        thread.start()
    rng = random.Random(3)
    try:
        report = pipeline.index([tree])  # thousands of chunks added while searched
        for n in range(scaled(10)):  # then edits: chunks deleted and added
            mutate(tree, rng, 40, serial_base=n + 1)
            pipeline.index([tree])
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for searcher in searchers:
            searcher.close()
        pipeline.close()
    assert report.chunks_added > 2000
    assert checker.errors == []
    assert checker.checked > 0
    assert integrity_problems(data) == []


def test_searches_in_another_process_than_the_indexer(tmp_path):
    tree = tmp_path / "tree"
    write_corpus(tree, scaled(400), seed=83)
    data = tmp_path / "data"
    fresh_index(data, _small_tree(tmp_path))  # searchers need an index to open
    checker = Checker(data)
    stop = threading.Event()
    searchers = [Searcher(data, HashingEmbedder(dim=index_runner.DIM)) for _ in range(3)]
    threads = [
        threading.Thread(target=_search_loop, args=(s, checker, stop, n))
        for n, s in enumerate(searchers)
    ]
    for thread in threads:
        thread.start()
    try:
        for n in range(3):
            proc = start_runner(data, tree, "--dim", str(index_runner.DIM))
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            mutate(tree, random.Random(n), 80, serial_base=n + 1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for searcher in searchers:
            searcher.close()
    assert checker.errors == []
    assert checker.checked > 0
    # Readers never move the writer's files aside: a save they catch half-way is no damage.
    assert not list(data.glob("*.damaged-*"))
    assert (data / INDEX_NAME).exists() and (data / HEADER_NAME).exists()

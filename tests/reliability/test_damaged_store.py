"""Promise 4: a damaged SQLite file is moved aside with a timestamp, a full re-index starts
and the user is told, whether the damage shows when the file is opened or only later, in the
middle of a run (a damaged page that only some statements read)."""

from __future__ import annotations

import random
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.store import DB_NAME
from indexer.pipeline import Pipeline
from tests.reliability.conftest import REPO, hashing_pipeline
from tests.reliability.corpus import corpus_files, write_corpus
from tests.reliability.index_state import chunk_set, integrity_problems

NOTICE = re.compile(
    r"The index database was damaged \((?P<why>.+)\); moved it to "
    r"(?P<where>.+/index\.sqlite3\.damaged-\d{8}-\d{6}) and started a full re-index\."
)
PAGE = 4096


@pytest.fixture
def indexed(tmp_path) -> tuple[Path, Path]:
    """A tree and its intact index."""
    write_corpus(tmp_path / "tree", 50, seed=31)
    pipeline = hashing_pipeline(tmp_path / "data")
    pipeline.index([tmp_path / "tree"])
    pipeline.close()
    return tmp_path / "tree", tmp_path / "data"


def _pages_of(db: Path, table: str) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ?", (table,))]
    finally:
        conn.close()


def _garble_pages(raw: bytes, pages: list[int], seed: int) -> bytes:
    out = bytearray(raw)
    rng = random.Random(seed)
    for page in pages:  # 1-based page numbers
        start = (page - 1) * PAGE
        out[start + 8 : start + PAGE] = rng.randbytes(PAGE - 8)
    return bytes(out)


DamageFn = Callable[[bytes, Path], bytes]
DAMAGES: dict[str, DamageFn] = {
    "header overwritten": lambda raw, db: b"this is no sqlite file" * 6 + raw[132:],
    "zeroed": lambda raw, db: bytes(len(raw)),
    "cut in half": lambda raw, db: raw[: len(raw) // 2 // PAGE * PAGE],
    "every fifth page garbled": lambda raw, db: _garble_pages(
        raw, list(range(3, len(raw) // PAGE, 5)), 1
    ),
    "chunk table pages garbled": lambda raw, db: _garble_pages(raw, _pages_of(db, "chunks"), 2),
}


def _check_recovered(tree: Path, data: Path, notices: list[str], damaged: bytes | None) -> None:
    assert len(notices) == 1, notices
    told = NOTICE.fullmatch(notices[0])
    assert told, notices[0]
    kept = Path(told["where"]).read_bytes()  # kept for inspection
    # Found at open: kept as it was. Found mid-run: the run may have written to it first.
    assert kept == damaged if damaged is not None else kept.startswith(b"SQLite format 3")
    assert integrity_problems(data) == []
    clean = data.parent / "clean"
    pipeline = hashing_pipeline(clean)
    pipeline.index([tree])
    pipeline.close()
    assert chunk_set(data) == chunk_set(clean)


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_damage_found_at_start_is_moved_aside_and_fully_reindexed(indexed, damage):
    tree, data = indexed
    db = data / DB_NAME
    damaged = DAMAGES[damage](db.read_bytes(), db)
    db.write_bytes(damaged)

    notices: list[str] = []
    pipeline = hashing_pipeline(data, on_notice=notices.append)
    report = pipeline.index([tree])
    pipeline.close()

    assert report.files_indexed == len(corpus_files(tree))
    _check_recovered(tree, data, notices, damaged)


def _damage_fts_under(pipeline: Pipeline, data: Path) -> None:
    """Garble the full-text index under an open pipeline (as a failing disk would).

    The open-time check saw an intact file; the first statement that reads these pages is
    the deletion of a changed file's old chunks, mid-run. The connection's page cache is
    shrunk so that SQLite reads the pages from the file again rather than from memory.
    """
    pipeline.store.conn.execute("PRAGMA cache_size = 0")
    db = data / DB_NAME
    db.write_bytes(_garble_pages(db.read_bytes(), _pages_of(db, "chunks_fts_data"), 3))


def _edit_some(tree: Path) -> list[Path]:
    edited = corpus_files(tree)[::7]
    for path in edited:
        path.write_text(path.read_text() + "\nedited after the damage\n")
    return edited


def test_damage_found_in_the_middle_of_a_run_restarts_it_as_a_full_reindex(indexed):
    tree, data = indexed
    notices: list[str] = []
    pipeline = hashing_pipeline(data, on_notice=notices.append)
    _damage_fts_under(pipeline, data)
    _edit_some(tree)

    report = pipeline.index([tree])
    pipeline.close()

    assert report.files_indexed == len(corpus_files(tree))
    _check_recovered(tree, data, notices, None)


def test_damage_found_by_a_watcher_update_reindexes_every_folder(indexed):
    tree, data = indexed
    notices: list[str] = []
    pipeline = hashing_pipeline(data, on_notice=notices.append)
    _damage_fts_under(pipeline, data)
    edited = _edit_some(tree)

    report = pipeline.update_paths(edited)
    pipeline.close()

    assert report.files_indexed == len(corpus_files(tree))
    _check_recovered(tree, data, notices, None)


@pytest.mark.model
def test_the_cli_tells_the_user_and_reindexes(tmp_path):
    tree = tmp_path / "tree"
    write_corpus(tree, 3, seed=41)  # few: each costs the real model seconds, twice
    data = tmp_path / "data"
    command = [sys.executable, "-m", "desktop", "index", str(tree), "--data-dir", str(data)]
    command += ["--model", "offline"]
    first = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    db = data / DB_NAME
    damaged = b"this is no sqlite file" * 6 + db.read_bytes()[132:]
    db.write_bytes(damaged)

    second = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)

    assert second.returncode == 0, second.stderr
    told = [line for line in second.stderr.splitlines() if "damaged" in line]
    assert len(told) == 1 and told[0].startswith("kenning: ")
    match = NOTICE.fullmatch(told[0].removeprefix("kenning: "))
    assert match, told[0]
    assert Path(match["where"]).read_bytes() == damaged
    assert "Indexed 3 files" in second.stderr
    assert integrity_problems(data) == []

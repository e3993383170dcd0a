"""Promise 8: files that change, shrink or vanish while being read are re-queued or dropped,
never stored as a mix of old and new.

Three kinds of test. Exact ones change the file at the worst moment, between the indexer's
``fstat`` of the open file and its read (the hook only chooses the moment; the changes are
real file-system operations). A same-clock-tick rewrite (same size, and the mtime the kernel's
coarse clock would give, set with ``os.utime``) checks that an unchanged size and mtime are not
trusted for a file modified while it was indexed. And a stress run has writer threads
rewriting files in place while the indexer runs pass after pass: every pass must find each
file's stored chunks all of one version.
"""

from __future__ import annotations

import os
import random
import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.conftest import hashing_pipeline, scaled
from tests.reliability.index_state import chunk_set

LINES = 400
TAG = re.compile(r"\bv(\d{6}) line")


def version(n: int, lines: int = LINES) -> bytes:
    """Every line names the version; all versions of one length have the same size."""
    return "".join(f"v{n:06d} line {i:04d} alpha beta gamma delta\n" for i in range(lines)).encode()


def stored_versions(data: Path, path: Path) -> set[str]:
    return {
        tag
        for (file, *_, text) in chunk_set(data)
        if file == str(path)
        for tag in TAG.findall(text)
    }


def _change_during_read(monkeypatch, target: Path, change: Callable[[Path], None]) -> list[bool]:
    """Run ``change(target)`` once, right after the indexer's fstat of the open file."""
    done: list[bool] = []
    real_fstat = os.fstat

    def fstat(fd: int) -> os.stat_result:
        result = real_fstat(fd)
        if not done and os.readlink(f"/proc/self/fd/{fd}") == str(target):
            done.append(True)
            change(target)
        return result

    monkeypatch.setattr(os, "fstat", fstat)
    return done


def _grow(path: Path) -> None:
    path.write_bytes(version(2, LINES * 2))


def _shrink(path: Path) -> None:
    path.write_bytes(version(2, LINES // 3))


def _rewrite_same_size(path: Path) -> None:
    mtime = path.stat().st_mtime_ns
    path.write_bytes(version(2))
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))


def _rewrite_same_size_same_tick(path: Path) -> None:
    mtime = path.stat().st_mtime_ns
    path.write_bytes(version(2))
    os.utime(path, ns=(mtime, mtime))


def _replace_by_rename(path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(version(2))
    os.replace(tmp, path)


def _vanish(path: Path) -> None:
    path.unlink()


CHANGES = {
    "grows": _grow,
    "shrinks": _shrink,
    "rewritten, same size": _rewrite_same_size,
    "rewritten, same size and mtime": _rewrite_same_size_same_tick,
    "replaced by a rename": _replace_by_rename,
    "vanishes": _vanish,
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
@pytest.mark.parametrize("first_time", [True, False], ids=["new file", "indexed before"])
def test_a_file_changed_while_read_is_never_stored_mixed_and_ends_current(
    tmp_path, monkeypatch, change, first_time
):
    tree = tmp_path / "tree"
    tree.mkdir()
    target = tree / "notes.txt"
    (tree / "other.txt").write_bytes(version(7))
    target.write_bytes(version(0))
    data = tmp_path / "data"
    pipeline = hashing_pipeline(data)
    try:
        if not first_time:
            pipeline.index([tree])
            target.write_bytes(version(1))
        hooked = _change_during_read(monkeypatch, target, CHANGES[change])
        pipeline.update_paths([target]) if not first_time else pipeline.index([tree])
        assert hooked
        # One version or none: what was read before the change, or what is there after it.
        assert len(stored_versions(data, target)) <= 1
        monkeypatch.undo()
        # The next pass (the watcher's event for the change, or the next run) makes it current.
        pipeline.update_paths([target])
    finally:
        pipeline.close()
    expected = set() if change == "vanishes" else {"000002"}
    assert stored_versions(data, target) == expected
    assert stored_versions(data, tree / "other.txt") == {"000007"}


def test_a_rewrite_in_the_same_clock_tick_after_indexing_is_not_lost(tmp_path):
    """Size and mtime equal to the record's prove nothing for a file modified while it was
    being indexed: the kernel's clock may not have ticked in between."""
    tree = tmp_path / "tree"
    tree.mkdir()
    target = tree / "notes.txt"
    target.write_bytes(version(1))
    data = tmp_path / "data"
    pipeline = hashing_pipeline(data)
    try:
        pipeline.index([tree])
        assert stored_versions(data, target) == {"000001"}
        mtime = target.stat().st_mtime_ns
        target.write_bytes(version(2))  # e.g. a formatter rewriting the file just saved
        os.utime(target, ns=(mtime, mtime))  # within the same tick: the mtime stays
        pipeline.update_paths([target])  # the watcher's event for that second write
    finally:
        pipeline.close()
    assert stored_versions(data, target) == {"000002"}


@pytest.mark.slow
def test_writers_racing_the_indexer_never_leave_a_mixed_file(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    files = [tree / f"f{i}.txt" for i in range(8)]
    for path in files:
        path.write_bytes(version(0))
    stop = threading.Event()
    counter = iter(range(1, 10**9))
    lock = threading.Lock()

    def writer(seed: int, mine: list[Path]) -> None:
        # Each write is one system call on a truncated file, or a rename over the file: the
        # file itself is never a mix of two versions, so an index entry that is one came
        # from the indexer. (An in-place rewrite in several calls is a mix on disk while it
        # runs; the exact tests above cover the indexer's side of that.)
        rng = random.Random(seed)
        while not stop.is_set():
            path = rng.choice(mine)  # one writer per file: two would mix their writes on disk
            with lock:
                n = next(counter)
            content = version(n, rng.choice((LINES, LINES, LINES // 2, LINES * 2)))
            if rng.random() < 0.5:
                fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
                try:
                    os.write(fd, content)
                finally:
                    os.close(fd)
            else:
                tmp = path.with_name(f".{path.name}.{seed}.tmp")
                tmp.write_bytes(content)
                os.replace(tmp, path)

    data = tmp_path / "data"
    pipeline = hashing_pipeline(data, group_chunks=4)
    writers = [threading.Thread(target=writer, args=(seed, files[seed::2])) for seed in (0, 1)]
    for thread in writers:
        thread.start()
    try:
        pipeline.index([tree])
        # Every pass re-indexes all eight files (the writers never pause), so a mix left by
        # the store side shows in the first pass; 40 passes sample the timing of the read
        # side (a soak run raises KENNING_RELIABILITY_SCALE).
        for n in range(scaled(40)):
            pipeline.update_paths(files)
            for path in files:
                assert len(stored_versions(data, path)) <= 1, f"pass {n}: {path.name} is mixed"
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    try:
        pipeline.update_paths(files)
        final = {path: TAG.findall(path.read_text())[0] for path in files}
        for path in files:
            assert stored_versions(data, path) == {final[path]}
    finally:
        pipeline.close()

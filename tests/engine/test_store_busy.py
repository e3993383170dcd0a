"""A busy database is not a damaged one: another connection's write lock, or no descriptor
left to open the file, gives a clear error (or succeeds once the lock goes), and the index is
never moved aside for it."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

import engine.store
from engine.errors import IndexBusy, IndexDamagedError, KenningError
from engine.index_files import IndexFiles
from engine.store import DB_NAME, Store
from tests.reliability.conftest import REPO


@pytest.fixture
def data(tmp_path):
    store = Store.open(tmp_path)
    store.add_folder(tmp_path / "somewhere")
    store.close()
    return tmp_path


def _hold_write_lock(data) -> sqlite3.Connection:
    """A real second connection in the middle of a write transaction."""
    other = sqlite3.connect(data / DB_NAME, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO meta(key, value) VALUES('held', '1')")
    return other


def _nothing_moved(data) -> bool:
    return not list(data.glob("*.damaged-*")) and (data / DB_NAME).exists()


def test_a_write_lock_held_by_another_connection_is_busy_not_damage(data, monkeypatch):
    monkeypatch.setattr(engine.store, "BUSY_TIMEOUT_S", 0.3)
    other = _hold_write_lock(data)
    try:
        with pytest.raises(IndexBusy) as busy:
            Store.open(data)
        assert "is busy" in str(busy.value) and "\n" not in str(busy.value)
        notices: list[str] = []
        with pytest.raises(IndexBusy):
            IndexFiles(data, on_notice=notices.append).close()
        assert notices == []
        assert _nothing_moved(data)
    finally:
        other.rollback()
        other.close()
    store = Store.open(data)
    try:
        assert [p for _, p in store.folders()] == [str(data / "somewhere")]
    finally:
        store.close()


OUT_OF_DESCRIPTORS = textwrap.dedent(
    """
    import os, resource, sys
    from pathlib import Path
    from engine.errors import IndexDamagedError, KenningError
    from engine.index_files import IndexFiles
    from engine.store import Store
    data = Path(sys.argv[1])
    import engine.index_lock  # imported before the descriptors run out
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    held = []
    try:
        while True:
            held.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        pass
    os.close(held.pop())  # one left: enough for the lock file, not for SQLite's files
    try:
        IndexFiles(data).close()
        print("opened")
    except IndexDamagedError as exc:
        print("damaged:", exc)
    except KenningError as exc:
        print("error:", exc)
    """
)


def test_out_of_descriptors_is_a_clear_error_not_damage(data):
    done = subprocess.run(
        [sys.executable, "-c", OUT_OF_DESCRIPTORS, str(data)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip()
    assert out.startswith("error: cannot open the index database"), out
    assert len(out.splitlines()) == 1
    assert _nothing_moved(data)


def test_real_damage_is_still_damage(data):
    (data / DB_NAME).write_bytes(b"this is no sqlite file" * 300)
    with pytest.raises(IndexDamagedError):
        Store.open(data)
    notices: list[str] = []
    files = IndexFiles(data, on_notice=notices.append)
    files.close()
    assert len(notices) == 1 and "damaged" in notices[0]
    assert list(data.glob(DB_NAME + ".damaged-*"))


def test_open_errors_are_kenning_errors():
    assert issubclass(IndexBusy, KenningError)

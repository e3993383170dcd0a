"""Issue 14.11: `kenning index ~` with the data dir inside the folder never indexes the index."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.desktop.test_cli import kenning


@pytest.mark.model
def test_indexing_a_folder_that_holds_the_data_dir_leaves_the_data_dir_out(tmp_path: Path):
    home = tmp_path / "home"
    (home / "notes").mkdir(parents=True)
    (home / "notes" / "ledger.md").write_text("# Ledger\n\nMerge the ledger records nightly.\n")
    data_dir = home / ".local" / "share" / "kenning"
    # A text file the index would pick up at once if it walked into its own folder.
    data_dir.mkdir(parents=True)
    (data_dir / "notes-about-the-index.txt").write_text("the vector index lives here\n")

    for _ in range(2):  # the second run finds the store, WAL and vectors.json from the first
        done = kenning("index", str(home), "--model", "offline", data_dir=data_dir)
        assert done.returncode == 0, done.stderr

    conn = sqlite3.connect(f"file:{data_dir / 'index.sqlite3'}?mode=ro", uri=True)
    try:
        paths = [row[0] for row in conn.execute("SELECT path FROM files")]
    finally:
        conn.close()
    assert paths == [str(home / "notes" / "ledger.md")]
    status = kenning("status", "--json", data_dir=data_dir)
    assert json.loads(status.stdout)["files_indexed"] == 1

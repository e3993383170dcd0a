"""`kenning folders [list|add|remove]` manages the index's folder list (the app's list too)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.folder_list import indexed_folders


def kenning(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    # Loading the model on a busy shared machine can take minutes.
    env = dict(os.environ, KENNING_DATA_DIR=str(data_dir))
    command = [sys.executable, "-m", "desktop", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)


@pytest.mark.model
def test_folders_add_list_remove(tmp_path: Path) -> None:
    a, b = (tmp_path / "a").resolve(), (tmp_path / "b").resolve()
    a.mkdir()
    b.mkdir()
    (a / "soup.md").write_text("# Soup\n\nSimmer the lentils slowly.\n")
    (b / "bread.md").write_text("# Bread\n\nKnead the sourdough.\n")
    data = tmp_path / "data"

    empty = kenning("folders", "list", data_dir=data)
    assert empty.returncode == 0 and "No folders indexed yet" in empty.stdout

    added = kenning("folders", "add", str(a), str(b), "--model", "offline", data_dir=data)
    assert added.returncode == 0, added.stderr
    listed = kenning("folders", "list", "--json", data_dir=data)
    assert json.loads(listed.stdout) == {"folders": [str(a), str(b)]}

    removed = kenning("folders", "remove", str(b), data_dir=data)
    assert removed.returncode == 0, removed.stderr
    assert indexed_folders(data) == [a]
    search = kenning("search", "sourdough", "--mode", "lexical", "--json", data_dir=data)
    assert json.loads(search.stdout)["results"] == []

    refused = kenning("folders", "remove", str(tmp_path / "never"), data_dir=data)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"kenning: error: not an indexed folder: {tmp_path / 'never'} (indexed: {a})"
    ]

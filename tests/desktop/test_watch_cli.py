"""``kenning watch`` as a user runs it: a real process, a file saved, Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.keep_fresh import batch_line
from indexer.pipeline import IndexReport
from tests.desktop.stderr_lines import StderrLines

REPO = Path(__file__).resolve().parents[2]


def _kenning(*args: str, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "desktop", *args, "--data-dir", str(data_dir)]


def _search(query: str, data_dir: Path, mode: str) -> list[str]:
    done = subprocess.run(
        _kenning("search", query, "--json", "--mode", mode, "--limit", "3", data_dir=data_dir),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    return [r["path"] for r in json.loads(done.stdout)["results"]]


@pytest.mark.model
def test_a_saved_file_becomes_searchable_and_ctrl_c_ends_cleanly(tmp_path: Path) -> None:
    root, data_dir = tmp_path / "notes", tmp_path / "data"
    root.mkdir()
    (root / "garden.md").write_text("# Garden\n\nWater the tomatoes every morning in summer.\n")
    proc = subprocess.Popen(
        _kenning("watch", str(root), "--model", "offline", data_dir=data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=dict(os.environ),
    )
    lines = StderrLines(proc.stderr)  # type: ignore[arg-type]
    try:
        lines.wait_for(r"up to date: 1 files indexed")
        lines.wait_for(r"watching .* for changes; press Ctrl\+C to stop")
        saved = root / "boat.md"
        saved.write_text("# Boat\n\nThe sailboat keel needs fresh varnish before launch.\n")
        lines.wait_for(r"\d\d:\d\d:\d\d updated 1 file \(\d+ chunks\)")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(120) == 0, lines.rest()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    tail = lines.rest()
    assert "stopped; 1 batches of changes indexed" in tail
    assert "Traceback" not in "".join(lines.seen)
    # Searchable by its words, and by meaning: the vectors were saved when watch stopped.
    assert _search("varnish", data_dir, "lexical") == [str(saved)]
    assert _search("sailboat keel varnish", data_dir, "semantic")[0] == str(saved)


def test_watch_refuses_a_missing_folder_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        _kenning("watch", str(tmp_path / "nope"), data_dir=tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"kenning: error: no such folder: {tmp_path}/nope"]


def test_batch_line_says_what_changed_and_nothing_for_an_empty_batch() -> None:
    report = IndexReport(files_indexed=2, chunks_added=7, files_removed=1, files_failed=1)
    line = batch_line(report, clock=lambda: "12:04:31")
    assert line == (
        "12:04:31 updated 2 files (7 chunks), removed 1, 1 failed (kenning status lists why)"
    )
    assert batch_line(IndexReport(files_unchanged=3), clock=lambda: "x") is None

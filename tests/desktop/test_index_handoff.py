"""With the desktop app running, ``kenning index`` hands its folders to it (issue 14.2), and
``kenning show`` raises it instead of starting a second one: a real app process, offscreen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.instance_client import server_name, socket_path
from desktop.settings import Settings, default_settings_path, load_settings, save_settings
from tests.desktop.stderr_lines import StderrLines

pytestmark = [pytest.mark.gui, pytest.mark.model]

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 240.0


def _kenning(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )


def _lexical_paths(query: str, data_dir: Path) -> list[str]:
    done = _kenning("search", query, "--mode", "lexical", "--json", "--data-dir", str(data_dir))
    if done.returncode != 0:
        return []  # the app has not written its index yet
    return [r["path"] for r in json.loads(done.stdout)["results"]]


def _poll(predicate, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_index_hands_folders_to_the_running_app(tmp_path: Path) -> None:
    first, second, data_dir = tmp_path / "first", tmp_path / "second", tmp_path / "data"
    first.mkdir()
    second.mkdir()
    (first / "garden.md").write_text("# Garden\n\nWater the tomatoes every morning.\n")
    (second / "boat.md").write_text("# Boat\n\nThe keel needs fresh varnish.\n")
    save_settings(Settings(folders=[str(first)], first_run_done=True, model="offline"))
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env["QT_QPA_PLATFORM"] = "offscreen"
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--data-dir", str(data_dir), "-v"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    log = StderrLines(app.stderr)  # type: ignore[arg-type]
    try:
        _poll(lambda: socket_path(server_name(data_dir)).exists(), "the app's socket")
        _poll(lambda: _lexical_paths("tomatoes", data_dir), "the app's first index")

        handed = _kenning("index", str(second), "--data-dir", str(data_dir))
        assert handed.returncode == 0, handed.stderr
        assert handed.stderr.splitlines() == [
            f"kenning: the running Kenning app added {second} to its folders and is indexing "
            "them (it keeps them fresh; follow it in its window or with `kenning status`)"
        ]
        _poll(lambda: _lexical_paths("varnish", data_dir) == [str(second / "boat.md")], "B")
        assert load_settings(default_settings_path()).folders == [str(first), str(second)]

        # Asked again: nothing to add, the folder is refreshed.
        again = _kenning("index", str(second), "--data-dir", str(data_dir), "--model", "x")
        assert "is refreshing" in again.stderr and again.returncode == 0
        assert "it uses its own model, so --model is ignored" in again.stderr

        # `kenning show` reaches this app; it does not start another one.
        shown = _kenning("show", "--data-dir", str(data_dir))
        assert shown.returncode == 0 and shown.stderr == ""
        assert app.poll() is None
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(120)
        finally:
            if app.poll() is None:
                app.kill()
    assert app.returncode == 0, log.rest()


def test_index_without_a_running_app_indexes_by_itself(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nSome words about lighthouses.\n")
    done = _kenning(
        "index", str(folder), "--data-dir", str(tmp_path / "data"), "--model", "offline"
    )
    assert done.returncode == 0, done.stderr
    # (Whether a.md parsed is the pipeline's business; this checks who did the indexing.)
    assert done.stderr.count("Indexed ") == 1 and "running Kenning app" not in done.stderr


def test_show_starts_the_app_when_none_runs(tmp_path: Path) -> None:
    folder, data_dir = tmp_path / "empty", tmp_path / "data"
    folder.mkdir()
    save_settings(Settings(folders=[str(folder)], first_run_done=True, model="offline"))
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env["QT_QPA_PLATFORM"] = "offscreen"
    app = subprocess.Popen(
        [sys.executable, "-m", "desktop", "show", "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    log = StderrLines(app.stderr)  # type: ignore[arg-type]
    try:
        # The app is up when its single-instance socket is; a second `show` reaches it.
        _poll(lambda: socket_path(server_name(data_dir)).exists(), "the app's socket")
        again = _kenning("show", "--data-dir", str(data_dir))
        assert again.returncode == 0 and again.stderr == ""
        assert app.poll() is None
        # Quit once the model has loaded (its index exists): a quit during the load waits
        # for the load to end, which under load takes longer than this test waits.
        _poll(lambda: (data_dir / "index.sqlite3").exists(), "the app's index")
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(120)
        finally:
            if app.poll() is None:
                app.kill()
    assert app.returncode == 0, log.rest()

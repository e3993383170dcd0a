"""Promise 9: with the inotify watch limit used up over thousands of folders, the service
keeps working, tells the user once, and picks up changes in unwatched folders by rescanning.

The limit is real: the service runs in a child process inside a new user namespace whose
``max_inotify_watches`` is set to 50, so ``inotify_add_watch`` fails with ENOSPC as it does
when ``fs.inotify.max_user_watches`` runs out (without touching the machine's setting).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.reliability.conftest import REPO, scaled

pytestmark = pytest.mark.slow


def _can_unshare() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run(
        [unshare, "-U", "-r", "sh", "-c", "echo 50 > /proc/sys/user/max_inotify_watches"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare(), reason="user namespaces are not available here")
def test_a_used_up_watch_limit_is_told_and_covered_by_rescans(tmp_path):
    tree = tmp_path / "tree"
    folders = scaled(3000)
    for n in range(folders):
        folder = tree / f"area{n // 100:02d}" / f"dir{n:05d}"
        folder.mkdir(parents=True)
        if n % 10 == 0:
            (folder / "module.py").write_text(f"def function_{n}():\n    return {n}\n")
    runner = [sys.executable, "-m", "tests.reliability.watch_limit_runner"]
    proc = subprocess.run(
        ["unshare", "-U", "-r", *runner, str(tree), str(tmp_path / "data"), "50"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)

    assert result["first_index"]
    assert result["unwatched_change_indexed"]
    assert result["top_change_indexed"]
    limit_told = [p for p in result["problems"] if "inotify watch limit" in p]
    assert len(limit_told) == 1, result["problems"]
    assert "max_user_watches" in limit_told[0] and "rescanned every 1 s" in limit_told[0]
    assert "error" not in result["states"]
    assert result["stopped"] and result["threads_left"] == []

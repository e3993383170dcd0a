"""``kenning`` with no subcommand, as a real process: one instance, clean quit on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.app import broken_qt_binding
from desktop.settings import Settings, save_settings
from desktop.single_instance import SingleInstance, server_name

pytestmark = [pytest.mark.gui, pytest.mark.model]

REPO = Path(__file__).resolve().parents[2]


def launch(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_second_launch_defers_to_the_first_and_sigterm_quits_cleanly(qtbot, corpus):
    save_settings(Settings(folders=[str(corpus)], model="offline", first_run_done=True))
    data_dir = Path(os.environ["KENNING_DATA_DIR"])
    first = launch()
    try:
        probe = SingleInstance(server_name(data_dir))
        qtbot.waitUntil(lambda: first.poll() is None and probe.notify_running(200), timeout=60000)
        second = launch()
        assert second.wait(timeout=60) == 0, second.stdout.read() if second.stdout else ""
        assert first.poll() is None  # still the one running
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=120) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    output = first.stdout.read() if first.stdout else ""
    assert "Traceback" not in output, output


def test_the_installed_qt_binding_is_usable():
    assert broken_qt_binding() is None

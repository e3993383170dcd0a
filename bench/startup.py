"""Start-up: from launching ``kenning`` (the desktop app) to its window being shown.

    QT_QPA_PLATFORM=offscreen python -m bench.startup

Each run starts a fresh Python process with its own config/data dirs (first run already
done, one small folder configured, offline model), an application-wide Qt event filter that
reports the search window's first Show event, and the app's real entry point
(``desktop.cli.main([])``). The clock runs from spawning the process to that report; the
model keeps loading in the background. Baseline, alternating: the same process showing a
bare ``QMainWindow`` (Python + PySide6 start-up, the floor any Qt app pays).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import EVAL_CORPUS, REPO, WORK, machine, median, out

_CHILD = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication([sys.argv[0]])

class ShowProbe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Show and isinstance(obj, QMainWindow):
            heavy = [m for m in ("torch", "transformers", "sentence_transformers", "hnswlib",
                                 "tree_sitter", "watchdog", "numpy") if m in sys.modules]
            print("SHOWN", flush=True)
            print("LOADED " + ",".join(heavy), flush=True)
            QTimer.singleShot(0, app.quit)
            app.removeEventFilter(self)
        return False

probe = ShowProbe()
app.installEventFilter(probe)
if sys.argv[1] == "kenning":
    from desktop.cli import main
    main([])
else:
    window = QMainWindow()
    window.show()
    app.exec()
"""


def _environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env.update(
        QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        KENNING_DATA_DIR=str(home / "data" / "kenning"),
        PYTHONPATH=str(REPO),
    )
    return env


def _write_settings(home: Path) -> None:
    from desktop.settings import SETTINGS_FILE, Settings, save_settings

    folder = str((EVAL_CORPUS / "cpython" / "json").resolve())
    settings = Settings(folders=[folder], model="offline", first_run_done=True)
    # platformdirs.user_config_dir("kenning") under the child's XDG_CONFIG_HOME.
    save_settings(settings, home / "config" / "kenning" / SETTINGS_FILE)


_LOADED: dict[str, str] = {}


def _time_to_show(which: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, which],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    shown = float("inf")
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "SHOWN":
            shown = time.perf_counter() - started
        elif line.startswith("LOADED"):
            _LOADED[which] = line.split(" ", 1)[1].strip() if " " in line else ""
            break
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if shown == float("inf"):
        err = proc.stderr.read()[-500:] if proc.stderr else ""
        raise SystemExit(f"{which}: no window was shown: {err}")
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    out(f"machine: {machine()}")
    times: dict[str, list[float]] = {"kenning": [], "bare": []}
    for r in range(args.rounds):
        home = WORK / f"startup-home-{r}"
        _write_settings(home)
        env = _environment(home)
        for which in ["kenning", "bare"] if r % 2 == 0 else ["bare", "kenning"]:
            times[which].append(_time_to_show(which, env))
        out(
            f"  round {r + 1}: kenning window shown after {times['kenning'][-1]:.2f} s | "
            f"bare QMainWindow {times['bare'][-1]:.2f} s"
        )
    out(
        f"heavy modules already imported when the window showed: {_LOADED.get('kenning') or 'none'}"
    )
    k, b = median(times["kenning"]), median(times["bare"])
    out(
        f"median: kenning {k:.2f} s, bare PySide6 window {b:.2f} s, "
        f"kenning's own start-up cost {k - b:.2f} s ({k / b:.1f}x)"
    )
    out(json.dumps({"kenning_s": times["kenning"], "bare_s": times["bare"]}))


if __name__ == "__main__":
    main()

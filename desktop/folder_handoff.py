"""The app's side of the ``kenning index`` hand-off.

When the app runs on an index, ``kenning index PATH`` does not open a second writer on it:
it hands the folders over the single-instance socket, and the app adds them to its folder
list (saved in Settings) and indexes them with its own model and watcher, or, for folders it
already covers, reconciles them with the disk now. No Qt is needed here; the app calls this
on its GUI thread.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def take_folders(app: Any, folders: list[str]) -> tuple[bool, str]:
    """Add ``folders`` to ``app`` (a KenningApp) and index them; ``(ok, one line)``."""
    paths: list[Path] = []
    for folder in folders:
        path = Path(folder)
        if not path.is_absolute():
            return False, f"not an absolute path: {folder}"
        if not path.is_dir():
            return False, f"not a folder: {folder}"
        paths.append(path.resolve())
    if not paths:
        return False, "no folders given"
    current = [Path(f) for f in app.settings.folders]
    covered = [p for p in paths if any(p == c or p.is_relative_to(c) for c in current)]
    added = [p for p in dict.fromkeys(paths) if p not in covered]
    if added:
        wanted = dataclasses.replace(
            app.settings, folders=[*app.settings.folders, *(str(p) for p in added)]
        )
        app.apply_settings(wanted)
        if app.settings is not wanted:  # not saved: the notifier has said why
            return False, "the app could not save its settings (see its window)"
    if covered:
        app.service.reindex_all()
    parts = []
    if added:
        parts.append(f"added {_names(added)} to its folders and is indexing them")
    if covered:
        parts.append(f"is refreshing {_names(covered)}")
    message = "the running Kenning app " + " and ".join(parts)
    app.notifier.info(f"From kenning index: {', '.join(str(p) for p in paths)}")
    log.info("%s", message)
    return True, message


def _names(paths: list[Path]) -> str:
    shown = ", ".join(str(p) for p in paths[:3])
    return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")

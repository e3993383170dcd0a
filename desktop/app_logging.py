"""Logging for the desktop app: a rotating file under the platform's log folder.

The CLI logs to stderr only (``basicConfig`` in ``desktop.cli``); the app is usually started
from a launcher with nowhere to print, so it also writes ``kenning.log`` in
``platformdirs.user_log_dir`` (``~/.local/state/kenning/log`` on Linux, as the README says),
at most ``MAX_BYTES`` per file and ``BACKUPS`` old files. ``--verbose`` logs DEBUG there and on
stderr; otherwise the file gets INFO and stderr WARNING.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

LOG_NAME = "kenning.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"
_MARK = "_kenning_app_handler"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("kenning", appauthor=False))


def setup_app_logging(verbose: bool) -> Path | None:
    """Configure the root logger for the app; the log file's path, or None if unwritable.

    Calling it again replaces the handlers it added before (tests, a restarted app).
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("kenning: %(levelname)s: %(message)s"))
    setattr(console, _MARK, True)
    root.addHandler(console)
    path = log_dir() / LOG_NAME
    try:
        os.makedirs(path.parent, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as exc:  # a read-only home must not stop the app
        log.warning("cannot write the log file %s: %s", path, exc)
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    log.info("Kenning started; logging to %s%s", path, " (verbose)" if verbose else "")
    return path

"""The desktop app logs to a rotating file under the platform's log folder; -v means DEBUG."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from desktop.app_logging import LOG_NAME, log_dir, setup_app_logging


def _close_app_handlers() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_kenning_app_handler", False)]:
        root.removeHandler(handler)
        handler.close()


def test_the_log_file_is_under_the_platform_log_dir_and_honours_verbose() -> None:
    level = logging.getLogger().level
    try:
        path = setup_app_logging(verbose=False)
        assert path == log_dir() / LOG_NAME
        # The test's XDG_STATE_HOME: ~/.local/state/kenning/log on a real Linux desktop.
        assert path.parent == Path(os.environ["XDG_STATE_HOME"]) / "kenning" / "log"
        logging.getLogger("indexer.pipeline").debug("debug detail one")
        logging.getLogger("indexer.pipeline").info("indexed the ledger folder")
        setup_app_logging(verbose=True)
        logging.getLogger("indexer.pipeline").debug("debug detail two")
        text = path.read_text()
        assert "indexed the ledger folder" in text
        assert "debug detail one" not in text
        assert "debug detail two" in text
        # Set up twice: one file handler, not two.
        handlers = [h for h in logging.getLogger().handlers if hasattr(h, "baseFilename")]
        assert len([h for h in handlers if getattr(h, "_kenning_app_handler", False)]) == 1
    finally:
        _close_app_handlers()
        logging.getLogger().setLevel(level)


def test_an_unwritable_log_dir_does_not_stop_the_app(tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    level = logging.getLogger().level
    try:
        assert setup_app_logging(verbose=False) is None
    finally:
        _close_app_handlers()
        logging.getLogger().setLevel(level)

"""The notify API: logs, buffers until the UI attaches, and catches uncaught exceptions."""

from __future__ import annotations

import logging
import threading

import pytest

from desktop.notify import Level, Message, Notifier, install_excepthooks
from engine.errors import KenningError

pytestmark = pytest.mark.gui


def test_messages_before_the_ui_are_replayed_in_order(qtbot, caplog):
    notifier = Notifier()
    caplog.set_level(logging.INFO, logger="desktop.notify")
    notifier.info("model loaded")
    notifier.warning("inotify limit reached")
    seen: list[Message] = []
    notifier.attach_ui(seen.append)
    assert [(m.level, m.text) for m in seen] == [
        (Level.INFO, "model loaded"),
        (Level.WARNING, "inotify limit reached"),
    ]
    with qtbot.waitSignal(notifier.posted):
        notifier.error("disk full")
    assert seen[-1].text == "disk full"
    assert "inotify limit reached" in caplog.text  # every message is logged too


def test_kenning_errors_keep_their_message_others_get_a_prefix():
    notifier = Notifier()
    notifier.exception(KenningError("no index at /x: run `kenning index PATH` first"))
    notifier.exception(ValueError("bad"), "while saving")
    texts = [m.text for m in notifier.history]
    assert texts == [
        "no index at /x: run `kenning index PATH` first",
        "while saving: Unexpected error: ValueError: bad",
    ]
    assert "ValueError" in (notifier.history[-1].detail or "")


def test_worker_thread_exceptions_reach_the_ui_thread(qtbot):
    notifier = Notifier()
    received: list[Message] = []
    notifier.attach_ui(received.append)
    restore = install_excepthooks(notifier)
    try:

        def boom() -> None:
            raise RuntimeError("worker exploded")

        worker = threading.Thread(target=boom, name="test-worker")
        with qtbot.waitSignal(notifier.posted, timeout=10000):
            worker.start()
            worker.join()
        qtbot.waitUntil(lambda: bool(received))
    finally:
        restore()
    assert received[0].level is Level.ERROR
    assert received[0].text == "in test-worker: Unexpected error: RuntimeError: worker exploded"


def test_restore_puts_the_previous_hooks_back():
    import sys

    before = (sys.excepthook, threading.excepthook)
    restore = install_excepthooks(Notifier())
    assert sys.excepthook is not before[0]
    restore()
    assert (sys.excepthook, threading.excepthook) == before

"""Tray menu actions; the menu exists with or without a system tray."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QIcon

from desktop.tray import TrayController

pytestmark = pytest.mark.gui


def test_actions_emit_their_requests(qtbot):
    tray = TrayController(QIcon())
    for action, signal in (
        (tray.show_action, tray.show_requested),
        (tray.reindex_action, tray.reindex_requested),
        (tray.settings_action, tray.settings_requested),
        (tray.quit_action, tray.quit_requested),
    ):
        with qtbot.waitSignal(signal, timeout=1000):
            action.trigger()
    with qtbot.waitSignal(tray.pause_requested, check_params_cb=lambda p: p is True):
        tray.pause_action.trigger()
    tray.set_paused(True)
    assert tray.pause_action.text() == "Resume indexing"
    with qtbot.waitSignal(tray.pause_requested, check_params_cb=lambda p: p is False):
        tray.pause_action.trigger()
    tray.close()


def test_status_line_is_shown_in_the_menu(qtbot):
    tray = TrayController(QIcon(), use_tray=False)
    assert not tray.available
    tray.set_status("Indexing 10/40 files · 1 min left")
    assert tray.status_action.text() == "Indexing 10/40 files · 1 min left"
    assert not tray.status_action.isEnabled()
    assert tray.notify("Kenning", "done") is False  # no tray: nothing shown, caller falls back
    tray.close()

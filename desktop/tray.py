"""The tray icon and its menu.

The menu and its actions exist whether or not the desktop has a system tray, so the same
actions back the window's menu and the tests; the :class:`QSystemTrayIcon` itself is only
created when :meth:`QSystemTrayIcon.isSystemTrayAvailable` says a tray is there.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

log = logging.getLogger(__name__)


class TrayController(QObject):
    """Owns the tray menu's actions and, when there is a tray, the icon.

    Signals:
        show_requested(): "Show search" or a click on the icon.
        reindex_requested(): "Reindex all".
        pause_requested(bool): True to pause indexing, False to resume.
        settings_requested(): "Settings…".
        quit_requested(): "Quit".
    """

    show_requested = Signal()
    reindex_requested = Signal()
    pause_requested = Signal(bool)
    settings_requested = Signal()
    quit_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None, *, use_tray: bool = True):
        super().__init__(parent)
        self.menu = QMenu()
        self.show_action = self._add(self.tr("Show search"), self.show_requested.emit)
        self.menu.addSeparator()
        self.status_action = QAction(self.tr("Starting…"), self.menu)
        self.status_action.setEnabled(False)  # a line of text, not a command
        self.menu.addAction(self.status_action)
        self.reindex_action = self._add(self.tr("Reindex all"), self.reindex_requested.emit)
        self.pause_action = self._add(self.tr("Pause indexing"), self._on_pause_triggered)
        self.menu.addSeparator()
        self.settings_action = self._add(self.tr("Settings…"), self.settings_requested.emit)
        self.quit_action = self._add(self.tr("Quit Kenning"), self.quit_requested.emit)
        self._paused = False
        self.icon: QSystemTrayIcon | None = None
        if use_tray and QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(icon, self)
            self.icon.setContextMenu(self.menu)
            self.icon.setToolTip("Kenning")
            self.icon.activated.connect(self._on_activated)
            self.icon.show()
        else:
            log.info("no system tray: the window stays the app's only surface")

    @property
    def available(self) -> bool:
        return self.icon is not None

    def _add(self, text: str, slot: object) -> QAction:
        action = QAction(text, self.menu)
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    def _on_pause_triggered(self) -> None:
        self.pause_requested.emit(not self._paused)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    def set_paused(self, paused: bool) -> None:
        """Reflect the service's state; the label says what the action will do."""
        self._paused = paused
        self.pause_action.setText(
            self.tr("Resume indexing") if paused else self.tr("Pause indexing")
        )

    @property
    def paused(self) -> bool:
        return self._paused

    def set_status(self, line: str) -> None:
        self.status_action.setText(line)
        if self.icon is not None:
            self.icon.setToolTip(f"Kenning — {line}")

    def notify(self, title: str, text: str, error: bool = False) -> bool:
        """A desktop notification when the tray supports it; False when nothing was shown."""
        if self.icon is None or not self.icon.supportsMessages():
            return False
        kind = (
            QSystemTrayIcon.MessageIcon.Critical
            if error
            else QSystemTrayIcon.MessageIcon.Information
        )
        self.icon.showMessage(title, text, kind, 8000)
        return True

    def close(self) -> None:
        if self.icon is not None:
            self.icon.hide()
            self.icon.deleteLater()
            self.icon = None
        self.menu.deleteLater()

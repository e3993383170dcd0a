"""The Qt side of the global hotkey: the portal's thread reports here, widgets hear signals.

:class:`~desktop.shortcut_portal.ShortcutPortal` talks D-Bus on its own thread and calls plain
callbacks; this object re-emits them as Qt signals, which reach receivers on the GUI thread
(queued), so no widget is touched from the portal's thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.shortcut_portal import ShortcutPortal

log = logging.getLogger(__name__)

PortalFactory = Callable[..., Any]


class GlobalHotkey(QObject):
    """Registers the hotkey setting with the desktop, and re-registers it when it changes.

    Signals:
        activated(): the hotkey was pressed (anywhere on the desktop).
        ready(str): the desktop bound it; the key as the desktop describes it.
        unavailable(str): no portal binds it here; why (the trigger is :attr:`trigger`).
    """

    activated = Signal()
    ready = Signal(str)
    unavailable = Signal(str)

    def __init__(
        self, parent: QObject | None = None, *, portal_factory: PortalFactory = ShortcutPortal
    ) -> None:
        super().__init__(parent)
        self._factory = portal_factory
        self._portal: Any = None
        self.trigger = ""

    def start(self, trigger: str) -> None:
        """Bind ``trigger`` (``""``: no hotkey), replacing any earlier binding."""
        self.stop()
        self.trigger = trigger
        if not trigger:
            return
        # Plain callbacks that only emit: Qt queues each to the receivers' (GUI) thread.
        self._portal = self._factory(
            trigger,
            on_ready=self.ready.emit,
            on_unavailable=self.unavailable.emit,
            on_activated=self.activated.emit,
        )
        self._portal.start()

    def stop(self, timeout: float = 5.0) -> bool:
        portal, self._portal = self._portal, None
        if portal is None:
            return True
        stopped = bool(portal.stop(timeout))
        if not stopped:
            log.warning("the global hotkey's thread did not stop within %.1f s", timeout)
        return stopped

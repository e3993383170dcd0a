"""SIGTERM and SIGINT end the desktop app cleanly in every state.

``QApplication.quit()`` does nothing before ``exec()`` runs, so a logout (SIGTERM) while the
first-run wizard was open left the process behind. The handler here works in any state: it
rejects open modal dialogs (the wizard, Settings, a message box), then asks every running
event loop to end (``QCoreApplication.exit``, which also ends nested ``exec()`` loops), and
records the request so the start-up code does not go on to open the main window.

Python runs signal handlers only between bytecodes, so a timer wakes the interpreter while
Qt's loop waits in C++.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QDialog

log = logging.getLogger(__name__)

_WAKE_MS = 250


class QuitOnSignals:
    """Installs the handlers on creation; :meth:`stop` puts the previous ones back."""

    def __init__(self, qt_app: QApplication) -> None:
        self._qt_app = qt_app
        self.requested: int | None = None  # the signal that asked to quit, if any
        self._previous: dict[int, Callable[..., object] | int | None] = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._handle)
        self._timer = QTimer()
        self._timer.timeout.connect(lambda: None)
        self._timer.start(_WAKE_MS)

    def _handle(self, signum: int, _frame: object) -> None:
        self.requested = signum
        log.info("%s received: quitting", signal.Signals(signum).name)
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.reject()  # ends its exec(); the wizard's reject cancels a download
        QCoreApplication.exit(0)
        # exit() before a loop runs is forgotten by the next exec(): ask again from inside it.
        QTimer.singleShot(0, lambda: QCoreApplication.exit(0))

    def stop(self) -> None:
        self._timer.stop()
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)

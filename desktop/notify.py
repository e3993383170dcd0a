"""The one way to tell the user something: log it, then show it in the UI.

Any thread may call :meth:`Notifier.info`, :meth:`~Notifier.warning` or
:meth:`~Notifier.error`. The message is logged at once and emitted as a Qt signal; the
notifier lives on the GUI thread, so connected widgets receive it there (a queued
connection). Messages posted before the UI is attached are buffered and replayed, so a
failure during start-up is not lost. :func:`install_excepthooks` routes uncaught
exceptions from any thread through the same path.
"""

from __future__ import annotations

import enum
import logging
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from PySide6.QtCore import QObject, Signal

from engine.errors import KenningError

log = logging.getLogger(__name__)


class Level(enum.IntEnum):
    INFO = logging.INFO
    WARNING = logging.WARNING
    ERROR = logging.ERROR


@dataclass(frozen=True, slots=True)
class Message:
    level: Level
    text: str  # one line, fit for a status bar
    detail: str | None = None  # e.g. a traceback, for a "details" view


class Notifier(QObject):
    """Log-and-show hub for user-facing messages.

    Signals:
        posted(Message): a message to show; emitted on whatever thread posted it, delivered
            to GUI-thread receivers through the event loop.
    """

    posted = Signal(object)

    def __init__(self, parent: QObject | None = None, history: int = 200) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._attached = False
        self._pending: list[Message] = []
        self.history: deque[Message] = deque(maxlen=history)

    def attach_ui(self, receiver: Callable[[Message], None]) -> None:
        """Connect the UI's handler and replay what was posted before it existed."""
        self.posted.connect(receiver)
        with self._lock:
            self._attached = True
            pending, self._pending = self._pending, []
        for msg in pending:
            receiver(msg)

    def post(self, msg: Message) -> None:
        log.log(
            int(msg.level), "%s", msg.text if msg.detail is None else f"{msg.text}\n{msg.detail}"
        )
        with self._lock:
            self.history.append(msg)
            if not self._attached:
                self._pending.append(msg)
                return
        self.posted.emit(msg)

    def info(self, text: str) -> None:
        self.post(Message(Level.INFO, text))

    def warning(self, text: str) -> None:
        self.post(Message(Level.WARNING, text))

    def error(self, text: str, detail: str | None = None) -> None:
        self.post(Message(Level.ERROR, text, detail))

    def exception(self, exc: BaseException, context: str = "") -> None:
        """Report an exception: a KenningError's message is already user-facing."""
        if isinstance(exc, KenningError):
            text = str(exc)
        else:
            text = f"Unexpected error: {type(exc).__name__}: {exc}"
        if context:
            text = f"{context}: {text}"
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.error(text, detail)


def install_excepthooks(notifier: Notifier) -> Callable[[], None]:
    """Send uncaught exceptions (main thread, worker threads, Qt slots) to ``notifier``.

    Returns a function that puts the previous hooks back, called at shutdown.
    """
    previous_sys = sys.excepthook
    previous_thread = threading.excepthook

    def sys_hook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous_sys(exc_type, exc, tb)
            return
        notifier.exception(exc.with_traceback(tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread else "a worker thread"
        notifier.exception(args.exc_value, f"in {name}")

    sys.excepthook = sys_hook
    threading.excepthook = thread_hook

    def restore() -> None:
        sys.excepthook = previous_sys
        threading.excepthook = previous_thread

    return restore

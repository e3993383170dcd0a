"""The expected first-index time of each model choice, computed off the GUI thread.

The first-run wizard and Settings show, beside each model, how long the first index of the
chosen folders would take on this machine ("about 3 h on this CPU"), so a user picks
Qwen3 on a laptop CPU knowingly. The work (a bounded scan of the folders, a sample of files,
a one-second timed run of the bundled e5-small) runs on a thread; the result comes back
through a queued signal.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

log = logging.getLogger(__name__)

# folders -> {model key ("e5-small", "qwen3", "minilm"): phrase such as "about 3 h on this CPU"}
Estimator = Callable[[Sequence[str]], dict[str, str]]


def default_estimator(folders: Sequence[str]) -> dict[str, str]:
    from engine.hardware_default import detect_devices
    from indexer.index_estimate import estimate_corpus, model_speeds

    corpus = estimate_corpus(folders)
    speeds = model_speeds(detect_devices(), e5=_measured_e5())
    return {model: describe(corpus, speed) for model, speed in speeds.items()}


def describe(corpus: Any, speed: Any) -> str:
    """``indexer.index_estimate.describe``'s phrase in the interface language."""
    from indexer.index_estimate import duration_parts, first_index_seconds

    translate = QCoreApplication.translate
    if corpus.files == 0:
        return translate("IndexTimeEstimate", "nothing to index yet")
    unit, number = duration_parts(first_index_seconds(corpus, speed))
    if unit == "min":
        duration = translate("IndexTimeEstimate", "about {n} min").format(n=number)
    elif unit == "h":
        duration = translate("IndexTimeEstimate", "about {n} h").format(n=number)
    elif unit == "days":
        duration = translate("IndexTimeEstimate", "about {n} days").format(n=number)
    else:
        duration = translate("IndexTimeEstimate", "under a minute")
    if corpus.complete:
        phrase = translate("IndexTimeEstimate", "{duration} on this {device}")
    else:
        phrase = translate("IndexTimeEstimate", "at least {duration} on this {device}")
    return phrase.format(duration=duration, device=speed.device)


@functools.cache
def _measured_e5() -> object:
    """e5-small's speed here, timed once per process (about a second); None if it can't run."""
    from engine.e5_embedder import E5Embedder, e5_unavailable_reason
    from indexer.index_estimate import measure_throughput

    if e5_unavailable_reason() is not None:
        return None
    return measure_throughput(E5Embedder())


class IndexTimeEstimate(QObject):
    """Runs ``estimator(folders)`` on its own thread, once.

    Create it without a parent: the thread keeps it alive until it has emitted, so a page
    closed meanwhile only loses the (auto-disconnected) answer, never the emitting object.

    Signals:
        ready(object): the ``{model key: phrase}`` dict, delivered on the GUI thread.
        failed(str): a one-line reason.
    """

    ready = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        folders: Sequence[str],
        estimator: Estimator = default_estimator,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._folders = list(folders)
        self._estimator = estimator
        self._thread = threading.Thread(
            target=self._run, name="kenning-index-estimate", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float = 10.0) -> bool:
        """Join the thread (at shutdown); True when it has ended."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            estimates = self._estimator(self._folders)
        except Exception as exc:  # shown as "unknown" on the page; the log keeps the traceback
            log.exception("estimating the first index time failed")
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        self.ready.emit(estimates)

"""Where the headless core's callbacks become Qt signals.

``indexer.service.IndexService`` calls a plain ``ServiceListener`` from its worker thread.
:class:`ServiceBridge` is that listener: each callback only emits a signal. The bridge lives
on the GUI thread, so Qt queues every emission to the GUI event loop and widgets connected
to these signals run on the GUI thread. Nothing here touches a widget.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class ServiceBridge(QObject):
    """Implements ``indexer.service.ServiceListener`` by re-emitting on the GUI thread.

    Signals:
        state_changed(str): "loading-model", "scanning", "indexing", "idle", "paused",
            "error" or "stopped".
        progress(object): an ``indexer.pipeline.Progress``.
        download_progress(object, object): bytes of the model downloaded so far and in all
            (ints; objects because a model's size can exceed a 32-bit signal argument).
        model_ready(object, object): the embedder, and a notice (str) or None; the notice
            says e.g. that the bundled offline model is used instead of the default.
        index_finished(object, bool): an ``indexer.pipeline.IndexReport``, and whether this
            was the first complete index of the folders.
        problem(str): a one-line message for the user.
    """

    state_changed = Signal(str)
    progress = Signal(object)
    download_progress = Signal(object, object)
    model_ready = Signal(object, object)
    index_finished = Signal(object, bool)
    problem = Signal(str)

    # The listener callbacks, called from the service's worker thread.

    def on_state(self, state: str) -> None:
        log.debug("service state %s", state)
        self.state_changed.emit(state)

    def on_progress(self, progress: Any) -> None:
        # The pipeline keeps updating one Progress object; send a snapshot so the GUI reads
        # the numbers of this call, not whatever the worker has written since.
        if dataclasses.is_dataclass(progress) and not isinstance(progress, type):
            progress = dataclasses.replace(progress)
        self.progress.emit(progress)

    def on_download(self, done: int, total: int) -> None:
        self.download_progress.emit(done, total)

    def on_model_ready(self, embedder: Any, notice: str | None) -> None:
        self.model_ready.emit(embedder, notice)

    def on_index_finished(self, report: Any, first_run: bool) -> None:
        self.index_finished.emit(report, first_run)

    def on_problem(self, message: str) -> None:
        self.problem.emit(message)

"""The service bridge: callbacks from a worker thread arrive as signals on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, QThread, Slot

from desktop.qt_bridge import ServiceBridge
from indexer.pipeline import IndexReport, Progress

pytestmark = pytest.mark.gui


class Recorder(QObject):
    """Receives on the GUI thread and notes which thread each call ran on."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple, bool]] = []

    def _note(self, name: str, *args: object) -> None:
        self.calls.append((name, args, QThread.currentThread() is self.thread()))

    @Slot(str)
    def state(self, s: str) -> None:
        self._note("state", s)

    @Slot(object)
    def progress(self, p: object) -> None:
        self._note("progress", p)

    @Slot(object, object)
    def model(self, e: object, n: object) -> None:
        self._note("model", e, n)

    @Slot(object, bool)
    def finished(self, r: object, first: bool) -> None:
        self._note("finished", r, first)

    @Slot(str)
    def problem(self, m: str) -> None:
        self._note("problem", m)


def test_callbacks_from_a_worker_are_delivered_on_the_gui_thread(qtbot):
    bridge = ServiceBridge()
    rec = Recorder()
    bridge.state_changed.connect(rec.state)
    bridge.progress.connect(rec.progress)
    bridge.model_ready.connect(rec.model)
    bridge.index_finished.connect(rec.finished)
    bridge.problem.connect(rec.problem)
    progress = Progress(phase="indexing", files_total=4, files_done=1)
    report = IndexReport(files_indexed=4)

    def work() -> None:
        bridge.on_state("indexing")
        bridge.on_progress(progress)
        bridge.on_model_ready("the-embedder", "using the offline model")
        bridge.on_index_finished(report, True)
        bridge.on_problem("cannot watch /x")

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert rec.calls == []  # queued: nothing ran on the worker thread
    progress.files_done = 99  # the pipeline keeps writing to its Progress object
    qtbot.waitUntil(lambda: len(rec.calls) == 5)
    assert [c[0] for c in rec.calls] == ["state", "progress", "model", "finished", "problem"]
    assert all(on_gui for _, _, on_gui in rec.calls)
    assert rec.calls[1][1][0].files_done == 1  # a snapshot of the call, not the live object
    assert rec.calls[2][1] == ("the-embedder", "using the offline model")
    assert rec.calls[3][1] == (report, True)

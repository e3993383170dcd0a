"""A ServiceListener that records what the IndexService says and lets a test wait on it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from indexer.pipeline import IndexReport, Progress


class Recorder:
    """Every callback is recorded under a condition; ``wait_for`` re-checks on each one."""

    def __init__(self) -> None:
        self.states: list[str] = []
        self.finished: list[IndexReport] = []
        self.problems: list[str] = []
        self.cond = threading.Condition()

    def _record(self, into: list, item: object) -> None:
        with self.cond:
            into.append(item)
            self.cond.notify_all()

    def on_state(self, state: str) -> None:
        self._record(self.states, state)

    def on_progress(self, progress: Progress) -> None:
        with self.cond:
            self.cond.notify_all()

    def on_download(self, done: int, total: int) -> None:
        with self.cond:
            self.cond.notify_all()

    def on_model_ready(self, embedder: object, notice: str | None) -> None:
        with self.cond:
            self.cond.notify_all()

    def on_index_finished(self, report: IndexReport, first_run: bool) -> None:
        self._record(self.finished, report)

    def on_problem(self, message: str) -> None:
        self._record(self.problems, message)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds, checking it after every callback.

        Predicates may read the store, which a run changes before its last callback, so a
        check after each callback sees every state the service settles in.
        """
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

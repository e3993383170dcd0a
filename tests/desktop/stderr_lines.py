"""Read a child process's stderr on a thread, so waiting for a line has a deadline."""

from __future__ import annotations

import queue
import re
import threading
import time
from typing import IO

import pytest

DEFAULT_TIMEOUT_S = 240.0


class StderrLines:
    """Every line the process writes, and a way to wait for one that matches."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put("")  # end of stream: the process exited

    def wait_for(self, pattern: str, timeout: float = DEFAULT_TIMEOUT_S) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line == "":
                break
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
            if time.monotonic() > deadline:
                break
        pytest.fail(f"no line matching {pattern!r}; stderr so far:\n{''.join(self.seen)}")

    def rest(self, timeout: float = 60.0) -> str:
        """Everything until the stream ends (call after the process was told to exit)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line == "":
                break
            self.seen.append(line)
        return "".join(self.seen)

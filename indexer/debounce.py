"""Coalesce a stream of changed paths into batches, per path, on a background thread.

An editor's save is often four events (create temp, write, rename over, chmod) and a
``git checkout`` is thousands; indexing each event as it comes would index the same file
several times, half-written. A path is handed on once it has been quiet for ``quiet_s``, or
once it has waited ``max_delay_s`` since its first event, so a file written to without end
(a log) is still indexed now and then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_QUIET_S = 0.4
DEFAULT_MAX_DELAY_S = 5.0


class Debouncer:
    """Collects paths with :meth:`add` and calls ``flush(paths)`` from its own thread.

    Each call of ``flush`` receives every path that is due at that moment, as one set; a path
    added again while it waits is still flushed once. ``flush`` runs on the debouncer thread:
    keep it short (hand the batch to a queue). An exception from it is logged and the
    debouncer goes on.
    """

    def __init__(
        self,
        flush: Callable[[set[Path]], None],
        *,
        quiet_s: float = DEFAULT_QUIET_S,
        max_delay_s: float = DEFAULT_MAX_DELAY_S,
        name: str = "kenning-debounce",
    ) -> None:
        if quiet_s <= 0 or max_delay_s <= 0:
            raise ValueError(
                f"delays must be positive, got quiet_s={quiet_s}, max_delay_s={max_delay_s}"
            )
        self._flush = flush
        self._quiet_s = quiet_s
        self._max_delay_s = max_delay_s
        self._cond = threading.Condition()
        # Two orders over the same pending paths, so the next deadline of either kind is at the
        # front and a storm of 20k paths costs O(1) per event, not a scan per wake-up.
        self._last_seen: OrderedDict[Path, float] = OrderedDict()  # oldest last event first
        self._first_seen: dict[Path, float] = {}  # insertion order = oldest first event first
        self._flush_all = False
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, paths: Iterable[Path]) -> None:
        """Note that ``paths`` changed now."""
        now = time.monotonic()
        with self._cond:
            if self._stopping:
                return
            was_idle = not self._first_seen
            for path in paths:
                self._last_seen[path] = now
                self._last_seen.move_to_end(path)
                self._first_seen.setdefault(path, now)
            # A new event never brings the next deadline forward (it is the latest of all), so
            # the thread is woken only when it had nothing to wait for. Waking it on every
            # event of a storm would hand on a trickle of tiny batches.
            if was_idle:
                self._cond.notify()

    def flush_now(self) -> None:
        """Hand on everything pending at once, without waiting for it to be quiet."""
        with self._cond:
            self._flush_all = True
            self._cond.notify()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._first_seen)

    def stop(self, timeout: float = 5.0) -> bool:
        """Drop what is pending, end the thread; True when it ended within ``timeout``.

        Pending paths are dropped, not flushed: whoever stops the debouncer is shutting down,
        and the next start reconciles the folders anyway.
        """
        with self._cond:
            self._stopping = True
            self._last_seen.clear()
            self._first_seen.clear()
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._cond:
                batch = self._wait_for_batch()
            if batch is None:
                return
            try:
                self._flush(batch)
            except Exception:
                log.exception("Handing on %d changed paths failed", len(batch))

    def _wait_for_batch(self) -> set[Path] | None:
        """Block until some paths are due (or stop); take them. Called with the lock held."""
        while not self._stopping:
            if self._flush_all:
                self._flush_all = False
                if self._first_seen:
                    batch = set(self._first_seen)
                    self._last_seen.clear()
                    self._first_seen.clear()
                    return batch
                continue
            now = time.monotonic()
            # Paths due a little later ride along, so a storm goes out in a few large batches
            # rather than one tiny batch per wake-up.
            batch = self._take_due(now + self._quiet_s / 4)
            if batch:
                return batch
            self._cond.wait(self._next_deadline() - now if self._first_seen else None)
        return None

    def _take_due(self, horizon: float) -> set[Path]:
        due: set[Path] = set()
        while self._last_seen:
            path, last = next(iter(self._last_seen.items()))
            if last + self._quiet_s > horizon:
                break
            due.add(path)
            del self._last_seen[path]
            del self._first_seen[path]
        while self._first_seen:
            path, first = next(iter(self._first_seen.items()))
            if first + self._max_delay_s > horizon:
                break
            due.add(path)
            del self._first_seen[path]
            del self._last_seen[path]
        return due

    def _next_deadline(self) -> float:
        quiet = next(iter(self._last_seen.values())) + self._quiet_s
        longest = next(iter(self._first_seen.values())) + self._max_delay_s
        return min(quiet, longest)

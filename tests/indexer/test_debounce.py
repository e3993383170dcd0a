"""Debouncer: per-path coalescing on a real thread, observed through conditions, not sleeps."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from indexer.debounce import Debouncer

WAIT = 10.0


class Batches:
    """A flush callable that records every batch and lets a test wait for paths to arrive."""

    def __init__(self) -> None:
        self.batches: list[set[Path]] = []
        self._cond = threading.Condition()

    def __call__(self, paths: set[Path]) -> None:
        with self._cond:
            self.batches.append(set(paths))
            self._cond.notify_all()

    def seen(self) -> set[Path]:
        with self._cond:
            return set().union(*self.batches)

    def wait_for(self, paths: set[Path], timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: paths <= set().union(*self.batches), timeout)


@pytest.fixture
def make_debouncer():
    made: list[Debouncer] = []

    def make(flush, **kwargs) -> Debouncer:
        deb = Debouncer(flush, **kwargs)
        deb.start()
        made.append(deb)
        return deb

    yield make
    for deb in made:
        assert deb.stop(WAIT)


def test_a_change_is_handed_on_once_it_is_quiet(make_debouncer):
    got = Batches()
    deb = make_debouncer(got, quiet_s=0.05, max_delay_s=1.0)
    deb.add([Path("/r/a.py")])
    assert got.wait_for({Path("/r/a.py")})
    assert got.batches == [{Path("/r/a.py")}]
    assert deb.pending == 0


def test_repeated_events_for_the_same_paths_coalesce_into_one_batch(make_debouncer):
    got = Batches()
    # Nothing becomes due by itself in this test: flush_now hands on the whole window.
    deb = make_debouncer(got, quiet_s=60.0, max_delay_s=120.0)
    paths = [Path(f"/r/f{i}.txt") for i in range(10)]
    for _ in range(100):
        deb.add(paths)
    assert deb.pending == 10
    deb.flush_now()
    assert got.wait_for(set(paths))
    assert got.batches == [set(paths)]
    assert deb.pending == 0


def test_a_path_that_never_goes_quiet_is_still_handed_on_after_the_max_delay(make_debouncer):
    got = Batches()
    deb = make_debouncer(got, quiet_s=60.0, max_delay_s=0.2)
    log_file = Path("/r/app.log")
    tick = threading.Event()
    for _ in range(int(WAIT / 0.005)):
        deb.add([log_file])  # a write storm that never stops
        if got.seen():
            break
        tick.wait(0.005)
    assert got.seen() == {log_file}


def test_a_burst_from_many_threads_hands_on_every_path_exactly_once(make_debouncer):
    got = Batches()
    deb = make_debouncer(got, quiet_s=0.05, max_delay_s=0.5)
    paths = [Path(f"/r/d{i % 37}/f{i}.py") for i in range(5000)]

    def produce(part: list[Path]) -> None:
        for path in part:
            deb.add([path])

    producers = [threading.Thread(target=produce, args=(paths[i::4],)) for i in range(4)]
    for thread in producers:
        thread.start()
    for thread in producers:
        thread.join(WAIT)
    assert got.wait_for(set(paths))
    assert sum(len(batch) for batch in got.batches) == len(paths)
    assert deb.pending == 0


def test_a_failing_flush_is_logged_and_the_debouncer_goes_on(make_debouncer, caplog):
    got = Batches()
    fail_once = threading.Event()

    def flush(paths: set[Path]) -> None:
        if not fail_once.is_set():
            fail_once.set()
            raise RuntimeError("queue closed")
        got(paths)

    deb = make_debouncer(flush, quiet_s=0.05, max_delay_s=1.0)
    with caplog.at_level(logging.ERROR, logger="indexer.debounce"):
        deb.add([Path("/r/first")])
        assert fail_once.wait(WAIT)
        deb.add([Path("/r/second")])
        assert got.wait_for({Path("/r/second")})
    assert "queue closed" in caplog.text
    assert Path("/r/first") not in got.seen()


def test_stop_drops_pending_paths_and_ends_the_thread():
    got = Batches()
    baseline = set(threading.enumerate())
    deb = Debouncer(got, quiet_s=60.0, max_delay_s=120.0)
    deb.start()
    deb.add([Path("/r/x")])
    assert deb.stop(WAIT)
    deb.add([Path("/r/y")])  # ignored once stopped
    assert deb.pending == 0
    assert got.batches == []
    assert set(threading.enumerate()) == baseline


def test_stop_before_start_is_fine():
    assert Debouncer(Batches()).stop(WAIT)


@pytest.mark.parametrize(("quiet", "longest"), [(0.0, 1.0), (1.0, -1.0)])
def test_rejects_delays_that_are_not_positive(quiet, longest):
    with pytest.raises(ValueError, match="must be positive"):
        Debouncer(Batches(), quiet_s=quiet, max_delay_s=longest)

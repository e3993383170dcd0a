"""Promise 1: SIGKILL the indexer at random points; every restart finds a consistent index.

The indexer runs as a child process (``index_runner``: the real pipeline, parse worker, store
and vector index with the fast hashing embedder). Between runs the tree is edited (files
changed in place, added, deleted, renamed), so every run has work to do; each run is killed
at a random moment, from start-up (store open, vector-index rebuild) through the work and the
final save. After every kill the data directory is checked as the next run would find it.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time

import pytest

from tests.reliability.conftest import fresh_index, run_runner, scaled, start_runner
from tests.reliability.corpus import mutate, write_corpus
from tests.reliability.index_state import chunk_set, incomplete_files, integrity_problems
from tests.reliability.processes import children, exits_within

pytestmark = pytest.mark.slow


def _kill_at(proc: subprocess.Popen[str], delay: float, *, after_ready: bool) -> str:
    """SIGKILL ``proc`` ``delay`` s after it started (or said ready); what it had done."""
    if after_ready:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the pipeline is open
        if not line.startswith("ready"):
            proc.wait()
            pytest.fail(f"the runner failed to start: {proc.stderr.read()}")
    try:
        proc.wait(timeout=delay)
        phase = "finished before the kill"
    except subprocess.TimeoutExpired:
        workers = children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # A parse worker whose indexer died must end by itself (end-of-file on its socket).
        for pid in workers:
            assert exits_within(pid, 30), f"parse worker {pid} outlived its killed indexer"
        phase = "killed"
    proc.stdout.close()
    proc.stderr.close()
    return phase


def test_random_sigkills_leave_a_consistent_index_and_a_final_run_equals_a_clean_one(
    tmp_path, runner_embedder
):
    root = tmp_path / "tree"
    data = tmp_path / "data"
    write_corpus(root, scaled(150), seed=7)
    rng = random.Random(20240607)

    started = time.monotonic()
    run_runner(data, root)  # the first full index, uninterrupted: a baseline for kill times
    full_s = time.monotonic() - started

    kills = scaled(24)
    outcomes = []
    for n in range(kills):
        mutate(root, rng, rng.randint(10, 60), serial_base=n + 1)
        proc = start_runner(data, root)
        if rng.random() < 0.25:  # during start-up: store open, vector load or rebuild
            outcome = _kill_at(proc, rng.uniform(0.0, full_s / 2), after_ready=False)
        else:
            outcome = _kill_at(proc, rng.uniform(0.0, full_s / 2), after_ready=True)
        outcomes.append(outcome)
        problems = integrity_problems(data) + incomplete_files(
            data, root, runner_embedder.count_tokens, runner_embedder.max_tokens
        )
        assert not problems, f"after run {n} ({outcome}): {problems[:5]}"
    # Most runs are cut short (the rest end before their kill time: also a valid sample).
    assert outcomes.count("killed") >= kills // 2, outcomes

    run_runner(data, root)
    clean = fresh_index(tmp_path / "clean", root)
    assert not integrity_problems(data)
    assert chunk_set(data) == chunk_set(clean)

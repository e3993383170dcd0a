"""Shared set-up for the reliability suite: scale, the indexer as a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder
from tests.reliability import index_runner

REPO = Path(__file__).resolve().parents[2]

# Multiplies the number of kills, files and events; CI runs 1, a soak run e.g. 10.
SCALE = max(0.1, float(os.environ.get("KENNING_RELIABILITY_SCALE", "1")))


def scaled(n: int) -> int:
    return max(1, round(n * SCALE))


def start_runner(data_dir: Path, root: Path, *extra: str) -> subprocess.Popen[str]:
    """The indexer in a child process (tests/reliability/index_runner.py)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.index_runner", str(data_dir), str(root), *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_runner(data_dir: Path, root: Path) -> str:
    proc = start_runner(data_dir, root)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out


def load_in_child(data_dir: Path) -> dict[str, object]:
    """The saved vector index as a new process loads it (tests/reliability/load_vectors.py).

    A loader crash (a segfault in hnswlib) fails the test instead of ending the test run.
    """
    proc = subprocess.run(
        [sys.executable, "-m", "tests.reliability.load_vectors", str(data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"loading the vector index failed: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


def fresh_index(data_dir: Path, root: Path) -> Path:
    """A clean index of ``root`` made in this process, the same way the runner makes one."""
    pipeline = index_runner.make_pipeline(data_dir)
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    return data_dir


def hashing_pipeline(
    data_dir: Path,
    *,
    dim: int = 64,
    on_notice: Callable[[str], None] | None = None,
    **options: object,
) -> Pipeline:
    """The real pipeline with the fast hashing embedder."""
    return Pipeline(
        data_dir, HashingEmbedder(dim=dim), options=IndexOptions(**options), on_notice=on_notice
    )


@pytest.fixture
def runner_embedder() -> HashingEmbedder:
    """An embedder counting tokens as the runner's does (for completeness checks)."""
    return HashingEmbedder(dim=index_runner.DIM)

"""Promises 10 and 11: event storms, and quitting during one.

The real IndexService (watchdog, debouncer, pipeline, parse worker, store) watches a tree
while it is hit by 20 000 new files, a branch switch (files deleted, rewritten and added, a
folder renamed), an ``npm install``-like burst into ``node_modules``, folders moved in and out
of the root, and editors' atomic saves (write a temporary file, rename it over the original).
Once the storm is over, the index must equal a fresh crawl of the final tree. Quitting while
such a storm is under way must end every thread within 5 s.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
from pathlib import Path

import pytest

from indexer.pipeline import IndexOptions
from indexer.service import IndexService
from tests.fake_embedder import HashingEmbedder
from tests.reliability.conftest import scaled, start_runner
from tests.reliability.corpus import mutate, write_corpus
from tests.reliability.index_state import chunk_set, integrity_problems
from tests.reliability.processes import exits_within
from tests.reliability.service_listener import Recorder

pytestmark = pytest.mark.slow

CONVERGE_S = 600.0


@pytest.fixture
def service_for(tmp_path):
    """Start an IndexService on a tree; on teardown stop it and check no thread is left."""
    baseline = set(threading.enumerate())
    started: list[IndexService] = []

    def start(tree: Path) -> tuple[IndexService, Recorder]:
        listener = Recorder()
        service = IndexService(
            tmp_path / "data",
            lambda: HashingEmbedder(dim=64),
            [tree],
            listener=listener,
            options=IndexOptions(group_chunks=256),
            quiet_s=0.2,
            max_delay_s=2.0,
        )
        started.append(service)
        service.start()
        assert listener.wait_for(lambda: bool(listener.finished), CONVERGE_S)
        return service, listener

    yield start
    for service in started:
        assert service.stop(5.0)
    assert set(threading.enumerate()) == baseline


def _many_files(root: Path, count: int, tag: str) -> None:
    for n in range(count):
        folder = root / f"d{n // 250:03d}"
        if n % 250 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{tag}{n}.py").write_text(f"def {tag}_{n}():\n    return {n}\n")


def _branch_switch(tree: Path, rng: random.Random) -> None:
    mutate(tree, rng, 150, serial_base=900)
    pkgs = sorted(p for p in tree.glob("pkg*") if p.is_dir())
    os.rename(pkgs[0], tree / "renamed_package")


def _npm_install(tree: Path) -> None:
    modules = tree / "node_modules"
    for n in range(scaled(3000)):
        folder = modules / f"pkg{n // 30}" / "lib"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{n}.js").write_text(f"module.exports = {n};\n")
    (tree / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    (tree / "package.json").write_text('{"name": "storm", "dependencies": {}}\n')


def _moves(tree: Path, outside: Path) -> None:
    incoming = outside / "incoming"
    write_corpus(incoming, 40, seed=13)
    os.rename(incoming, tree / "moved_in")
    leaving = sorted(p for p in tree.glob("pkg*") if p.is_dir())[-1]
    os.rename(leaving, outside / "moved_out")


def _atomic_saves(tree: Path, rng: random.Random) -> None:
    files = sorted(tree.glob("pkg*/**/*.py"))[:50]
    for round_ in range(5):
        for path in files:
            tmp = path.with_name(f".{path.name}.swp")
            tmp.write_text(f"def saved_{round_}_{rng.randrange(10**6)}():\n    return 0\n")
            os.replace(tmp, path)


def _fresh(tree: Path, data: Path):
    """A fresh crawl of the final tree, in a child process: the service indexes the storm
    meanwhile, and in this process the two would take turns on one interpreter lock."""
    runner = start_runner(data, tree, "--group-chunks", "256", "--in-process-parsers")
    _, err = runner.communicate(timeout=CONVERGE_S)
    assert runner.returncode == 0, err
    return chunk_set(data)


def test_after_storms_the_index_equals_a_fresh_crawl(tmp_path, service_for):
    tree = tmp_path / "tree"
    outside = tmp_path / "outside"
    write_corpus(tree, 200, seed=17)
    outside.mkdir()
    _, listener = service_for(tree)
    rng = random.Random(5)

    _many_files(tree / "generated", scaled(20_000), "gen")
    _branch_switch(tree, rng)
    _npm_install(tree)
    _moves(tree, outside)
    _atomic_saves(tree, rng)
    shutil.rmtree(tree / "generated" / "d000")  # and a folder deleted mid-storm

    expected = _fresh(tree, tmp_path / "fresh")
    # Compared whenever the service goes idle (reading 20 000 chunks on every progress
    # callback would slow the service down).
    converged = listener.wait_for(
        lambda: listener.states[-1] == "idle" and chunk_set(tmp_path / "data") == expected,
        CONVERGE_S,
    )
    got = chunk_set(tmp_path / "data")
    assert converged, (
        f"{len(got - expected)} chunks not in a fresh crawl, {len(expected - got)} missing; "
        f"e.g. {sorted(got - expected)[:2]} / {sorted(expected - got)[:2]}"
    )
    assert not [p for p in listener.problems if "failed" in p.lower()], listener.problems
    assert not any(str(tree / "node_modules") in path for path, *_ in got)
    assert integrity_problems(tmp_path / "data") == []


def test_quitting_during_a_storm_ends_every_thread_within_5_s(tmp_path, service_for):
    tree = tmp_path / "tree"
    write_corpus(tree, 100, seed=19)
    service, listener = service_for(tree)
    baseline = set(threading.enumerate())
    stop_storm = threading.Event()
    created = threading.Semaphore(0)

    def storm() -> None:
        n = 0
        while not stop_storm.is_set():
            folder = tree / "storm" / f"d{n // 100}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"s{n}.py").write_text(f"def storm_{n}():\n    return {n}\n")
            created.release()
            n += 1

    writer = threading.Thread(target=storm)
    writer.start()
    try:
        for _ in range(scaled(3000)):  # well into the storm: events queued, runs under way
            created.acquire()
        assert listener.wait_for(lambda: listener.states[-1] in ("indexing", "scanning"), 60)
        worker = service._pipeline._parser.pid
        assert service.stop(5.0)
    finally:
        stop_storm.set()
        writer.join()
    assert listener.states[-1] == "stopped"
    service_threads = set(threading.enumerate()) - baseline
    assert service_threads == set()
    assert worker is None or exits_within(worker, 0.0)

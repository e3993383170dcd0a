"""Promise: switching the model never takes search away. The new model's index is built
beside the one in place; keyword and semantic search answer from the old model until the
new index is complete, then from the new one; a kill -9 in the middle resumes without
redoing finished work; going back to the old model cancels the switch and loses nothing."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from desktop.cli import main
from engine.errors import ModelMismatchError
from engine.index_files import SWITCH_DIR
from engine.search import Searcher
from engine.store import DB_NAME, Store
from engine.vector_index import INDEX_NAME
from indexer.pipeline import IndexOptions, Pipeline, Progress
from indexer.service import IndexService
from tests.fake_embedder import HashingEmbedder
from tests.reliability.conftest import REPO
from tests.reliability.corpus import write_corpus
from tests.reliability.index_state import chunk_set, integrity_problems
from tests.reliability.service_listener import Recorder
from tests.reliability.switch_runner import DIM

OLD, NEW = "test/old-model", "test/new-model"
QUERIES = ["parse render upload", "ledger payment refund", "socket buffer stream thread"]


class GatedEmbedder(HashingEmbedder):
    """Stops before its ``after``-th document batch until the test opens the gate."""

    def __init__(self, after: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.after = after
        self.batches = 0
        self.reached = threading.Event()
        self.gate = threading.Event()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.batches += 1
        if self.batches >= self.after:
            self.reached.set()
            self.gate.wait()
        return super().embed_documents(texts)


class CancellingEmbedder(HashingEmbedder):
    """Cancels the run (as quitting or pausing does) once it has embedded ``after`` batches."""

    def __init__(self, cancel: threading.Event, after: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.cancel, self.after, self.batches = cancel, after, 0

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.batches += 1
        if self.batches >= self.after:
            self.cancel.set()
        return super().embed_documents(texts)


class ProgressRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.switching: set[str | None] = set()

    def on_progress(self, progress: Progress) -> None:
        with self.cond:
            self.switching.add(progress.switching_to)
        super().on_progress(progress)


@pytest.fixture
def old_index(tmp_path):
    tree = tmp_path / "tree"
    write_corpus(tree, 40, seed=7)
    data = tmp_path / "data"
    pipeline = Pipeline(data, HashingEmbedder(dim=64, model_id=OLD))
    pipeline.index([tree])
    pipeline.close()
    return tree, data


def _model(data) -> tuple[str, int] | None:
    store = Store.open(data, readonly=True)
    try:
        return store.model_info()
    finally:
        store.close()


def _answers(searcher: Searcher, mode: str) -> list[list[tuple[str, int]]]:
    return [[(r.path, r.start_line) for r in searcher.search(q, mode=mode)] for q in QUERIES]


def test_search_answers_from_the_old_model_until_the_new_one_is_complete(old_index):
    tree, data = old_index
    before = chunk_set(data)
    old_embedder = HashingEmbedder(dim=64, model_id=OLD)
    new_embedder = GatedEmbedder(after=3, dim=32, model_id=NEW)
    listener = ProgressRecorder()
    service = IndexService(
        data,
        lambda: new_embedder,
        [tree],
        listener=listener,
        watch=False,
        options=IndexOptions(group_chunks=16),
    )
    service.start()
    window = None
    try:
        assert new_embedder.reached.wait(120), listener.problems
        # Mid-way: the index in place is untouched and every kind of search answers from it.
        assert _model(data) == (OLD, 64)
        assert chunk_set(data) == before
        lexical = Searcher(data, None)
        cli = Searcher(data, old_embedder)
        window = Searcher(data, old_embedder, vectors=service)
        try:
            assert all(_answers(lexical, "lexical"))
            semantic = _answers(cli, "semantic")
            assert all(semantic)
            assert _answers(window, "semantic") == semantic
        finally:
            lexical.close()
            cli.close()
        assert listener.switching == {NEW}
        assert (data / SWITCH_DIR).is_dir()

        new_embedder.gate.set()
        assert listener.wait_for(lambda: listener.finished and service.state == "idle", 120)
    finally:
        new_embedder.gate.set()
        assert service.stop(10)
        if window is not None:
            window.close()
    assert listener.problems == [] or all("Started re-embedding" in p for p in listener.problems)
    assert _model(data) == (NEW, 32)
    assert not (data / SWITCH_DIR).exists()
    assert chunk_set(data) == before
    assert integrity_problems(data) == []
    after = Searcher(data, HashingEmbedder(dim=32, model_id=NEW))
    try:
        assert all(_answers(after, "semantic"))
    finally:
        after.close()
    with pytest.raises(ModelMismatchError):
        Searcher(data, old_embedder)


def test_a_switch_killed_mid_way_resumes_where_it_stopped(old_index, capsys):
    tree, data = old_index
    before = chunk_set(data)
    command = [sys.executable, "-m", "tests.reliability.switch_runner", str(data), str(tree)]
    proc = subprocess.Popen(
        [*command, NEW], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    total_seen = 0
    for line in proc.stdout:
        if line.startswith("chunks") and int(line.split()[1]) >= 40:
            total_seen = int(line.split()[1])
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL and total_seen
    # Killed mid-way: the index in place still answers, from the old model.
    assert _model(data) == (OLD, 64)
    assert chunk_set(data) == before
    cli = Searcher(data, HashingEmbedder(dim=64, model_id=OLD))
    try:
        assert all(_answers(cli, "semantic"))
    finally:
        cli.close()
    assert main(["status", "--data-dir", str(data), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["model"] == OLD
    assert status["switching"]["model"] == NEW and status["switching"]["chunks"] >= 40

    done = subprocess.run([*command, NEW], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    embedded = int(done.stdout.strip().splitlines()[-1].split()[1])
    fresh = data.parent / "fresh"
    first = subprocess.run(
        [sys.executable, "-m", "tests.reliability.switch_runner", str(fresh), str(tree), NEW],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    everything = int(first.stdout.strip().splitlines()[-1].split()[1])
    assert 0 < embedded <= everything - total_seen // 2, "finished groups were not redone"
    assert _model(data) == (NEW, DIM)
    assert chunk_set(data) == chunk_set(fresh)
    assert integrity_problems(data) == []


def test_going_back_to_the_old_model_cancels_the_switch_and_loses_nothing(old_index):
    tree, data = old_index
    before = chunk_set(data)
    cancel = threading.Event()
    new_embedder = CancellingEmbedder(cancel, after=3, dim=32, model_id=NEW)
    switching = Pipeline(data, new_embedder, options=IndexOptions(group_chunks=8))
    report = switching.index([tree], cancel=cancel)
    switching.close()
    assert report.cancelled and report.files_indexed > 0
    assert (data / SWITCH_DIR).is_dir()

    notices: list[str] = []
    old_embedder = HashingEmbedder(dim=64, model_id=OLD)
    back = Pipeline(data, old_embedder, on_notice=notices.append)
    report = back.index([tree])
    back.close()
    assert not (data / SWITCH_DIR).exists()
    assert any("Cancelled the switch" in n for n in notices)
    assert old_embedder.documents_embedded == [], "nothing of the old model was redone"
    assert report.files_unchanged == len({path for path, *_ in before})
    assert _model(data) == (OLD, 64)
    assert chunk_set(data) == before
    assert integrity_problems(data) == []


def test_a_new_chunker_rebuilds_beside_the_index_reusing_its_embeddings(tmp_path):
    tree = tmp_path / "tree"
    write_corpus(tree, 40, seed=11)
    data = tmp_path / "data"
    first = Pipeline(data, HashingEmbedder(dim=64, model_id=OLD))
    first.index([tree])
    first.close()
    before = chunk_set(data)

    cancel = threading.Event()
    embedder = CancellingEmbedder(cancel, after=2, dim=64, model_id=OLD)
    options = IndexOptions(group_chunks=8, chunk_tokens=40)  # another input budget
    rechunking = Pipeline(data, embedder, options=options)
    assert rechunking.index([tree], cancel=cancel).cancelled
    rechunking.close()
    assert chunk_set(data) == before, "the index in place is untouched mid-way"
    searcher = Searcher(data, HashingEmbedder(dim=64, model_id=OLD))
    try:
        assert all(_answers(searcher, "semantic"))
    finally:
        searcher.close()

    resumed = HashingEmbedder(dim=64, model_id=OLD)
    finishing = Pipeline(data, resumed, options=IndexOptions(chunk_tokens=40))
    finishing.index([tree])
    finishing.close()
    fresh = tmp_path / "fresh"
    clean = HashingEmbedder(dim=64, model_id=OLD)
    pipeline = Pipeline(fresh, clean, options=IndexOptions(chunk_tokens=40))
    pipeline.index([tree])
    pipeline.close()
    assert chunk_set(data) == chunk_set(fresh) != before
    assert not (data / SWITCH_DIR).exists()
    # Chunk texts the old chunker made too were not embedded again.
    assert len(embedder.documents_embedded) + len(resumed.documents_embedded) < len(
        clean.documents_embedded
    )
    assert integrity_problems(data) == []


def test_a_crash_while_the_new_index_moves_in_leaves_a_usable_index(old_index, monkeypatch):
    """The move is a few renames: whichever one a crash (here: an error) stops at, the next
    open finds one complete index, of the old model or of the new."""
    import engine.index_files

    tree, data = old_index
    real_replace = os.replace

    def crash_on_second(src, dst):
        if Path(dst) == data / INDEX_NAME and Path(src).parent.name == SWITCH_DIR:
            # The database has moved in, its vector files not yet.
            assert (data / DB_NAME).exists()
            raise OSError("simulated crash")
        return real_replace(src, dst)

    monkeypatch.setattr(engine.index_files.os, "replace", crash_on_second)
    switching = Pipeline(data, HashingEmbedder(dim=32, model_id=NEW))
    with pytest.raises(OSError, match="simulated crash"):
        switching.index([tree])
    monkeypatch.setattr(engine.index_files.os, "replace", real_replace)
    with contextlib.suppress(Exception):
        switching.close()

    after = Pipeline(data, HashingEmbedder(dim=32, model_id=NEW))
    after.index([tree])
    after.close()
    assert _model(data) == (NEW, 32)
    assert not (data / SWITCH_DIR).exists()
    assert integrity_problems(data) == []
    searcher = Searcher(data, HashingEmbedder(dim=32, model_id=NEW))
    try:
        assert all(_answers(searcher, "semantic"))
    finally:
        searcher.close()

"""FIFOs, sockets and devices never reach a read: neither through a scan nor the watcher."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from engine.store import Store
from indexer.file_reading import NOT_REGULAR_REASON, NotRegularFile, read_unchanging
from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder
from tests.indexer.test_service import Listener, file_set, lexical_paths

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = (tmp_path / "project").resolve()
    root.mkdir()
    (root / "a.txt").write_text("The first note is about ledger reconciliation.\n")
    return root


def test_reading_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile):
        read_unchanging(fifo, 1 << 20)


def test_update_paths_skips_a_fifo_and_a_socket(tree: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    pipeline = Pipeline(data_dir, HashingEmbedder(), options=IndexOptions(group_chunks=8))
    try:
        pipeline.index([tree])
        os.mkfifo(tree / "pipe.log")
        sock = socket.socket(socket.AF_UNIX)
        sock_path = tree / "s.sock"
        sock.bind(str(sock_path))
        (tree / "b.txt").write_text("Second note: invoices are archived monthly.\n")
        report = pipeline.update_paths([tree / "pipe.log", sock_path, tree / "b.txt"])
        sock.close()
    finally:
        pipeline.close()
    assert report.files_indexed == 1 and report.files_skipped == 2
    store = Store.open(data_dir)
    try:
        problems = {Path(p).name: (status, reason) for p, status, reason in store.problem_files()}
    finally:
        store.close()
    assert problems["pipe.log"] == ("skipped", NOT_REGULAR_REASON)
    assert problems["s.sock"] == ("skipped", NOT_REGULAR_REASON)


def test_the_watcher_passes_a_fifo_and_indexes_the_next_file(tree: Path, tmp_path: Path) -> None:
    """Issue 14.5: b.txt, created after a FIFO, gets indexed and the service stops in time."""
    from indexer.service import IndexService

    data_dir = tmp_path / "data"
    listener = Listener()
    service = IndexService(
        data_dir,
        HashingEmbedder,
        [tree],
        listener=listener,
        quiet_s=0.1,
        max_delay_s=1.0,
        options=IndexOptions(group_chunks=8),
    )
    service.start()
    try:
        listener.wait_idle_after(0)
        os.mkfifo(tree / "pipe.log")
        (tree / "b.txt").write_text("Second note: invoices are archived monthly.\n")
        assert listener.wait(
            lambda s: str(tree / "b.txt") in lexical_paths(data_dir, service, "invoices")
        ), (listener.states[-10:], listener.problems)
        assert listener.wait(lambda s: (str(tree / "pipe.log"), "skipped") in file_set(data_dir))
    finally:
        assert service.stop(5.0)

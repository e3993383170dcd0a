"""The app's indexer and another writer: while `kenning index` (another process) holds the
index, the service says so once and waits; it starts indexing as soon as the lock is free,
without loading its model again."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import indexer.service
from indexer.service import IndexService
from tests.fake_embedder import HashingEmbedder
from tests.reliability.conftest import REPO
from tests.reliability.service_listener import Recorder

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from engine.index_lock import WriterLock
    lock = WriterLock.acquire(Path(sys.argv[1]), "kenning index", wait_s=0)
    print("held", flush=True)
    sys.stdin.readline()
    """
)


def test_the_service_waits_for_another_writer_then_indexes(tmp_path, monkeypatch):
    monkeypatch.setattr(indexer.service, "INDEX_BUSY_RETRY_S", 0.2)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "uploads.py").write_text("def retry_failed_uploads(queue):\n    return queue\n")
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    loads: list[int] = []

    def make_embedder() -> HashingEmbedder:
        loads.append(1)
        return HashingEmbedder(dim=32)

    listener = Recorder()
    service = IndexService(data, make_embedder, [tree], listener=listener, watch=False)
    service.start()
    try:
        assert listener.wait_for(lambda: listener.problems, 60)
        assert len(listener.problems) == 1
        problem = listener.problems[0]
        assert problem.startswith("Indexing waits: another Kenning process is writing")
        assert f"pid {holder.pid}: kenning index" in problem
        assert not listener.finished
        assert holder.stdin is not None
        holder.stdin.write("done\n")
        holder.stdin.flush()
        holder.wait(30)
        assert listener.wait_for(lambda: listener.finished, 120), listener.problems
        assert listener.finished[0].files_indexed == 1
        assert len(loads) == 1, "the model was loaded once"
        assert len(listener.problems) == 1, "the wait was told once"
    finally:
        assert service.stop(10)
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)

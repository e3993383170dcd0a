"""IndexService reports a model download's bytes to its listener while the files come in.

The model comes from a loopback Hugging Face mirror that trickles the weights (a download
that would last hours), through the real resolver and its download child process.
"""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from engine.model_resolution import resolve_model
from indexer.service import IndexService
from tests.fake_embedder import HashingEmbedder
from tests.fake_hf_mirror import WEIGHT_SIZE, FakeHfMirror
from tests.indexer.test_service import WAIT, Listener

REPO = "someone/big-model"


def test_the_service_reports_a_growing_download_and_stop_cancels_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, online: None
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    mirror = FakeHfMirror(REPO)
    announced = WEIGHT_SIZE + sum(len(b) for b in mirror.small_files.values())

    def make_embedder(on_progress) -> HashingEmbedder:
        resolve_model(REPO, on_progress=on_progress, endpoint=mirror.url)
        return HashingEmbedder()  # not reached: the service stops during the download

    listener = Listener()
    (tmp_path / "folder").mkdir()
    service = IndexService(
        tmp_path / "data", make_embedder, [tmp_path / "folder"], listener=listener, watch=False
    )
    service.start()
    try:
        # Two different byte counts above zero: the reports follow the bytes as they land.
        assert listener.wait(lambda s: len({d for d, _ in s.downloads if d > 0}) >= 2, WAIT), (
            listener.downloads,
            listener.problems,
        )
        assert listener.state == "loading-model"
    finally:
        stopped = service.stop(10.0)
        mirror_idle = mirror.wait_until_no_transfer(30)
        mirror.close()
    assert stopped and mirror_idle  # the stop cancelled the download, transfer included
    done = [d for d, _ in listener.downloads]
    assert done == sorted(done) and done[-1] < announced
    assert {t for _, t in listener.downloads} == {announced}
    assert "loading-model" in listener.states and listener.models == []
    # The mirror's own request threads may still be winding down; ours must be gone.
    assert not any(t.name.startswith("kenning") for t in threading.enumerate())
    assert not any(c.name == "kenning-model-download" for c in multiprocessing.active_children())

"""The reranker the settings ask for, loaded off the GUI thread, and the app's second stage."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.reranker_setup import RerankerLoader, build_reranker
from desktop.settings import Settings
from engine.local_reranker import LocalReranker
from tests.fake_hf_mirror import FakeHfMirror

pytestmark = pytest.mark.gui


@pytest.fixture
def loader(qtbot):
    loader = RerankerLoader()
    got: list[tuple] = []
    loader.ready.connect(lambda r, p: got.append((r, p)))
    yield loader, got
    loader.shutdown()


def test_a_local_reranker_forced_on_the_cpu_is_loaded(qtbot, loader, tiny_reranker_dir: Path):
    loader, got = loader
    settings = Settings(rerank_model=str(tiny_reranker_dir), rerank_kinds="text", device="cpu")
    with qtbot.waitSignal(loader.ready, timeout=120_000):
        loader.load(settings)
    reranker, policy = got[-1]
    assert isinstance(reranker, LocalReranker) and reranker.device == "cpu"
    assert policy.kinds == frozenset({"text"}) and policy.top_n == 30


def test_automatic_policy_on_a_cpu_does_not_load_and_says_why(
    qtbot, loader, tiny_reranker_dir: Path
):
    loader, got = loader
    notices: list[str] = []
    loader.notice.connect(notices.append)
    with qtbot.waitSignal(loader.ready, timeout=120_000):
        loader.load(Settings(rerank_model=str(tiny_reranker_dir), device="cpu"))
    assert got[-1] == (None, None)
    assert "off on the CPU by default" in notices[0]
    assert '"rerank_kinds": "text"' in notices[0]


def test_a_bad_reranker_is_one_message(qtbot, loader, tiny_qwen3_dir: Path):
    loader, got = loader
    failures: list[str] = []
    loader.failed.connect(failures.append)
    with qtbot.waitSignal(loader.ready, timeout=120_000):
        loader.load(Settings(rerank_model=str(tiny_qwen3_dir), rerank_kinds="all", device="cpu"))
    assert got[-1] == (None, None)
    assert failures[0].startswith("Reranker not loaded: ")
    assert "not a Qwen3-Reranker-style model" in failures[0]


@pytest.mark.timeout(180)  # before the fix, shutdown waited for the whole (endless) file
def test_shutdown_cancels_a_reranker_download(qtbot, tmp_path, monkeypatch, online):
    mirror = FakeHfMirror("someone/reranker")  # trickles the weights: an endless download
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", mirror.url)
    loader = RerankerLoader()
    progress: list[tuple[int, int]] = []
    loader.progress.connect(lambda done, total: progress.append((done, total)))
    try:
        loader.load(Settings(rerank_model="someone/reranker", rerank_kinds="text", device="cpu"))
        assert mirror.wait_for_weight_bytes(60)
        qtbot.waitUntil(lambda: bool(progress), timeout=30_000)
        loader.shutdown(wait=True)  # the app's quit: returns once the download is stopped
        assert mirror.wait_until_no_transfer(30)
    finally:
        loader.shutdown()
        mirror.close()


def test_newer_settings_make_an_older_load_stale(qtbot, tiny_reranker_dir: Path, caplog):
    gate = threading.Event()
    finished = threading.Event()

    def gated(settings, on_progress=None):
        assert gate.wait(60)
        try:
            return build_reranker(settings, on_progress)
        finally:
            finished.set()

    loader = RerankerLoader(build=gated)
    got: list[tuple] = []
    loader.ready.connect(lambda r, p: got.append((r, p)))
    try:
        loader.load(
            Settings(rerank_model=str(tiny_reranker_dir), rerank_kinds="text", device="cpu")
        )
        loader.load(Settings())  # reranking turned off meanwhile
        assert got == [(None, None)]
        with caplog.at_level("DEBUG", logger="desktop.reranker_setup"):
            gate.set()
            qtbot.waitUntil(finished.is_set, timeout=120_000)
            qtbot.waitUntil(lambda: "dropping a reranker" in caplog.text, timeout=60_000)
        assert got == [(None, None)]
    finally:
        gate.set()
        loader.shutdown()


def test_rerank_settings_are_validated_and_round_trip(tmp_path: Path):
    from desktop.settings import SettingsError, load_settings, save_settings

    settings = Settings(rerank_url="http://127.0.0.1:7997", rerank_model="bge", rerank_top_n=50)
    assert settings.rerank_enabled and not Settings().rerank_enabled
    path = save_settings(settings, tmp_path / "s.json")
    assert load_settings(path) == settings
    for bad, message in (
        ({"rerank_top_n": 0}, "rerank_top_n"),
        ({"rerank_kinds": "docs"}, "rerank_kinds"),
        ({"rerank_url": "127.0.0.1:7997"}, "rerank_url"),
    ):
        with pytest.raises(SettingsError, match=message):
            Settings(**bad).validate()


def test_the_settings_dialog_edits_the_reranker(qtbot):
    from desktop.settings_dialog import SettingsDialog

    dialog = SettingsDialog(Settings(), None, serve_token=lambda: "t")
    qtbot.addWidget(dialog)
    dialog.rerank_model.setText(" Qwen/Qwen3-Reranker-4B ")
    dialog.rerank_url.setText("http://127.0.0.1:8000/v1")
    edited = dialog.edited_settings()
    assert (edited.rerank_model, edited.rerank_url) == (
        "Qwen/Qwen3-Reranker-4B",
        "http://127.0.0.1:8000/v1",
    )

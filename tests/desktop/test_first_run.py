"""First run: folders, then the model with a progress bar or the offline notice."""

from __future__ import annotations

import threading

import pytest

from desktop.first_run import FirstRunDialog, ModelDownload, default_resolver
from desktop.settings import Settings
from engine.model_resolution import DEFAULT_MODEL, resolve_model
from tests.fake_hf_mirror import FakeHfMirror

pytestmark = pytest.mark.gui


def fake_estimator(folders):
    return {"e5-small": "about 20 min on this CPU", "qwen3": "about 3 h on this CPU"}


def test_folders_are_required_then_offline_fallback_is_explained(qtbot, tmp_path, monkeypatch):
    # No network in tests: the real resolver falls back to the bundled model and says so.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # A machine with a GPU: the default is Qwen3, to be downloaded.
    wizard = FirstRunDialog(
        Settings(), resolver=default_resolver, gpu=True, estimator=fake_estimator
    )
    qtbot.addWidget(wizard)
    wizard.show()
    assert not wizard.folders_page.isComplete()
    wizard.folders_page.folders.add_folder(tmp_path)
    assert wizard.folders_page.isComplete()
    wizard.next()
    page = wizard.model_page
    assert page.model_choice() == "default"
    qtbot.waitUntil(page.isComplete, timeout=30000)
    assert page.resolved.fell_back
    assert "Using the bundled offline model" in page.status.text()
    assert not page.bar.isVisible()
    result = wizard.result_settings()
    assert result.folders == [str(tmp_path.resolve())] and result.model == "default"
    assert wizard.shutdown()


def test_choosing_the_bundled_model_needs_no_download(qtbot, tmp_path):
    wizard = FirstRunDialog(
        Settings(model="offline", folders=[str(tmp_path)]), estimator=fake_estimator
    )
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    page = wizard.model_page
    assert page.isComplete() and page.download is None
    assert "no download needed" in page.status.text()
    assert wizard.result_settings().model == "offline"


def test_a_failed_download_offers_a_retry(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def resolver(_name, *, on_progress):
        return resolve_model("no-such-org/no-such-model", on_progress=on_progress)

    wizard = FirstRunDialog(
        Settings(folders=[str(tmp_path)]), resolver=resolver, gpu=True, estimator=fake_estimator
    )
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    page = wizard.model_page
    qtbot.waitUntil(lambda: page.retry.isVisibleTo(page), timeout=30000)
    assert not page.isComplete()
    assert page.status.text().startswith("Could not get the model: Model no-such-org/")
    assert page.retry.isVisibleTo(page)
    page.use_offline.setChecked(True)
    assert page.isComplete()


def test_download_progress_crosses_threads_and_cancel_stops_it(qtbot):
    release = threading.Event()
    seen_threads: list[str] = []

    def resolver(_name, *, on_progress):
        seen_threads.append(threading.current_thread().name)
        on_progress(10, 100)
        on_progress(60, 100)
        release.wait(30)
        on_progress(100, 100)  # raises: the download was cancelled meanwhile
        return "never delivered"

    download = ModelDownload(resolver, None)
    progress: list[tuple[int, int]] = []
    finished: list[object] = []
    download.progress.connect(lambda done, total: progress.append((done, total)))
    download.finished.connect(finished.append)
    download.start()
    qtbot.waitUntil(lambda: progress == [(10, 100), (60, 100)])
    assert seen_threads == ["kenning-model-download"]
    release.set()
    assert download.cancel(timeout=10)
    assert not download.running
    qtbot.wait(0)  # deliver anything queued; nothing may arrive
    assert finished == []


def test_cancel_stops_a_real_download_and_its_transfer(qtbot, tmp_path, monkeypatch, online):
    # Qwen3 from a loopback mirror that trickles the weights: a download that would last hours.
    mirror = FakeHfMirror(DEFAULT_MODEL)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_ENDPOINT", mirror.url)
    download = ModelDownload(default_resolver, None)
    progress: list[tuple[int, int]] = []
    ended: list[object] = []
    download.progress.connect(lambda done, total: progress.append((done, total)))
    download.finished.connect(ended.append)
    download.failed.connect(ended.append)
    download.start()
    try:
        assert mirror.wait_for_weight_bytes(60)
        qtbot.waitUntil(lambda: bool(progress), timeout=30000)
        assert progress[-1][1] > 1_000_000_000  # the size the mirror announced
        # The thread ends now, not once the hub's client has fetched the whole file.
        assert download.cancel(timeout=10)
        assert mirror.wait_until_no_transfer(30)
        qtbot.wait(0)  # deliver anything queued: a cancel is neither a result nor an error
        assert ended == []
    finally:
        download.cancel()
        mirror.close()


def test_without_a_gpu_the_default_is_the_bundled_model_and_qwen3_is_one_click(qtbot, tmp_path):
    requested: list[object] = []

    def resolver(name, *, on_progress):
        requested.append(name)
        return resolve_model("offline")

    wizard = FirstRunDialog(
        Settings(folders=[str(tmp_path)]), resolver=resolver, gpu=False, estimator=fake_estimator
    )
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    page = wizard.model_page
    assert page.model_choice() == "default" and page.isComplete() and page.download is None
    assert "multilingual-e5-small" in page.use_default.text()
    page.use_qwen3.setChecked(True)  # Qwen3 on a CPU: one click, and it is fetched
    qtbot.waitUntil(lambda: requested == [None], timeout=10000)
    qtbot.waitUntil(page.isComplete, timeout=10000)
    assert wizard.result_settings().model == "qwen3"
    assert wizard.shutdown()


def test_the_wizard_shows_each_choices_first_index_time(qtbot, tmp_path):
    seen: list[list[str]] = []

    def estimator(folders):
        seen.append(list(folders))
        return fake_estimator(folders)

    wizard = FirstRunDialog(Settings(), gpu=False, estimator=estimator)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.folders_page.folders.add_folder(tmp_path)
    wizard.next()
    page = wizard.model_page
    label = page.estimates["qwen3"]
    qtbot.waitUntil(lambda: "3 h" in label.text(), timeout=10000)
    assert label.text() == "First index of these folders: about 3 h on this CPU"
    assert page.estimates["default"].text().endswith("about 20 min on this CPU")
    assert page.estimates["offline"].text().endswith("about 20 min on this CPU")
    assert seen == [[str(tmp_path.resolve())]]  # the folders chosen on the first page
    assert wizard.shutdown()


def test_a_gpu_default_shows_the_qwen3_time(qtbot, tmp_path):
    def estimator(folders):
        return {"e5-small": "about 20 min on this CPU", "qwen3": "about 4 min on this GPU"}

    def resolver(name, *, on_progress):
        return resolve_model("offline")

    wizard = FirstRunDialog(
        Settings(folders=[str(tmp_path)]), resolver=resolver, gpu=True, estimator=estimator
    )
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    page = wizard.model_page
    qtbot.waitUntil(lambda: "GPU" in page.estimates["default"].text(), timeout=10000)
    assert page.estimates["offline"].text().endswith("about 20 min on this CPU")
    assert wizard.shutdown()

"""First run: folders, then the model with a progress bar or the offline notice."""

from __future__ import annotations

import threading

import pytest

from desktop.first_run import FirstRunDialog, ModelDownload, default_resolver
from desktop.settings import Settings
from engine.model_resolution import resolve_model

pytestmark = pytest.mark.gui


def test_folders_are_required_then_offline_fallback_is_explained(qtbot, tmp_path, monkeypatch):
    # No network in tests: the real resolver falls back to the bundled model and says so.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    wizard = FirstRunDialog(Settings(), resolver=default_resolver)
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
    wizard = FirstRunDialog(Settings(model="offline", folders=[str(tmp_path)]))
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

    wizard = FirstRunDialog(Settings(folders=[str(tmp_path)]), resolver=resolver)
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

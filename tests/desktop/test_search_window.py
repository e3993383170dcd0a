"""The search window on the real engine: typing, keyboard, states, filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from desktop.query_runner import QueryRunner
from desktop.search_window import SearchWindow, format_eta
from engine.search import Searcher

pytestmark = [pytest.mark.gui, pytest.mark.model]


@pytest.fixture
def window(qtbot, indexed_corpus, minilm):
    root, data_dir = indexed_corpus
    searcher = Searcher(data_dir, minilm)
    runner = QueryRunner(debounce_ms=30)
    runner.set_searcher(searcher, semantic=True)
    win = SearchWindow(runner)
    qtbot.addWidget(win)
    win.set_roots([str(root)])
    win.set_index_stats(4, 5)
    win.show()
    qtbot.waitExposed(win)
    yield win
    runner.shutdown()
    searcher.close()


def final_for(win: SearchWindow, text: str):
    def check() -> bool:
        last = win._last_outcome
        return last is not None and last.final and last.request.text == text

    return check


def names(win: SearchWindow) -> list[str]:
    return [Path(r.path).name for r in win.model.results()]


def test_typing_a_query_shows_the_expected_result(qtbot, window):
    query = "wait longer before trying the request again"
    qtbot.keyClicks(window.query, query)
    qtbot.waitUntil(final_for(window, query), timeout=60000)
    assert names(window)[0] == "retry.py"
    assert window.stack.currentWidget() is window.table
    # The first row is selected and previewed, scrolled to its chunk, with the query's words.
    assert window.current_result().path.endswith("retry.py")
    assert window.preview.current == window.current_result()
    assert "def call_with_backoff" in window.preview.view.toPlainText()
    location = window.model.index(0, 1).data()
    assert location.startswith("corpus/net/retry.py:")


def test_arrow_keys_browse_while_typing_and_shortcuts_act(qtbot, window):
    query = "checksum rows holiday"  # one word from each of three files
    qtbot.keyClicks(window.query, query)
    qtbot.waitUntil(final_for(window, query), timeout=60000)
    assert window.model.rowCount() >= 3
    assert window.table.currentIndex().row() == 0
    qtbot.keyClick(window.query, Qt.Key.Key_Down)
    qtbot.keyClick(window.query, Qt.Key.Key_Down)
    assert window.table.currentIndex().row() == 2
    assert window.query.hasFocus() or not window.isActiveWindow()
    qtbot.keyClick(window.query, Qt.Key.Key_Up)
    chosen = window.current_result()
    assert window.table.currentIndex().row() == 1
    with qtbot.waitSignal(window.open_requested) as opened:
        qtbot.keyClick(window.query, Qt.Key.Key_Return)
    assert opened.args == [chosen]
    with qtbot.waitSignal(window.reveal_requested) as revealed:
        qtbot.keyClick(window.query, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert revealed.args == [chosen]
    window.copy_shortcut.activated.emit()
    assert QGuiApplication.clipboard().text() == f"{chosen.path}:{chosen.start_line}"


def test_escape_hides_to_the_tray_or_clears(qtbot, window):
    window.query.setText("something")
    window.hide_to_tray = False
    window.escape_shortcut.activated.emit()
    assert window.query.text() == "" and window.isVisible()
    window.hide_to_tray = True
    window.escape_shortcut.activated.emit()
    assert not window.isVisible()
    window.bring_forward()
    assert window.isVisible()


def test_empty_and_no_result_states_say_something_useful(qtbot, window):
    assert window.stack.currentWidget() is window.message_page
    assert "Type to search 4 files" in window.message.text()
    assert "Enter opens" in window.message.text()
    window.kind_box.setCurrentIndex(window.kind_box.findData("text"))
    window.mode_box.setCurrentIndex(window.mode_box.findData("lexical"))
    # The kind widget wrote its operator into the box; typing goes on after it.
    assert window.query.text() == "kind:text "
    qtbot.keyClicks(window.query, "adler_checksum")
    qtbot.waitUntil(final_for(window, "kind:text adler_checksum"), timeout=60000)
    assert window.model.rowCount() == 0
    text = window.message.text()
    assert "No results for “adler_checksum”" in text
    assert "Filters are on (documents)" in text
    window.kind_box.setCurrentIndex(0)  # clearing the filter reruns the query
    assert window.query.text() == "adler_checksum"
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=60000)
    assert names(window)[0].endswith("name.py")


def test_no_folders_state(qtbot, window):
    window.set_roots([])
    assert "No folders are indexed yet" in window.message.text()


def test_status_bar_parts(qtbot, window):
    window.set_activity("Indexing 3/10 files · 2 min left", 0.3)
    assert window.progress_bar.isVisible() and window.progress_bar.value() == 300
    window.set_activity("")
    assert not window.progress_bar.isVisible()
    window.set_problem_count(0)
    assert not window.problems_button.isVisible()
    window.set_problem_count(3)
    assert (
        window.problems_button.isVisible() and "3 skipped/failed" in window.problems_button.text()
    )
    with qtbot.waitSignal(window.health_requested):
        window.problems_button.click()
    assert format_eta(None) == "" and format_eta(42) == "42s left"
    assert format_eta(150) == "2 min left" and format_eta(3 * 3600 + 60) == "3 h 01 min left"


def test_a_new_query_starts_at_the_top_a_refined_one_keeps_the_row(qtbot, window):
    query = "checksum rows holiday"
    qtbot.keyClicks(window.query, query)
    qtbot.waitUntil(final_for(window, query), timeout=60000)
    qtbot.keyClick(window.query, Qt.Key.Key_Down)
    chosen = window.current_result()
    window.runner.rerun()  # same query again, e.g. after the index changed
    qtbot.waitUntil(lambda: window._last_outcome.generation == window.runner.generation)
    qtbot.waitUntil(final_for(window, query), timeout=60000)
    assert window.current_result() == chosen
    qtbot.keyClicks(window.query, " trip")
    qtbot.waitUntil(final_for(window, query + " trip"), timeout=60000)
    assert window.table.currentIndex().row() == 0


def test_quitting_closes_instead_of_hiding_to_the_tray(qtbot, window):
    window.hide_to_tray = True
    with qtbot.assertNotEmitted(window.quit_requested):
        window.close()  # the user closes it: it goes to the tray
    assert not window.isVisible()
    window.bring_forward()
    window.prepare_to_quit()
    with qtbot.assertNotEmitted(window.hidden_to_tray):
        assert window.close()  # the app quits: Qt closes every window; this one accepts

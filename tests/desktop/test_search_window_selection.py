"""Which row the window selects as a query's phases arrive, without a model: the first
row after a new query, even when a later phase of that query puts another result first;
a row the user chose stays chosen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.query_runner import QueryOutcome, QueryRequest, QueryRunner
from desktop.search_window import SearchWindow
from engine.types import SearchFilters, SearchResult

pytestmark = pytest.mark.gui


def hit(chunk_id: int, name: str) -> SearchResult:
    return SearchResult(
        chunk_id, f"/code/{name}", 1, 5, 1.0 / chunk_id, "code", "python", None, name
    )


A, B, C = hit(1, "a.py"), hit(2, "b.py"), hit(3, "c.py")


@pytest.fixture
def window(qtbot):
    runner = QueryRunner()
    win = SearchWindow(runner)
    qtbot.addWidget(win)
    win.set_roots(["/code"])
    win.set_index_stats(3, 3)
    win.show()
    qtbot.waitExposed(win)
    yield win
    runner.shutdown()


def outcome(gen: int, text: str, results: list[SearchResult], final: bool) -> QueryOutcome:
    return QueryOutcome(gen, QueryRequest(text, SearchFilters(), "hybrid"), results, final)


def test_the_semantic_phase_reordering_the_list_keeps_the_first_row_selected(window):
    window.show_outcome(outcome(1, "checksum", [A, B, C], final=False))  # lexical phase
    assert window.current_result() == A
    window.show_outcome(outcome(1, "checksum", [B, A, C], final=True))  # fused: B first
    assert window.table.currentIndex().row() == 0
    assert window.current_result() == B


def test_a_row_the_user_chose_survives_the_next_phase(qtbot, window):
    window.show_outcome(outcome(1, "checksum", [A, B, C], final=False))
    qtbot.keyClick(window.query, Qt.Key.Key_Down)
    assert window.current_result() == B
    window.show_outcome(outcome(1, "checksum", [C, A, B], final=True))
    assert window.current_result() == B
    window.show_outcome(outcome(2, "checksum rows", [C, A, B], final=False))  # a new query
    assert window.table.currentIndex().row() == 0
    window.show_outcome(outcome(2, "checksum rows", [A, C, B], final=True))
    assert window.current_result() == A

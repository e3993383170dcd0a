"""Result rows: name, location relative to its folder, symbol, type, score."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.result_model import (
    CHILD_ROLE,
    COL_FILE,
    COL_LOCATION,
    COL_SCORE,
    COL_SYMBOL,
    COL_TYPE,
    MORE_ROLE,
    RESULT_ROLE,
    ResultModel,
    relative_location,
)
from engine.types import SearchResult

pytestmark = pytest.mark.gui


def result(path: str, line: int = 10, **kw) -> SearchResult:
    kw.setdefault("lexical_rank", 1)
    kw.setdefault("semantic_rank", 1)
    base = dict(
        chunk_id=1,
        path=path,
        start_line=line,
        end_line=line + 5,
        score=0.8123,
        kind="code",
        language="python",
        symbol="Config.load",
        snippet="def load(self): ...",
    )
    base.update(kw)
    return SearchResult(**base)


def test_relative_location_uses_the_deepest_root():
    roots = ["/home/me/code", "/home/me/code/vendor/lib", "/home/me/codebase"]
    assert relative_location("/home/me/code/app/x.py", roots) == "code/app/x.py"
    assert relative_location("/home/me/code/vendor/lib/y.py", roots) == "lib/y.py"
    assert relative_location("/home/me/codebase/z.py", roots) == "codebase/z.py"
    assert relative_location("/elsewhere/w.py", roots) == "/elsewhere/w.py"


def test_rows_show_what_the_user_needs(qtbot):
    model = ResultModel()
    model.set_roots(["/home/me/code"])
    model.set_results(
        [
            result("/home/me/code/app/config.py"),
            result(
                "/home/me/code/README.md",
                3,
                chunk_id=2,
                kind="text",
                language="markdown",
                symbol=None,
                score=0.5,
                lexical_rank=2,
                semantic_rank=None,
            ),
        ]
    )
    assert model.rowCount() == 2
    row = [
        model.index(0, c).data() for c in (COL_FILE, COL_LOCATION, COL_SYMBOL, COL_TYPE, COL_SCORE)
    ]
    # Relevance, not the raw fused score: first in both rankings reads 100; second in the
    # words ranking alone is a little under half.
    assert row == ["config.py", "code/app/config.py:10", "Config.load", "python · code", "100"]
    assert model.index(1, COL_SCORE).data() == "49"
    assert model.index(1, COL_TYPE).data() == "markdown · doc"
    assert model.index(1, COL_SYMBOL).data() == ""
    assert model.index(1, 0).data(RESULT_ROLE).chunk_id == 2
    tooltip = model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "lines 10–15" in tooltip
    assert "relevance 100 of 100" in tooltip and "word rank 1" in tooltip
    assert model.result(5) is None


def test_rows_are_drawn_as_two_lines(qtbot):
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QTreeView

    from desktop.result_model import ResultDelegate

    model = ResultModel()
    model.set_results([result("/home/me/code/app/config.py")])
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegate(ResultDelegate(view))
    view.resize(400, 200)
    view.show()
    qtbot.waitExposed(view)
    assert view.sizeHintForRow(0) >= 2 * QFontMetrics(view.font()).height()
    image = view.viewport().grab().toImage()  # paints every part of the row
    assert not image.isNull()


def test_hits_of_one_file_are_one_row_that_expands(qtbot):
    model = ResultModel()
    a, b = "/p/a.py", "/p/b.py"
    hits = [
        result(a, 1, chunk_id=1),
        result(b, 5, chunk_id=2, lexical_rank=2, semantic_rank=2),
        result(a, 20, chunk_id=3, lexical_rank=3, semantic_rank=3),
        result(a, 40, chunk_id=4, lexical_rank=4, semantic_rank=None),
    ]
    model.set_results(hits)
    assert model.rowCount() == 2
    assert [model.result(r).chunk_id for r in range(2)] == [1, 2]
    assert model.index(0, 0).data(MORE_ROLE) == "+2 more in this file"
    assert model.index(1, 0).data(MORE_ROLE) == ""
    with qtbot.waitSignal(model.rowsInserted):
        assert model.toggle(0) == 0
    assert [model.result(r).chunk_id for r in range(model.rowCount())] == [1, 3, 4, 2]
    assert model.index(1, 0).data(CHILD_ROLE) is True
    assert model.group_row(2) == 0
    assert model.index(0, 0).data(MORE_ROLE) == "show only the best in this file"
    # A refined list of the same query keeps the file open; folding removes the rows.
    model.set_results(hits)
    assert model.rowCount() == 4
    model.toggle(2)  # from a child row: folds its file
    assert model.rowCount() == 2
    assert model.results() == hits


def test_relevance_reads_as_a_share_of_a_perfect_match(qtbot):
    model = ResultModel()
    only_words = result("/p/a.py", semantic_rank=None)
    model.set_results([only_words], "hybrid")
    # No semantic ranks yet (typing, model loading): scored as the words ranking it is.
    assert model.index(0, COL_SCORE).data() == "100"
    model.set_results([only_words, result("/p/b.py", chunk_id=2)], "hybrid")
    assert model.index(0, COL_SCORE).data() == "50"
    assert model.index(1, COL_SCORE).data() == "100"

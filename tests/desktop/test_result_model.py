"""Result rows: name, location relative to its folder, symbol, type, score."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.result_model import (
    COL_FILE,
    COL_LOCATION,
    COL_SCORE,
    COL_SYMBOL,
    COL_TYPE,
    RESULT_ROLE,
    ResultModel,
    relative_location,
)
from engine.types import SearchResult

pytestmark = pytest.mark.gui


def result(path: str, line: int = 10, **kw) -> SearchResult:
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
            ),
        ]
    )
    assert model.rowCount() == 2
    row = [
        model.index(0, c).data() for c in (COL_FILE, COL_LOCATION, COL_SYMBOL, COL_TYPE, COL_SCORE)
    ]
    assert row == ["config.py", "code/app/config.py:10", "Config.load", "python · code", "0.812"]
    assert model.index(1, COL_TYPE).data() == "markdown · doc"
    assert model.index(1, COL_SYMBOL).data() == ""
    assert model.index(1, 0).data(RESULT_ROLE).chunk_id == 2
    assert "lines 10–15" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
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

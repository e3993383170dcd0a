"""The result list: a table model (one row per :class:`SearchResult`) and the delegate
that draws a row as two lines: file name and symbol, then location, type and score."""

from __future__ import annotations

import os
from pathlib import PurePath

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from engine.types import SearchResult

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS = ("File", "Location", "Symbol / heading", "Type", "Score")
COL_FILE, COL_LOCATION, COL_SYMBOL, COL_TYPE, COL_SCORE = range(len(COLUMNS))
RESULT_ROLE = Qt.ItemDataRole.UserRole + 1


def relative_location(path: str, roots: list[str]) -> str:
    """``path`` relative to the deepest indexed folder holding it, else the path itself."""
    best = ""
    for root in roots:
        root = root.rstrip(os.sep) or os.sep
        if (path == root or path.startswith(root + os.sep)) and len(root) > len(best):
            best = root
    if not best:
        return path
    rel = os.path.relpath(path, best)
    # Name the folder too: with several roots "src/app.py" alone is ambiguous.
    return str(PurePath(PurePath(best).name or best) / rel)


def location_text(result: SearchResult, roots: list[str]) -> str:
    return f"{relative_location(result.path, roots)}:{result.start_line}"


class ResultModel(QAbstractTableModel):
    """Read-only rows of search results; :data:`RESULT_ROLE` gives the SearchResult."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: list[SearchResult] = []
        self._roots: list[str] = []

    def set_roots(self, roots: list[str]) -> None:
        self._roots = list(roots)
        if self._results:
            self.dataChanged.emit(
                self.index(0, COL_LOCATION), self.index(len(self._results) - 1, COL_LOCATION)
            )

    def set_results(self, results: list[SearchResult]) -> None:
        self.beginResetModel()
        self._results = list(results)
        self.endResetModel()

    def results(self) -> list[SearchResult]:
        return list(self._results)

    def result(self, row: int) -> SearchResult | None:
        return self._results[row] if 0 <= row < len(self._results) else None

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt idiom)
        return 0 if parent.isValid() else len(self._results)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        res = self.result(index.row()) if index.isValid() else None
        if res is None:
            return None
        col = index.column()
        if role == RESULT_ROLE:
            return res
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(res, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{res.path}\nlines {res.start_line}–{res.end_line}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SCORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, res: SearchResult, col: int) -> str:
        if col == COL_FILE:
            return os.path.basename(res.path)
        if col == COL_LOCATION:
            return location_text(res, self._roots)
        if col == COL_SYMBOL:
            return res.symbol or ""
        if col == COL_TYPE:
            kind = "code" if res.kind == "code" else "doc"
            return f"{res.language} · {kind}" if res.language else kind
        return f"{res.score:.3f}"


class ResultDelegate(QStyledItemDelegate):
    """Draws a result as two lines, so the file name and symbol are never squeezed out:

    ``name.py  Symbol.path`` ................................ ``0.032``
    ``folder/sub/name.py:42`` (dimmed) ................ ``python · code``
    """

    PADDING = 6

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        height = QFontMetrics(option.font).height()
        return QSize(200, 2 * height + 2 * self.PADDING + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        model = index.model()
        cell = QStyleOptionViewItem(option)
        self.initStyleOption(cell, index)
        cell.text = ""
        style = cell.widget.style() if cell.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, cell, painter, cell.widget)

        def text(column: int) -> str:
            return str(model.data(index.siblingAtColumn(column)) or "")

        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Active
        main = option.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        dim = _mix(main, option.palette.color(group, QPalette.ColorRole.Base), 0.4)
        rect = option.rect.adjusted(self.PADDING + 2, self.PADDING, -self.PADDING, -self.PADDING)
        line = QFontMetrics(option.font).height()
        top = QRect(rect.left(), rect.top(), rect.width(), line)
        bottom = QRect(rect.left(), rect.top() + line + 2, rect.width(), line)
        normal, bold = QFont(option.font), QFont(option.font)
        bold.setBold(True)
        painter.save()
        # Right-hand column first, so the left texts know how much room they have.
        score, kind = text(COL_SCORE), text(COL_TYPE)
        fm = QFontMetrics(normal)
        right_width = max(fm.horizontalAdvance(score), fm.horizontalAdvance(kind)) + 12
        painter.setFont(normal)
        painter.setPen(dim)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(top, right, score)
        painter.drawText(bottom, right, kind)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        room = rect.width() - right_width
        name = QFontMetrics(bold).elidedText(text(COL_FILE), Qt.TextElideMode.ElideMiddle, room)
        painter.setFont(bold)
        painter.setPen(main)
        painter.drawText(top, left, name)
        used = QFontMetrics(bold).horizontalAdvance(name) + 12
        symbol = fm.elidedText(text(COL_SYMBOL), Qt.TextElideMode.ElideRight, room - used)
        painter.setFont(normal)
        painter.drawText(top.adjusted(used, 0, 0, 0), left, symbol)
        location = fm.elidedText(text(COL_LOCATION), Qt.TextElideMode.ElideMiddle, room)
        painter.setPen(dim)
        painter.drawText(bottom, left, location)
        painter.restore()


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` of the way towards ``b`` (a dimmed text colour for any theme)."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )

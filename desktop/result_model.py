"""The result list: a table model (one row per file, its best :class:`SearchResult` first)
and the delegate that draws a row as two lines: file name and symbol, then location, type,
a relevance bar and "+N more in this file"."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePath

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from engine.relevance import relevance
from engine.result_groups import FileGroup, group_by_file
from engine.types import SearchMode, SearchResult

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS = ("File", "Location", "Symbol / heading", "Type", "Relevance")
COL_FILE, COL_LOCATION, COL_SYMBOL, COL_TYPE, COL_SCORE = range(len(COLUMNS))
RESULT_ROLE = Qt.ItemDataRole.UserRole + 1
MORE_ROLE = Qt.ItemDataRole.UserRole + 2
CHILD_ROLE = Qt.ItemDataRole.UserRole + 3
RELEVANCE_ROLE = Qt.ItemDataRole.UserRole + 4


def column_titles() -> tuple[str, ...]:
    return (
        QCoreApplication.translate("ResultModel", "File"),
        QCoreApplication.translate("ResultModel", "Location"),
        QCoreApplication.translate("ResultModel", "Symbol / heading"),
        QCoreApplication.translate("ResultModel", "Type"),
        QCoreApplication.translate("ResultModel", "Relevance"),
    )


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
    """Read-only rows of search results, one row per file with its best chunk.

    A file with more hits shows "+N more in this file"; :meth:`toggle` expands the file's
    other hits as rows below it (and folds them again). :data:`RESULT_ROLE` gives a row's
    :class:`SearchResult`, :data:`MORE_ROLE` the fold text, :data:`CHILD_ROLE` whether the
    row is one of a file's other hits.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: list[SearchResult] = []
        self._groups: list[FileGroup] = []
        self._rows: list[_Row] = []
        self._expanded: set[str] = set()
        self._roots: list[str] = []
        self._mode: SearchMode = "hybrid"

    def set_roots(self, roots: list[str]) -> None:
        self._roots = list(roots)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_LOCATION), self.index(len(self._rows) - 1, COL_LOCATION)
            )

    def set_results(self, results: list[SearchResult], mode: SearchMode = "hybrid") -> None:
        """Show ``results`` (best first); files stay expanded across refinements."""
        self.beginResetModel()
        self._results = list(results)
        self._mode = mode
        self._groups = group_by_file(self._results)
        paths = {g.path for g in self._groups}
        self._expanded &= paths
        self._rows = self._build_rows()
        self.endResetModel()

    def collapse_all(self) -> None:
        if self._expanded:
            self.beginResetModel()
            self._expanded.clear()
            self._rows = self._build_rows()
            self.endResetModel()

    def _build_rows(self) -> list[_Row]:
        rows = []
        for group in self._groups:
            rows.append(_Row(group.best, group, child=False))
            if group.path in self._expanded:
                rows.extend(_Row(hit, group, child=True) for hit in group.more)
        return rows

    def results(self) -> list[SearchResult]:
        """Every result, best first, whether its row is folded or not."""
        return list(self._results)

    def groups(self) -> list[FileGroup]:
        return list(self._groups)

    def result(self, row: int) -> SearchResult | None:
        return self._rows[row].result if 0 <= row < len(self._rows) else None

    def group_row(self, row: int) -> int:
        """The row of the file heading for ``row`` (itself when it is one)."""
        while 0 < row < len(self._rows) and self._rows[row].child:
            row -= 1
        return row

    def more_count(self, row: int) -> int:
        """How many other hits the file of ``row`` has (0 for a child row)."""
        if not 0 <= row < len(self._rows) or self._rows[row].child:
            return 0
        return len(self._rows[row].group.more)

    def is_expanded(self, row: int) -> bool:
        return 0 <= row < len(self._rows) and self._rows[row].group.path in self._expanded

    def toggle(self, row: int, expand: bool | None = None) -> int:
        """Expand or fold the file of ``row``; returns the file heading's row."""
        head = self.group_row(row)
        if not 0 <= head < len(self._rows):
            return head
        group = self._rows[head].group
        if not group.more:
            return head
        is_open = group.path in self._expanded
        if expand is None:
            expand = not is_open
        if expand and not is_open:
            self.beginInsertRows(QModelIndex(), head + 1, head + len(group.more))
            self._expanded.add(group.path)
            self._rows[head + 1 : head + 1] = [_Row(h, group, child=True) for h in group.more]
            self.endInsertRows()
        elif not expand and is_open:
            self.beginRemoveRows(QModelIndex(), head + 1, head + len(group.more))
            self._expanded.discard(group.path)
            del self._rows[head + 1 : head + 1 + len(group.more)]
            self.endRemoveRows()
        self.dataChanged.emit(self.index(head, 0), self.index(head, len(COLUMNS) - 1))
        return head

    def relevance(self, row: int) -> int:
        res = self.result(row)
        return 0 if res is None else relevance(res, self._effective_mode())

    def _effective_mode(self) -> SearchMode:
        # A hybrid list with no semantic ranks yet (typing, model loading) is scored as the
        # word ranking it is, so the first hit reads 100 rather than 50.
        if self._mode == "hybrid" and not any(r.semantic_rank for r in self._results):
            return "lexical"
        return self._mode

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt idiom)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return column_titles()[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        row = index.row() if index.isValid() else -1
        res = self.result(row)
        if res is None:
            return None
        col = index.column()
        if role == RESULT_ROLE:
            return res
        if role == CHILD_ROLE:
            return self._rows[row].child
        if role == MORE_ROLE:
            return self._more_text(row)
        if role == RELEVANCE_ROLE:
            return self.relevance(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(res, row, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(res, row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SCORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _more_text(self, row: int) -> str:
        count = self.more_count(row)
        if not count:
            return ""
        if self.is_expanded(row):
            return QCoreApplication.translate("ResultModel", "show only the best in this file")
        return QCoreApplication.translate("ResultModel", "+%n more in this file", None, count)

    def _display(self, res: SearchResult, row: int, col: int) -> str:
        if col == COL_FILE:
            return os.path.basename(res.path)
        if col == COL_LOCATION:
            return location_text(res, self._roots)
        if col == COL_SYMBOL:
            return res.symbol or ""
        if col == COL_TYPE:
            kind = (
                QCoreApplication.translate("ResultModel", "code")
                if res.kind == "code"
                else QCoreApplication.translate("ResultModel", "doc")
            )
            return f"{res.language} · {kind}" if res.language else kind
        return str(self.relevance(row))

    def _tooltip(self, res: SearchResult, row: int) -> str:
        lines = [
            res.path,
            QCoreApplication.translate("ResultModel", "lines %1–%2")
            .replace("%1", str(res.start_line))
            .replace("%2", str(res.end_line)),
        ]
        parts = [
            QCoreApplication.translate("ResultModel", "relevance %1 of 100").replace(
                "%1", str(self.relevance(row))
            )
        ]
        if res.similarity is not None:
            parts.append(
                QCoreApplication.translate("ResultModel", "similarity %1").replace(
                    "%1", f"{res.similarity:.2f}"
                )
            )
        if res.lexical_rank is not None:
            parts.append(
                QCoreApplication.translate("ResultModel", "word rank %1").replace(
                    "%1", str(res.lexical_rank)
                )
            )
        if res.semantic_rank is not None:
            parts.append(
                QCoreApplication.translate("ResultModel", "meaning rank %1").replace(
                    "%1", str(res.semantic_rank)
                )
            )
        lines.append(" · ".join(parts))
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class _Row:
    result: SearchResult
    group: FileGroup
    child: bool


class ResultDelegate(QStyledItemDelegate):
    """Draws a result as two lines, so the file name and symbol are never squeezed out:

    ``name.py  Symbol.path`` ................................ ``▮▮▮▮▯ 87``
    ``folder/sub/name.py:42`` (dimmed)  ``+2 more in this file``  ``python · code``

    A file's other hits (expanded) are indented. Clicking "+N more" emits
    :attr:`more_clicked` with the row.

    Signals:
        more_clicked(int): the "+N more in this file" text of a row was clicked.
    """

    PADDING = 6
    BAR_WIDTH = 44
    INDENT = 22
    more_clicked = Signal(int)

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        height = QFontMetrics(option.font).height()
        return QSize(200, 2 * height + 2 * self.PADDING + 2)

    def _rects(self, option: QStyleOptionViewItem, index: ModelIndex) -> dict[str, QRect]:
        indent = self.INDENT if index.data(CHILD_ROLE) else 0
        rect = option.rect.adjusted(
            self.PADDING + 2 + indent, self.PADDING, -self.PADDING, -self.PADDING
        )
        fm = QFontMetrics(option.font)
        line = fm.height()
        top = QRect(rect.left(), rect.top(), rect.width(), line)
        bottom = QRect(rect.left(), rect.top() + line + 2, rect.width(), line)
        kind = str(index.siblingAtColumn(COL_TYPE).data() or "")
        score = str(index.siblingAtColumn(COL_SCORE).data() or "")
        right_width = (
            max(fm.horizontalAdvance(kind), self.BAR_WIDTH + 6 + fm.horizontalAdvance("100")) + 12
        )
        more = str(index.data(MORE_ROLE) or "")
        more_width = fm.horizontalAdvance(more) if more else 0
        more_rect = QRect(bottom.right() - right_width - more_width, bottom.top(), more_width, line)
        return {
            "top": top,
            "bottom": bottom,
            "more": more_rect,
            "room": QRect(0, 0, rect.width() - right_width, line),
            "score": QRect(top.right() - fm.horizontalAdvance(score), top.top(), 0, line),
        }

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: ModelIndex,
    ) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
            and index.data(MORE_ROLE)
            and self._rects(option, index)["more"].contains(event.position().toPoint())
        ):
            self.more_clicked.emit(index.row())
            return True
        return super().editorEvent(event, model, option, index)

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
        link = option.palette.color(
            group, QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Link
        )
        rects = self._rects(option, index)
        top, bottom = rects["top"], rects["bottom"]
        normal, bold = QFont(option.font), QFont(option.font)
        bold.setBold(True)
        fm = QFontMetrics(normal)
        painter.save()
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        # Right-hand column first, so the left texts know how much room they have.
        score = text(COL_SCORE)
        painter.setFont(normal)
        painter.setPen(dim)
        painter.drawText(top, right, score)
        painter.drawText(bottom, right, text(COL_TYPE))
        self._draw_bar(painter, top, fm, int(index.data(RELEVANCE_ROLE) or 0), main, dim)
        room = rects["room"].width()
        name = QFontMetrics(bold).elidedText(text(COL_FILE), Qt.TextElideMode.ElideMiddle, room)
        painter.setFont(bold)
        painter.setPen(main)
        painter.drawText(top, left, name)
        used = QFontMetrics(bold).horizontalAdvance(name) + 12
        symbol = fm.elidedText(text(COL_SYMBOL), Qt.TextElideMode.ElideRight, room - used)
        painter.setFont(normal)
        painter.drawText(top.adjusted(used, 0, 0, 0), left, symbol)
        more = str(index.data(MORE_ROLE) or "")
        more_rect = rects["more"]
        location_room = room - (more_rect.width() + 12 if more else 0)
        location = fm.elidedText(text(COL_LOCATION), Qt.TextElideMode.ElideMiddle, location_room)
        painter.setPen(dim)
        painter.drawText(bottom, left, location)
        if more:
            painter.setPen(link)
            painter.drawText(more_rect, left, more)
        painter.restore()

    def _draw_bar(
        self,
        painter: QPainter,
        top: QRect,
        fm: QFontMetrics,
        value: int,
        fill: QColor,
        track: QColor,
    ) -> None:
        """A relevance bar left of the number: the length reads faster than the digits."""
        height = max(4, fm.height() // 3)
        x = top.right() - fm.horizontalAdvance("100") - 6 - self.BAR_WIDTH
        y = top.center().y() - height // 2
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_mix(track, fill, 0.2))
        painter.drawRoundedRect(QRect(x, y, self.BAR_WIDTH, height), 2, 2)
        painter.setBrush(fill)
        width = round(self.BAR_WIDTH * max(0, min(100, value)) / 100)
        if width:
            painter.drawRoundedRect(QRect(x, y, width, height), 2, 2)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` of the way towards ``b`` (a dimmed text colour for any theme)."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )

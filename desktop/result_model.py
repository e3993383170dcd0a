"""The table model behind the result list: one row per :class:`SearchResult`."""

from __future__ import annotations

import os
from pathlib import PurePath

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

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
            kind = "code" if res.kind == "code" else "document"
            return f"{res.language} · {kind}" if res.language else kind
        return f"{res.score:.3f}"

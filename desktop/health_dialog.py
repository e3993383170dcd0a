"""The index-health view: every skipped or failed file with the reason."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QGuiApplication, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.coded_text import reason_text

ProblemRow = tuple[str, str, str]  # (path, status, reason), as Store.problem_files() gives


class HealthDialog(QDialog):
    """A filterable table of problem files; "Copy list" puts it on the clipboard as TSV."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Kenning — index health"))
        self.resize(820, 440)
        self.summary = QLabel(self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Filter by path or reason"))
        self.model = QStandardItemModel(0, 3, self)
        self.model.setHorizontalHeaderLabels(
            [self.tr("File"), self.tr("Status"), self.tr("Reason")]
        )
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)  # every column
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton(self.tr("Copy list"), self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self._rows: list[ProblemRow] = []
        self.set_problems([])

    def set_problems(self, rows: Sequence[ProblemRow]) -> None:
        self._rows = [(str(p), str(s), str(r or "")) for p, s, r in rows]
        self.model.setRowCount(0)
        # Status and reason show in the interface language; "Copy list" keeps the stored words.
        shown = {
            "skipped": self.tr("skipped"),
            "failed": self.tr("failed"),
            "pending": self.tr("will retry"),
            "indexed": self.tr("indexed"),
        }
        for path, status, reason in self._rows:
            label, why = shown.get(status, status), reason_text(reason)
            items = [QStandardItem(path), QStandardItem(label), QStandardItem(why)]
            for item in items:
                item.setToolTip(f"{path}\n{label}: {why}")
            self.model.appendRow(items)
        if not self._rows:
            self.summary.setText(self.tr("Every file in the indexed folders was indexed."))
        else:
            failed = sum(1 for _, s, _ in self._rows if s == "failed")
            self.summary.setText(
                self.tr(
                    "{count} file(s) not indexed: {failed} failed, {skipped} skipped. Skips are "
                    "usually intended (binary, too large, excluded); failures are worth a look."
                ).format(count=len(self._rows), failed=failed, skipped=len(self._rows) - failed)
            )

    def rows(self) -> list[ProblemRow]:
        return list(self._rows)

    def copy_to_clipboard(self) -> None:
        text = "\n".join("\t".join(row) for row in self._rows)
        QGuiApplication.clipboard().setText(text)

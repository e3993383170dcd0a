"""The search window: query field, filters, result list, preview and status bar.

The window only shows things and reports what the user asked for; the app wires its
signals to the query runner, the editor launcher and the index service. Keyboard first:
typing goes to the query field, Up/Down move through results without leaving it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QFont,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop.preview import PreviewPane
from desktop.query_runner import QueryOutcome, QueryRunner
from desktop.result_model import ResultDelegate, ResultModel
from engine.types import SearchFilters, SearchMode, SearchResult

log = logging.getLogger(__name__)

COMMON_LANGUAGES = (
    "python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "csharp",
    "ruby", "php", "bash", "markdown", "text", "rst", "pdf", "docx",
)  # fmt: skip
PENDING_NOTE = "finding semantic matches…"
SHORTCUT_HELP = (
    "Enter opens in your editor · Ctrl+Enter shows it in the file manager · "
    "Ctrl+Shift+C copies path:line · Esc hides"
)


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s left"
    if seconds < 3600:
        return f"{seconds // 60} min left"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min left"


class SearchWindow(QMainWindow):
    """The main window.

    Signals:
        open_requested(SearchResult): Enter or double-click on a result.
        reveal_requested(SearchResult): show the result's file in the file manager.
        health_requested(): the skipped/failed count in the status bar was clicked.
        settings_requested(): Settings from the window's menu.
        quit_requested(): Quit from the window's menu (or closing it without a tray).
        hidden_to_tray(): the window was closed or Esc'd while a tray icon keeps the app.
    """

    open_requested = Signal(object)
    reveal_requested = Signal(object)
    health_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()
    hidden_to_tray = Signal()

    def __init__(self, runner: QueryRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Kenning")
        self.resize(1280, 760)
        self.runner = runner
        self.hide_to_tray = False  # the app sets it when a tray icon exists
        self._roots: list[str] = []
        self._indexed_files = 0
        self._busy_note = ""
        self._last_outcome: QueryOutcome | None = None
        self._runner_note = ""
        self._quitting = False

        self.query = QLineEdit(self)
        self.query.setObjectName("searchField")
        self.query.setPlaceholderText("Search your files — describe what you are looking for")
        self.query.setClearButtonEnabled(True)
        font = QFont(self.query.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.query.setFont(font)
        self.query.installEventFilter(self)

        self.folder_box = QComboBox(self)
        self.kind_box = QComboBox(self)
        for label, value in (("Any kind", None), ("Code", "code"), ("Documents", "text")):
            self.kind_box.addItem(label, value)
        self.language_box = QComboBox(self)
        self.language_box.setEditable(True)
        self.language_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.language_box.lineEdit().setPlaceholderText("Any language")
        self.language_box.addItem("")
        self.language_box.addItems(list(COMMON_LANGUAGES))
        self.glob_edit = QLineEdit(self)
        self.glob_edit.setPlaceholderText("Path glob, e.g. *.py or */tests/*")
        self.mode_box = QComboBox(self)
        for label, value in (("Hybrid", "hybrid"), ("Semantic", "semantic"), ("Words", "lexical")):
            self.mode_box.addItem(label, value)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        for label, widget, stretch in (
            ("Folder", self.folder_box, 2),
            ("Kind", self.kind_box, 0),
            ("Language", self.language_box, 1),
            ("Path", self.glob_edit, 2),
            ("Mode", self.mode_box, 0),
        ):
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget, stretch)

        self.model = ResultModel(self)
        # A flat QTreeView: whole-row selection and no grid, which reads better than a table.
        self.table = QTreeView(self)
        self.table.setObjectName("resultList")
        self.table.setRootIsDecorated(False)
        self.table.setItemsExpandable(False)
        self.table.setUniformRowHeights(True)
        self.table.setAllColumnsShowFocus(True)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # One visible column drawn by ResultDelegate as two lines; the model keeps its
        # columns for tooltips, copying and accessibility.
        self.table.setItemDelegate(ResultDelegate(self.table))
        self.table.setHeaderHidden(True)
        for column in range(1, self.model.columnCount()):
            self.table.setColumnHidden(column, True)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)

        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setMargin(24)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.table)

        self.preview = PreviewPane(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 740])

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.query)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        self._build_menu()
        self._build_shortcuts()

        self.query.textChanged.connect(self._submit)
        self.folder_box.currentIndexChanged.connect(self._submit)
        self.kind_box.currentIndexChanged.connect(self._submit)
        self.language_box.currentTextChanged.connect(self._submit)
        self.glob_edit.textChanged.connect(self._submit)
        self.mode_box.currentIndexChanged.connect(self._submit)
        runner.results_ready.connect(self.show_outcome)
        runner.failed.connect(self._on_failed)
        runner.semantic_pending.connect(self._on_semantic_pending)
        self.set_roots([])

    # ----- construction helpers

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.index_label = QLabel("No index yet", self)
        self.model_label = QLabel("Model: loading…", self)
        self.progress_label = QLabel("", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.problems_button = QPushButton("", self)
        self.problems_button.setFlat(True)
        self.problems_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problems_button.setToolTip("Files that were skipped or failed, with the reason")
        self.problems_button.clicked.connect(self.health_requested.emit)
        self.problems_button.hide()
        bar.addWidget(self.index_label)
        bar.addWidget(self.model_label)
        bar.addPermanentWidget(self.progress_label)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.problems_button)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&Kenning")
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.settings_requested.emit)
        self.health_action = QAction("Index &health…", self)
        self.health_action.triggered.connect(self.health_requested.emit)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.quit_requested.emit)
        for action in (self.settings_action, self.health_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.index_menu = self.menuBar().addMenu("&Index")  # the app adds the tray's actions

    def _build_shortcuts(self) -> None:
        def shortcut(keys: str | QKeySequence, slot: Any) -> QShortcut:
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(slot)
            return sc

        self.open_shortcuts = [
            shortcut("Return", self.open_current),
            shortcut("Enter", self.open_current),
        ]
        self.reveal_shortcuts = [
            shortcut("Ctrl+Return", self.reveal_current),
            shortcut("Ctrl+Enter", self.reveal_current),
        ]
        self.copy_shortcut = shortcut("Ctrl+Shift+C", self.copy_current)
        self.focus_shortcut = shortcut("Ctrl+L", self.focus_query)
        self.escape_shortcut = shortcut("Escape", self.escape)

    # ----- public API used by the app

    def set_roots(self, roots: list[str]) -> None:
        self._roots = list(roots)
        self.model.set_roots(self._roots)
        current = self.folder_box.currentData()
        self.folder_box.blockSignals(True)
        self.folder_box.clear()
        self.folder_box.addItem("All folders", None)
        for root in self._roots:
            self.folder_box.addItem(root, root)
        idx = self.folder_box.findData(current)
        self.folder_box.setCurrentIndex(max(0, idx))
        self.folder_box.blockSignals(False)
        self._update_message()

    def set_languages(self, languages: list[str]) -> None:
        current = self.language_box.currentText()
        self.language_box.blockSignals(True)
        self.language_box.clear()
        self.language_box.addItem("")
        self.language_box.addItems(sorted(set(languages) | set(COMMON_LANGUAGES)))
        self.language_box.setEditText(current)
        self.language_box.blockSignals(False)

    def set_mode(self, mode: str) -> None:
        idx = self.mode_box.findData(mode)
        if idx >= 0:
            self.mode_box.setCurrentIndex(idx)

    def current_mode(self) -> SearchMode:
        return self.mode_box.currentData()

    def current_filters(self) -> SearchFilters:
        glob = self.glob_edit.text().strip()
        language = self.language_box.currentText().strip().lower()
        return SearchFilters(
            path_glob=glob or None,
            language=language or None,
            kind=self.kind_box.currentData(),
            folder=self.folder_box.currentData(),
        )

    def set_index_stats(self, files: int, chunks: int) -> None:
        self._indexed_files = files
        self.index_label.setText(f"{files:,} files · {chunks:,} chunks indexed")
        self._update_message()

    def set_model_text(self, text: str) -> None:
        self.model_label.setText(text)

    def set_activity(self, text: str, fraction: float | None = None) -> None:
        """Indexing activity in the status bar; an empty text hides it."""
        self.progress_label.setText(text)
        if not text:
            self.progress_bar.hide()
        elif fraction is None:
            self.progress_bar.setRange(0, 0)  # busy indicator
            self.progress_bar.show()
        else:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(1000 * max(0.0, min(1.0, fraction))))
            self.progress_bar.show()
        self._busy_note = text
        self._update_message()

    def set_problem_count(self, count: int) -> None:
        self.problems_button.setText(f"⚠ {count:,} skipped/failed")
        self.problems_button.setVisible(count > 0)

    def show_notice(self, text: str, timeout_ms: int = 10000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def bring_forward(self) -> None:
        self.show()
        self.setWindowState(
            (self.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive
        )
        self.raise_()
        self.activateWindow()
        self.focus_query()

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def current_result(self) -> SearchResult | None:
        return self.model.result(self.table.currentIndex().row())

    # ----- results

    def _submit(self) -> None:
        self.runner.submit(self.query.text(), self.current_filters(), self.current_mode())
        if not self.query.text().strip():
            self._update_message()

    def show_outcome(self, outcome: QueryOutcome) -> None:
        """Show a runner outcome; older generations than the last shown are ignored."""
        last = self._last_outcome
        if last is not None and outcome.generation < last.generation:
            return
        self._last_outcome = outcome
        # The same query refined (semantic hits merged, the index changed): stay on the row
        # the user is looking at. A different query starts again at the best hit.
        same_query = last is not None and last.request == outcome.request
        keep = self.current_result() if same_query else None
        self.model.set_results(outcome.results)
        row = 0
        if keep is not None:
            for i, res in enumerate(outcome.results):
                if res.chunk_id == keep.chunk_id:
                    row = i
                    break
        if outcome.results:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(self.model.index(row, 0))
        else:
            self.preview.show_message("")
        self._show_runner_note(outcome.note or ("" if outcome.final else PENDING_NOTE))
        self._update_message()

    def _show_runner_note(self, note: str) -> None:
        # Replace or clear only the runner's own note, never an error shown meanwhile.
        bar = self.statusBar()
        if note:
            bar.showMessage(note)
        elif bar.currentMessage() == self._runner_note:
            bar.clearMessage()
        self._runner_note = note

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self.runner.generation:
            self.statusBar().showMessage(message, 15000)

    def _on_semantic_pending(self, pending: bool) -> None:
        if pending:
            self._show_runner_note(PENDING_NOTE)

    def _update_message(self) -> None:
        query = self.query.text().strip()
        has_rows = self.model.rowCount() > 0
        if query and has_rows:
            self.stack.setCurrentWidget(self.table)
            return
        self.stack.setCurrentWidget(self.message)
        if not self._roots:
            text = (
                "No folders are indexed yet.\n\n"
                "Open Settings (Ctrl+,) and add the folders you want to search."
            )
        elif not query:
            files = f"{self._indexed_files:,} files" if self._indexed_files else "your files"
            text = (
                f"Type to search {files}.\n\n"
                "Describe what you are looking for in your own words — "
                "“retry failed uploads”, “where is the config parsed” — "
                "or type a name such as load_config.\n\n" + SHORTCUT_HELP
            )
            if self._busy_note:
                text += f"\n\n{self._busy_note}"
            self.preview.show_message("")
        else:
            last = self._last_outcome
            text = f"No results for “{query}”."
            if last is not None and last.note:
                text += f"\n\n{last.note.capitalize()}."
            if self._busy_note:
                text += f"\n\nThe index is not complete yet ({self._busy_note})."
            active = self._active_filter_text()
            if active:
                text += f"\n\nFilters are on ({active}); clear them to search everything."
            elif self.current_mode() == "lexical":
                text += "\n\nWords mode matches exact words; try Hybrid or Semantic."
            else:
                text += "\n\nTry describing it differently, or fewer words."
        self.message.setText(text)

    def _active_filter_text(self) -> str:
        f = self.current_filters()
        parts = []
        if f.folder:
            parts.append(f"folder {f.folder}")
        if f.kind:
            parts.append("code" if f.kind == "code" else "documents")
        if f.language:
            parts.append(f"language {f.language}")
        if f.path_glob:
            parts.append(f"path {f.path_glob}")
        return ", ".join(parts)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        res = self.model.result(current.row())
        if res is not None:
            request = self.runner.request
            self.preview.show_result(res, request.text if request else self.query.text())

    # ----- actions on the current result

    def _on_double_click(self, index: QModelIndex) -> None:
        res = self.model.result(index.row())
        if res is not None:
            self.open_requested.emit(res)

    def open_current(self) -> None:
        res = self.current_result()
        if res is not None:
            self.open_requested.emit(res)

    def reveal_current(self) -> None:
        res = self.current_result()
        if res is not None:
            self.reveal_requested.emit(res)

    def copy_current(self) -> None:
        res = self.current_result()
        if res is not None:
            QGuiApplication.clipboard().setText(f"{res.path}:{res.start_line}")
            self.statusBar().showMessage(f"Copied {res.path}:{res.start_line}", 4000)

    def escape(self) -> None:
        if self.hide_to_tray:
            self.hide()
            self.hidden_to_tray.emit()
        elif self.query.text():
            self.query.clear()
        else:
            self.showMinimized()

    def _context_menu(self, pos: Any) -> None:
        index = self.table.indexAt(pos)
        res = self.model.result(index.row())
        if res is None:
            return
        self.table.setCurrentIndex(index)
        menu = QMenu(self)
        menu.addAction("Open in editor\tEnter", self.open_current)
        menu.addAction("Show in file manager\tCtrl+Enter", self.reveal_current)
        menu.addAction("Copy path:line\tCtrl+Shift+C", self.copy_current)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # ----- Qt overrides

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.query and key in (
                Qt.Key.Key_Up,
                Qt.Key.Key_Down,
                Qt.Key.Key_PageUp,
                Qt.Key.Key_PageDown,
            ):
                # Arrow keys browse results while the caret stays in the query field.
                self._move_selection(key)
                return True
            if watched is self.table and event.matches(QKeySequence.StandardKey.Copy):
                self.copy_current()
                return True
        return super().eventFilter(watched, event)

    def _move_selection(self, key: int) -> None:
        rows = self.model.rowCount()
        if not rows:
            return
        row = self.table.currentIndex().row()
        row_height = max(1, self.table.sizeHintForRow(0))
        page = max(1, self.table.viewport().height() // row_height - 1)
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -page}.get(key, page)
        row = max(0, min(rows - 1, (row if row >= 0 else -1) + step))
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(self.model.index(row, 0))

    def prepare_to_quit(self) -> None:
        """The app is quitting: the next close event closes instead of hiding to the tray.

        Qt 6 sends every window a close event when the application quits; without this a
        window that hides to the tray would say "still running" while the app exits.
        """
        self._quitting = True

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.hide_to_tray and not self._quitting:
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        event.accept()
        if not self._quitting:
            self._quitting = True
            self.quit_requested.emit()

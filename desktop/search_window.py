"""The search window: query field, filters, result list, preview and status bar.

The window only shows things and reports what the user asked for; the app wires its
signals to the query runner, the editor launcher and the index service. Keyboard first:
typing goes to the query field, Up/Down move through results without leaving it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
)
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
from desktop.query_history import HistoryCursor, QueryHistory
from desktop.query_runner import (
    NEED_WORDS,
    NOT_RERANKED,
    RERANK_NOTE,
    QueryOutcome,
    QueryRunner,
)
from desktop.result_model import MORE_ROLE, ResultDelegate, ResultModel
from engine.query_syntax import QuerySyntaxError, parse_query, with_filters
from engine.types import SearchFilters, SearchMode, SearchResult

log = logging.getLogger(__name__)

COMMON_LANGUAGES = (
    "python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "csharp",
    "ruby", "php", "bash", "markdown", "text", "rst", "pdf", "docx",
)  # fmt: skip
PENDING_NOTE = QT_TRANSLATE_NOOP("SearchWindow", "finding semantic matches…")
# A query that stays on screen this long with results is worth remembering.
HISTORY_DWELL_MS = 1500


def shortcut_help() -> str:
    return QCoreApplication.translate(
        "SearchWindow",
        "Enter opens in your editor · Ctrl+Enter shows it in the file manager · "
        "Alt+Right shows more hits of a file · Ctrl+Shift+C copies path:line · "
        "Up in the empty box recalls recent searches · Esc hides",
    )


def syntax_help() -> str:
    return QCoreApplication.translate(
        "SearchWindow",
        "Narrow it down as you type: path:src/*.py  lang:go  kind:code or kind:text  "
        '"exact phrase"  -word',
    )


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return QCoreApplication.translate("SearchWindow", "{s}s left").format(s=seconds)
    if seconds < 3600:
        return QCoreApplication.translate("SearchWindow", "{m} min left").format(m=seconds // 60)
    return QCoreApplication.translate("SearchWindow", "{h} h {m} min left").format(
        h=seconds // 3600, m=f"{seconds % 3600 // 60:02d}"
    )


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

    def __init__(
        self,
        runner: QueryRunner,
        parent: QWidget | None = None,
        *,
        history: QueryHistory | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Kenning")
        self.resize(1280, 760)
        self.runner = runner
        self.hide_to_tray = False  # the app sets it when a tray icon exists
        self._roots: list[str] = []
        self._indexed_files = 0
        self._busy_note = ""
        self._last_outcome: QueryOutcome | None = None
        # Whether the user picked the current row (keys, mouse) since the last new query; a
        # row the window selected itself is not a choice to keep when the query is refined.
        self._row_chosen = False
        self._auto_selecting = False
        self._runner_note = ""
        self._quitting = False
        self._syncing = False  # filter widgets are being set from the typed syntax
        self._show_weak = False  # the user asked to see loosely related results anyway
        self.history = history
        self.history_cursor = HistoryCursor(history) if history is not None else None
        self._history_timer = QTimer(self)
        self._history_timer.setSingleShot(True)
        self._history_timer.setInterval(HISTORY_DWELL_MS)
        self._history_timer.timeout.connect(self._remember_query)

        self.query = QLineEdit(self)
        self.query.setObjectName("searchField")
        self.query.setPlaceholderText(
            self.tr("Search your files — describe what you are looking for")
        )
        self.query.setClearButtonEnabled(True)
        font = QFont(self.query.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.query.setFont(font)
        self.query.installEventFilter(self)
        self.syntax_label = QLabel(self)
        self.syntax_label.setObjectName("syntaxError")
        self.syntax_label.setStyleSheet("color: #c0392b")
        self.syntax_label.setTextFormat(Qt.TextFormat.PlainText)
        self.syntax_label.hide()
        self.history_menu = QMenu(self)
        self.history_menu.aboutToShow.connect(self._fill_history_menu)
        self.history_action = self.query.addAction(
            self.style().standardIcon(self.style().StandardPixmap.SP_FileDialogDetailedView),
            QLineEdit.ActionPosition.TrailingPosition,
        )
        self.history_action.setToolTip(self.tr("Recent searches"))
        self.history_action.triggered.connect(self._show_history_menu)
        self.history_action.setVisible(history is not None)

        self.folder_box = QComboBox(self)
        self.kind_box = QComboBox(self)
        for label, value in (
            (self.tr("Any kind"), None),
            (self.tr("Code"), "code"),
            (self.tr("Documents"), "text"),
        ):
            self.kind_box.addItem(label, value)
        self.language_box = QComboBox(self)
        self.language_box.setEditable(True)
        self.language_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.language_box.lineEdit().setPlaceholderText(self.tr("Any language"))
        self.language_box.addItem("")
        self.language_box.addItems(list(COMMON_LANGUAGES))
        self.glob_edit = QLineEdit(self)
        self.glob_edit.setPlaceholderText(self.tr("Path glob, e.g. *.py or */tests/*"))
        self.mode_box = QComboBox(self)
        for label, value in (
            (self.tr("Hybrid"), "hybrid"),
            (self.tr("Semantic"), "semantic"),
            (self.tr("Words"), "lexical"),
        ):
            self.mode_box.addItem(label, value)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        for label, widget, stretch in (
            (self.tr("Folder"), self.folder_box, 2),
            (self.tr("Kind"), self.kind_box, 0),
            (self.tr("Language"), self.language_box, 1),
            (self.tr("Path"), self.glob_edit, 2),
            (self.tr("Mode"), self.mode_box, 0),
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
        self.delegate = ResultDelegate(self.table)
        self.delegate.more_clicked.connect(self.toggle_more)
        self.table.setItemDelegate(self.delegate)
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
        self.show_weak_button = QPushButton(self.tr("Show the closest results anyway"), self)
        self.show_weak_button.clicked.connect(self.show_weak_results)
        self.show_weak_button.hide()
        self.message_page = QWidget(self)
        page = QVBoxLayout(self.message_page)
        page.addStretch(1)
        page.addWidget(self.message)
        page.addWidget(self.show_weak_button, 0, Qt.AlignmentFlag.AlignHCenter)
        page.addStretch(1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message_page)
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
        layout.addWidget(self.syntax_label)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self._build_status_bar()
        self._build_menu()
        self._build_shortcuts()

        self.query.textChanged.connect(self._submit)
        self.query.textEdited.connect(self._on_query_edited)
        self.folder_box.currentIndexChanged.connect(self._submit)
        # The typed syntax is the truth; the widgets rewrite its operators.
        self.kind_box.currentIndexChanged.connect(self._on_filter_widget_changed)
        self.language_box.currentTextChanged.connect(self._on_filter_widget_changed)
        self.glob_edit.textChanged.connect(self._on_filter_widget_changed)
        self.mode_box.currentIndexChanged.connect(self._submit)
        runner.results_ready.connect(self.show_outcome)
        runner.failed.connect(self._on_failed)
        runner.semantic_pending.connect(self._on_semantic_pending)
        self.set_roots([])

    # ----- construction helpers

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.index_label = QLabel(self.tr("No index yet"), self)
        self.model_label = QLabel(self.tr("Model: loading…"), self)
        self.progress_label = QLabel("", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.problems_button = QPushButton("", self)
        self.problems_button.setFlat(True)
        self.problems_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problems_button.setToolTip(
            self.tr("Files that were skipped or failed, with the reason")
        )
        self.problems_button.clicked.connect(self.health_requested.emit)
        self.problems_button.hide()
        bar.addWidget(self.index_label)
        bar.addWidget(self.model_label)
        bar.addPermanentWidget(self.progress_label)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.problems_button)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&Kenning"))
        self.settings_action = QAction(self.tr("&Settings…"), self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.settings_requested.emit)
        self.health_action = QAction(self.tr("Index &health…"), self)
        self.health_action.triggered.connect(self.health_requested.emit)
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.quit_requested.emit)
        for action in (self.settings_action, self.health_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.index_menu = self.menuBar().addMenu(
            self.tr("&Index")
        )  # the app adds the tray's actions

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
        self.folder_box.addItem(self.tr("All folders"), None)
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
        """The filters in force: the typed syntax's (mirrored by the widgets) and the folder."""
        try:
            parsed = parse_query(self.query.text())
        except QuerySyntaxError:
            parsed = None
        base = SearchFilters(folder=self.folder_box.currentData())
        return parsed.filters(base) if parsed is not None else base

    def set_index_stats(self, files: int, chunks: int) -> None:
        self._indexed_files = files
        self.index_label.setText(
            self.tr("{files} files · {chunks} chunks indexed").format(
                files=f"{files:,}", chunks=f"{chunks:,}"
            )
        )
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
        self.problems_button.setText(self.tr("⚠ {count} skipped/failed").format(count=f"{count:,}"))
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

    # ----- query syntax and filter widgets

    def _submit(self) -> None:
        text = self.query.text()
        try:
            parsed = parse_query(text)
        except QuerySyntaxError as exc:
            # Keep the last good results on screen; say what is wrong right under the box.
            self.syntax_label.setText(self._syntax_message(str(exc)))
            self.syntax_label.show()
            return
        self.syntax_label.hide()
        self._mirror_filters(parsed.path_glob, parsed.language, parsed.kind)
        folder_only = SearchFilters(folder=self.folder_box.currentData())
        self.runner.submit(text, folder_only, self.current_mode())
        if not text.strip():
            self._update_message()

    def _syntax_message(self, message: str) -> str:
        return self.tr("Query syntax: {message}").format(message=message)

    def _mirror_filters(self, glob: str | None, language: str | None, kind: str | None) -> None:
        """Show the typed operators in the filter widgets without feeding back."""
        self._syncing = True
        try:
            for widget in (self.glob_edit, self.language_box, self.kind_box):
                widget.blockSignals(True)
            if self.glob_edit.text() != (glob or ""):
                self.glob_edit.setText(glob or "")
            if self.language_box.currentText() != (language or ""):
                self.language_box.setEditText(language or "")
            self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(kind)))
        finally:
            for widget in (self.glob_edit, self.language_box, self.kind_box):
                widget.blockSignals(False)
            self._syncing = False

    def _on_filter_widget_changed(self, *_args: object) -> None:
        if self._syncing:
            return
        glob = self.glob_edit.text().strip() or None
        language = self.language_box.currentText().strip().lower() or None
        text = with_filters(
            self.query.text(), path_glob=glob, language=language, kind=self.kind_box.currentData()
        )
        if text != self.query.text():
            self.query.setText(text)  # textChanged submits it
        else:
            self._submit()

    # ----- history

    def _on_query_edited(self, _text: str) -> None:
        if self.history_cursor is not None:
            self.history_cursor.reset()

    def _recall(self, text: str | None) -> bool:
        if text is None:
            return False
        self.query.setText(text)
        self.query.end(False)
        return True

    def _remember_query(self) -> None:
        outcome = self._last_outcome
        if self.history is None or outcome is None or not outcome.results:
            return
        if outcome.request.text and outcome.request.text == self.query.text().strip():
            self.history.add(outcome.request.text)

    def _fill_history_menu(self) -> None:
        self.history_menu.clear()
        entries = self.history.entries() if self.history is not None else []
        for entry in entries[:20]:
            action = self.history_menu.addAction(entry)
            action.triggered.connect(lambda _checked=False, e=entry: self._recall(e))
        if not entries:
            self.history_menu.addAction(self.tr("No recent searches")).setEnabled(False)

    def _show_history_menu(self) -> None:
        self.history_menu.popup(self.query.mapToGlobal(self.query.rect().bottomRight()))

    # ----- results

    def show_outcome(self, outcome: QueryOutcome) -> None:
        """Show a runner outcome; older generations than the last shown are ignored."""
        last = self._last_outcome
        if last is not None and outcome.generation < last.generation:
            return
        self._last_outcome = outcome
        # The same query refined (semantic hits merged, the index changed): stay on the row
        # the user is looking at. A different query starts again at the best hit.
        same_query = last is not None and last.request == outcome.request
        if not same_query:
            self._row_chosen = False
        # Only a row the user chose is kept: the first row selected for the lexical phase is
        # not a choice, and the semantic phase (or a rerank) may put another result first.
        keep = self.current_result() if same_query and self._row_chosen else None
        self._auto_selecting = True
        try:
            if not same_query:
                self._show_weak = False
                self.model.collapse_all()
            self.model.set_results(outcome.results, outcome.request.mode)
            row = 0
            if keep is not None:
                for i in range(self.model.rowCount()):
                    res = self.model.result(i)
                    if res is not None and res.chunk_id == keep.chunk_id:
                        row = i
                        break
            if self.model.rowCount():
                self._select(row)
                if not same_query:
                    self.table.scrollToTop()
            else:
                self.preview.show_message("")
        finally:
            self._auto_selecting = False
        if outcome.final and outcome.results and not outcome.weak:
            self._history_timer.start()
        note = self._status_note(outcome.note)
        self._show_runner_note(note or ("" if outcome.final else self.tr(PENDING_NOTE)))
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
            self._show_runner_note(self.tr(PENDING_NOTE))

    def _update_message(self) -> None:
        query = self.query.text().strip()
        has_rows = self.model.rowCount() > 0
        last = self._last_outcome
        weak = last is not None and last.weak and not self._show_weak
        if query and has_rows and not weak:
            self.stack.setCurrentWidget(self.table)
            return
        self.stack.setCurrentWidget(self.message_page)
        self.show_weak_button.setVisible(bool(query and has_rows and weak))
        if not self._roots:
            text = self.tr(
                "No folders are indexed yet.\n\n"
                "Open Settings (Ctrl+,) and add the folders you want to search."
            )
        elif not query:
            files = (
                self.tr("{count} files").format(count=f"{self._indexed_files:,}")
                if self._indexed_files
                else self.tr("your files")
            )
            text = (
                self.tr("Type to search {files}.").format(files=files)
                + "\n\n"
                + self.tr(
                    "Describe what you are looking for in your own words — "
                    "“retry failed uploads”, “where is the config parsed” — "
                    "or type a name such as load_config."
                )
                + "\n\n"
                + syntax_help()
                + "\n\n"
                + shortcut_help()
            )
            if self._busy_note:
                text += f"\n\n{self._busy_note}"
            self.preview.show_message("")
        elif has_rows and weak:
            text = self.tr("No good match for “{query}”: nothing indexed is close to it.").format(
                query=self._query_words()
            )
            text += "\n\n" + self.tr("Try other words, or a name that appears in the file.")
            self.preview.show_message("")
        else:
            text = self.tr("No results for “{query}”.").format(query=self._query_words())
            if last is not None and last.note:
                text += "\n\n" + self._note_text(last.note)
            if self._busy_note:
                text += "\n\n" + self.tr("The index is not complete yet ({note}).").format(
                    note=self._busy_note
                )
            active = self._active_filter_text()
            if active:
                text += "\n\n" + self.tr(
                    "Filters are on ({filters}); clear them to search everything."
                ).format(filters=active)
            elif self.current_mode() == "lexical":
                text += "\n\n" + self.tr("Words mode matches exact words; try Hybrid or Semantic.")
            else:
                text += "\n\n" + self.tr("Try describing it differently, or fewer words.")
        self.message.setText(text)

    def _query_words(self) -> str:
        """The query without its operators (they are listed as filters)."""
        try:
            return parse_query(self.query.text()).text or self.query.text().strip()
        except QuerySyntaxError:
            return self.query.text().strip()

    def _status_note(self, note: str) -> str:
        """The runner's note for the status bar, in the interface language."""
        if note == RERANK_NOTE:
            return self.tr("reranking the top results…")
        if note.startswith(NOT_RERANKED):
            return self.tr("not reranked: {reason}").format(reason=note[len(NOT_RERANKED) :])
        return self._note_text(note) if note else ""

    def _note_text(self, note: str) -> str:
        notes = {
            NEED_WORDS: self.tr("Add words to search for; the filters alone match everything."),
            "no index yet": self.tr("No index yet."),
            "semantic results once the model has loaded": self.tr(
                "Semantic results once the model has loaded."
            ),
        }
        return notes.get(note, note.capitalize() + ".")

    def show_weak_results(self) -> None:
        """Show the loosely related results the "no good match" page held back."""
        self._show_weak = True
        self._update_message()
        if self.model.rowCount():
            self._auto_selecting = True
            try:
                self._select(0)
            finally:
                self._auto_selecting = False

    def _active_filter_text(self) -> str:
        f = self.current_filters()
        parts = []
        if f.folder:
            parts.append(self.tr("folder {name}").format(name=f.folder))
        if f.kind:
            parts.append(self.tr("code") if f.kind == "code" else self.tr("documents"))
        if f.language:
            parts.append(self.tr("language {name}").format(name=f.language))
        if f.path_glob:
            parts.append(self.tr("path {glob}").format(glob=f.path_glob))
        return ", ".join(parts)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._auto_selecting and current.isValid():
            self._row_chosen = True
        res = self.model.result(current.row())
        if res is not None:
            self.preview.show_result(res, self._query_words())

    # ----- actions on the current result

    def _on_double_click(self, index: QModelIndex) -> None:
        res = self.model.result(index.row())
        if res is not None:
            self.open_requested.emit(res)

    def open_current(self) -> None:
        res = self.current_result()
        if res is not None:
            self._history_timer.stop()
            self._remember_query()
            self.open_requested.emit(res)

    def reveal_current(self) -> None:
        res = self.current_result()
        if res is not None:
            self.reveal_requested.emit(res)

    def copy_current(self) -> None:
        res = self.current_result()
        if res is not None:
            QGuiApplication.clipboard().setText(f"{res.path}:{res.start_line}")
            self.statusBar().showMessage(
                self.tr("Copied {location}").format(location=f"{res.path}:{res.start_line}"), 4000
            )

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
        menu.addAction(self.tr("Open in editor") + "\tEnter", self.open_current)
        menu.addAction(self.tr("Show in file manager") + "\tCtrl+Enter", self.reveal_current)
        menu.addAction(self.tr("Copy path:line") + "\tCtrl+Shift+C", self.copy_current)
        more = self.model.data(self.model.index(index.row(), 0), MORE_ROLE)
        if more:
            menu.addAction(str(more) + "\tAlt+Right", lambda: self.toggle_more(index.row()))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # ----- Qt overrides

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            alt = event.modifiers() & Qt.KeyboardModifier.AltModifier
            if watched is self.query and alt and key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
                self.toggle_more(self.table.currentIndex().row(), key == Qt.Key.Key_Right)
                return True
            if watched is self.table and key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
                self.toggle_more(self.table.currentIndex().row(), key == Qt.Key.Key_Right)
                return True
            if (
                watched is self.query
                and key in (Qt.Key.Key_Up, Qt.Key.Key_Down)
                and self._history_key(key)
            ):
                return True
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

    def _history_key(self, key: int) -> bool:
        """Up in an empty box (or on a recalled query still at its best hit) goes back in
        the history, Down comes forward again; otherwise the arrows browse results."""
        cursor = self.history_cursor
        if cursor is None:
            return False
        text = self.query.text()
        recalled = cursor.active and text == cursor.current()
        if key == Qt.Key.Key_Up and (not text or (recalled and self._at_top())):
            return self._recall(cursor.older()) or not text
        if key == Qt.Key.Key_Down and recalled and self._at_top():
            return self._recall(cursor.newer())
        return False

    def _at_top(self) -> bool:
        return self.table.currentIndex().row() <= 0

    def toggle_more(self, row: int, expand: bool | None = None) -> None:
        """Expand or fold the other hits of the file at ``row``; the file stays current."""
        if row < 0:
            return
        current = self.current_result()
        head = self.model.toggle(row, expand)
        target = head
        for i in range(self.model.rowCount()):
            res = self.model.result(i)
            if current is not None and res is not None and res.chunk_id == current.chunk_id:
                target = i
                break
        self._select(target)

    def _select(self, row: int) -> None:
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(self.model.index(row, 0))

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

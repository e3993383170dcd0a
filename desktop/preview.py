"""The preview pane: a result's chunk in its file, highlighted, with line numbers.

The file is lexed by Pygments from its start (so a chunk inside a docstring is coloured
right), then only a window of lines around the chunk is shown. The chunk's lines get a
full-width background and the query's words are marked inside it; the view opens scrolled
so the chunk starts near the top. Line numbers live in a gutter widget, so copying code
from the preview copies only code.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.style import StyleMeta
from pygments.styles import get_style_by_name
from pygments.util import ClassNotFound
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.lexical_tokens import CJK_CHAR
from engine.lexical_tokens import query_terms as lexical_query_terms
from engine.types import SearchResult

log = logging.getLogger(__name__)

CONTEXT_LINES = 40  # shown above and below the chunk
MAX_FILE_BYTES = 4_000_000  # larger files show the indexed snippet instead
MAX_LEX_CHARS = 400_000  # lex from the window start instead of the file start beyond this
_BINARY_LANGUAGES = {"pdf", "docx"}
CJK_MONO_FONTS = ("Noto Sans Mono CJK SC", "Noto Sans CJK SC", "Source Han Sans SC")
_STOPWORDS = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "is", "it",
    "of", "on", "or", "that", "the", "this", "to", "what", "when", "where", "which", "with",
}  # fmt: skip


def query_terms(query: str) -> list[str]:
    """Words worth marking: 2+ characters, no stop words, longest first.

    A Chinese query is also searched by the English words of its glossary terms
    (``engine.cjk_glossary``): those are marked too, since they are what the hit holds.
    """
    words = {w for w in re.findall(r"\w+", query) if len(w) >= 2 and w.lower() not in _STOPWORDS}
    if CJK_CHAR.search(query):
        words.update(
            t
            for t in lexical_query_terms(query)
            if t.isascii() and len(t) >= 2 and t not in _STOPWORDS
        )
    return sorted(words, key=lambda w: (-len(w), w))


@dataclass(frozen=True, slots=True)
class PreviewText:
    """The lines shown, and where the chunk sits among them (0-based block numbers).

    ``lex_prefix`` is the file text before the window: it is lexed (so a window that starts
    inside a docstring or comment is coloured as one) but not shown.
    """

    lines_text: str
    first_line: int  # file line number of block 0
    chunk_first_block: int
    chunk_last_block: int
    from_file: bool
    lex_prefix: str = ""


def _lexer_for(result: SearchResult, sample: str) -> Lexer:
    for attempt in (
        lambda: get_lexer_by_name(result.language),
        lambda: get_lexer_for_filename(result.path, sample),
    ):
        try:
            return attempt()
        except ClassNotFound:
            continue
    return TextLexer()


def load_preview_text(result: SearchResult, context: int = CONTEXT_LINES) -> PreviewText:
    """Read the window of ``result``'s file; fall back to the stored snippet.

    The snippet is used for PDF/DOCX results, for files that vanished or are too large, and
    for files that no longer decode as text.
    """
    text: str | None = None
    if result.language not in _BINARY_LANGUAGES:
        try:
            path = Path(result.path)
            if path.stat().st_size <= MAX_FILE_BYTES:
                raw = path.read_bytes()
                if b"\x00" not in raw[:8192]:
                    text = raw.decode("utf-8", errors="replace")
        except OSError as exc:
            log.info("preview falls back to the snippet for %s: %s", result.path, exc)
    if text is None:
        n = max(1, result.snippet.count("\n") + 1)
        return PreviewText(result.snippet, result.start_line, 0, n - 1, False)
    lines = text.splitlines()
    start = max(1, result.start_line - context)
    end = min(max(len(lines), 1), result.end_line + context)
    chunk_last = min(result.end_line, max(end, result.start_line)) - start
    window = "\n".join(lines[start - 1 : end])
    prefix = "\n".join(lines[: start - 1])
    if len(prefix) > MAX_LEX_CHARS:
        prefix = ""  # too much to lex on every selection; the colours may start off
    elif prefix:
        prefix += "\n"
    return PreviewText(window, start, result.start_line - start, chunk_last, True, prefix)


class _LineNumberArea(QWidget):
    def __init__(self, editor: CodeView) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._editor.paint_gutter(event)


class CodeView(QPlainTextEdit):
    """Read-only code view whose gutter numbers blocks from ``first_line``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        # Chinese comments and documents: prefer Simplified Chinese shapes over whichever
        # CJK face fontconfig would try first for a monospace font.
        cjk = [f for f in CJK_MONO_FONTS if f in set(QFontDatabase.families())]
        font.setFamilies([*font.families(), *cjk])
        self.setFont(font)
        self.first_line = 1
        self.gutter_color = QColor("#888888")
        self.gutter_background = QColor("#f0f0f0")
        self._gutter = _LineNumberArea(self)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self._update_gutter_width()

    def gutter_width(self) -> int:
        digits = len(str(self.first_line + max(1, self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_gutter_width(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), self.gutter_background)
        painter.setPen(self.gutter_color)
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = self._gutter.width() - 6
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible():
                number = str(self.first_line + block.blockNumber())
                painter.drawText(0, top, width, height, Qt.AlignmentFlag.AlignRight, number)
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        painter.end()

    def first_visible_line(self) -> int:
        return self.first_line + self.firstVisibleBlock().blockNumber()


class PreviewPane(QWidget):
    """A header (path and lines) above a :class:`CodeView`."""

    def __init__(self, parent: QWidget | None = None, style: str | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel(self)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.view = CodeView(self)
        self.view.setObjectName("previewPane")
        self.placeholder = QLabel(self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setEnabled(False)  # greyed: it is a hint, not content
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(self.stack, 1)
        dark = self.palette().base().color().lightness() < 128
        self._style: StyleMeta = get_style_by_name(style or ("one-dark" if dark else "default"))
        self._formats: dict[object, QTextCharFormat] = {}
        self._apply_style_colors()
        self.current: SearchResult | None = None
        self.shown: PreviewText | None = None
        self.show_message(self.tr("Select a result to preview it here."))

    def _apply_style_colors(self) -> None:
        bg = QColor(self._style.background_color or "#ffffff")
        fg = QColor("#d0d0d0" if bg.lightness() < 128 else "#202020")
        self.view.setStyleSheet(
            f"QPlainTextEdit {{ background: {bg.name()}; color: {fg.name()}; }}"
        )
        self.view.gutter_background = bg.darker(108) if bg.lightness() >= 128 else bg.lighter(130)
        dark = bg.lightness() < 128
        self._chunk_bg = QColor("#2c3a4a" if dark else "#e8f0fe")
        self._term_bg = QColor("#7a6400" if dark else "#ffe066")

    def show_message(self, text: str) -> None:
        """No result to show: a hint instead of the code view."""
        self.current = None
        self.shown = None
        self.header.setText("")
        self.view.first_line = 1
        self.view.setExtraSelections([])
        self.view.clear()
        self.placeholder.setText(text)
        self.stack.setCurrentWidget(self.placeholder)

    def show_result(self, result: SearchResult, query: str = "") -> None:
        self.current = result
        shown = load_preview_text(result)
        self.shown = shown
        lines = (
            self.tr("line {line}").format(line=result.start_line)
            if result.start_line == result.end_line
            else self.tr("lines {start}–{end}").format(start=result.start_line, end=result.end_line)
        )
        symbol = f"  ·  {result.symbol}" if result.symbol else ""
        note = "" if shown.from_file else "  " + self.tr("(indexed text)")
        self.header.setText(f"{result.path}  ·  {lines}{symbol}{note}")
        self.view.first_line = shown.first_line
        self.stack.setCurrentWidget(self.view)
        self._fill(result, shown)
        self._mark(shown, query_terms(query))
        self._scroll_to_chunk(shown)

    def _char_format(self, ttype: object) -> QTextCharFormat:
        fmt = self._formats.get(ttype)
        if fmt is None:
            style = self._style.style_for_token(ttype)
            fmt = QTextCharFormat()
            if style["color"]:
                fmt.setForeground(QColor("#" + style["color"]))
            if style["bold"]:
                fmt.setFontWeight(QFont.Weight.Bold)
            if style["italic"]:
                fmt.setFontItalic(True)
            self._formats[ttype] = fmt
        return fmt

    def _fill(self, result: SearchResult, shown: PreviewText) -> None:
        self.view.clear()
        self.view.setExtraSelections([])
        doc = self.view.document()
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()
        lexer = _lexer_for(result, (shown.lex_prefix or shown.lines_text)[:4096])
        # Pygments' own newline handling would strip a leading blank line; keep them all.
        lexer.stripnl = False
        lexer.ensurenl = False
        skip = len(shown.lex_prefix)  # characters lexed for context but not shown
        for ttype, value in lexer.get_tokens(shown.lex_prefix + shown.lines_text):
            if skip >= len(value):
                skip -= len(value)
                continue
            value, skip = value[skip:], 0
            fmt = self._char_format(ttype)
            parts = value.split("\n")
            for i, part in enumerate(parts):
                if i:
                    cursor.insertBlock()
                if part:
                    cursor.insertText(part, fmt)
        cursor.endEditBlock()

    def _mark(self, shown: PreviewText, terms: list[str]) -> None:
        doc = self.view.document()
        selections: list[QTextEdit.ExtraSelection] = []
        first = doc.findBlockByNumber(shown.chunk_first_block)
        last = doc.findBlockByNumber(shown.chunk_last_block)
        if not last.isValid():
            last = doc.lastBlock()
        block = first
        while block.isValid() and block.blockNumber() <= last.blockNumber():
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(self._chunk_bg)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            sel.cursor = QTextCursor(block)
            selections.append(sel)
            block = block.next()
        end_pos = last.position() + last.length() if last.isValid() else 0
        for term in terms:
            found = doc.find(term, first.position() if first.isValid() else 0)
            while not found.isNull() and found.selectionEnd() <= end_pos:
                sel = QTextEdit.ExtraSelection()
                sel.format.setBackground(self._term_bg)
                sel.cursor = found
                selections.append(sel)
                found = doc.find(term, found, QTextDocument.FindFlag(0))
        self.view.setExtraSelections(selections)

    def marked_terms(self) -> list[str]:
        """The text of every query-term mark, for tests and accessibility."""
        return [
            s.cursor.selectedText() for s in self.view.extraSelections() if s.cursor.hasSelection()
        ]

    def _scroll_to_chunk(self, shown: PreviewText) -> None:
        # Put the chunk's first line a few lines below the top, so its context shows too.
        doc = self.view.document()
        bar = self.view.verticalScrollBar()
        bar.setValue(bar.minimum())
        end = doc.findBlockByNumber(shown.chunk_last_block)
        if end.isValid():
            self.view.setTextCursor(QTextCursor(end))
            self.view.ensureCursorVisible()
        target = max(0, shown.chunk_first_block - 3)
        # In a QPlainTextEdit the vertical scroll value counts blocks (lines unwrapped).
        bar.setValue(min(target, bar.maximum()))
        self.view.setTextCursor(QTextCursor(doc.findBlockByNumber(shown.chunk_first_block)))

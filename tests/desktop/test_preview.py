"""The preview: the chunk in its file with context, line numbers, colours and marks."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor

from desktop.preview import CONTEXT_LINES, PreviewPane, load_preview_text, query_terms
from engine.types import SearchResult

pytestmark = pytest.mark.gui


def make_file(tmp_path: Path, lines: int = 300) -> Path:
    body = [f"# filler line {i}" for i in range(1, lines + 1)]
    body[199] = "def parse_config(path):"
    body[200] = '    """Read the CONFIG file and return settings."""'
    body[201] = "    return load(path)"
    path = tmp_path / "settings.py"
    path.write_text("\n".join(body) + "\n")
    return path


def result_for(path: Path, start: int, end: int, **kw) -> SearchResult:
    base = dict(
        chunk_id=7,
        path=str(path),
        start_line=start,
        end_line=end,
        score=0.9,
        kind="code",
        language="python",
        symbol="parse_config",
        snippet="def parse_config(path):",
    )
    base.update(kw)
    return SearchResult(**base)


def test_query_terms_skip_stop_words():
    assert query_terms("where is the config parsed") == ["config", "parsed"]
    assert query_terms("a") == []


def test_window_around_the_chunk(tmp_path):
    path = make_file(tmp_path)
    shown = load_preview_text(result_for(path, 200, 202))
    assert shown.from_file
    assert shown.first_line == 200 - CONTEXT_LINES
    lines = shown.lines_text.split("\n")
    assert lines[shown.chunk_first_block] == "def parse_config(path):"
    assert lines[shown.chunk_last_block] == "    return load(path)"
    assert len(lines) == 2 * CONTEXT_LINES + 3


def test_pane_shows_highlighted_chunk_scrolled_into_view(qtbot, tmp_path):
    pane = PreviewPane()
    qtbot.addWidget(pane)
    pane.resize(700, 300)
    pane.show()
    qtbot.waitExposed(pane)
    path = make_file(tmp_path)
    pane.show_result(result_for(path, 200, 202), "parse the config")
    view = pane.view
    assert "settings.py" in pane.header.text() and "lines 200–202" in pane.header.text()
    # Line numbers continue the file's numbering.
    assert view.first_line == 200 - CONTEXT_LINES
    # Query words are marked inside the chunk only (the filler lines mention neither).
    assert sorted(t.lower() for t in pane.marked_terms()) == ["config", "config", "parse"]
    # Pygments colours: the keyword "def" and the docstring differ from plain text.
    block = view.document().findBlockByNumber(CONTEXT_LINES)
    colours = {fr.charFormat().foreground().color().name() for fr in _fragments(block)}
    assert len(colours) >= 2
    # Scrolled: the chunk's first line is visible, the file's first lines are not.
    first_visible = view.first_visible_line()
    assert first_visible <= 200 < first_visible + 15
    assert first_visible > 200 - CONTEXT_LINES
    cursor = QTextCursor(view.document().findBlockByNumber(CONTEXT_LINES))
    assert view.viewport().rect().contains(view.cursorRect(cursor).center())


def test_a_chinese_query_marks_the_english_words_it_was_searched_by(qtbot, tmp_path):
    # "解析配置文件" is searched by its glossary words (parse*, conf*, file, ...): the English
    # hit holds those, not the Chinese, so those are what the preview marks.
    assert {"pars", "conf", "file"} <= set(query_terms("解析配置文件"))
    assert query_terms("where is the config parsed") == ["config", "parsed"]  # English: as before
    pane = PreviewPane()
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitExposed(pane)
    pane.show_result(result_for(make_file(tmp_path), 200, 202), "解析配置文件")
    marked = sorted(t.lower() for t in pane.marked_terms())
    assert "pars" in marked and marked.count("conf") >= 2 and "file" in marked


def _fragments(block):
    it = block.begin()
    while not it.atEnd():
        yield it.fragment()
        it += 1


def test_missing_file_falls_back_to_the_indexed_snippet(qtbot, tmp_path):
    pane = PreviewPane()
    qtbot.addWidget(pane)
    res = result_for(tmp_path / "gone.py", 12, 13, snippet="def gone():\n    pass")
    pane.show_result(res, "gone")
    assert pane.view.toPlainText() == "def gone():\n    pass"
    assert pane.view.first_line == 12
    assert "(indexed text)" in pane.header.text()


def test_pdf_results_show_their_text(qtbot, tmp_path):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\x00binary")
    pane = PreviewPane()
    qtbot.addWidget(pane)
    pane.show_result(
        result_for(pdf, 1, 3, kind="text", language="pdf", snippet="Retry with backoff."),
        "retry",
    )
    assert pane.view.toPlainText() == "Retry with backoff."
    assert pane.marked_terms() == ["Retry"]


def test_a_window_starting_inside_a_docstring_is_coloured_as_one(qtbot, tmp_path):
    lines = ["def documented():", '    """'] + ["    for each item in the list"] * 100
    lines += ['    """', "    return 1"]
    path = tmp_path / "doc.py"
    path.write_text("\n".join(lines) + "\n")
    pane = PreviewPane(style="default")
    qtbot.addWidget(pane)
    pane.show_result(result_for(path, 100, 104, symbol="documented"), "")
    assert pane.view.first_line == 100 - CONTEXT_LINES  # deep inside the docstring
    block = pane.view.document().findBlockByNumber(0)
    assert block.text() == "    for each item in the list"
    colours = {fr.charFormat().foreground().color().name() for fr in _fragments(block)}
    bold = {fr.charFormat().fontWeight() > 400 for fr in _fragments(block)}
    # One string colour for the whole line: "for" and "in" are not keywords here.
    assert len(colours) == 1 and bold == {False}

"""Chunk prose files: Markdown by heading, reStructuredText by section title, text by paragraph.

A chunk's symbol is its heading path (``Install > Linux``). Paragraphs are split on blank
lines, except that a fenced code block (with its blank lines and ``#`` comments) is always
one paragraph and never read as headings. Paragraphs of one section are packed up to the
token budget; sections are never mixed in one chunk. Line numbers are the file's own,
1-based and inclusive, and a chunk's text is exactly those lines (or a part of one line when
a single huge line had to be cut).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.types import Chunk
from indexer.chunk_types import CountTokens
from indexer.text_packing import Section, SectionCollector, newline_line_map, pack_sections

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST_ITEM = re.compile(r"^ {0,3}([-+*]|\d{1,9}[.)])([ \t]|$)")
_RST_ADORNMENT = re.compile(r"""^([!-/:-@\[-`{-~])\1+[ \t]*$""")
_FRONT_MATTER_CLOSE = {"---": ("---", "..."), "+++": ("+++",)}


@dataclass(slots=True)
class _Lines:
    """The text as lines, with each line's start offset, for turning line ranges into spans."""

    text: str
    lines: list[str]
    starts: list[int]

    @classmethod
    def of(cls, text: str) -> _Lines:
        lines = text.split("\n")
        starts, offset = [], 0
        for line in lines:
            starts.append(offset)
            offset += len(line) + 1
        return cls(text, lines, starts)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Offsets covering lines ``first``..``last`` (0-based, inclusive)."""
        return self.starts[first], self.starts[last] + len(self.lines[last])


class _SectionBuilder:
    """Groups non-blank lines into paragraphs while a parser reports headings and blanks."""

    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.collector = SectionCollector()
        self.paragraph_start: int | None = None

    def add_line(self, index: int) -> None:
        if self.paragraph_start is None:
            self.paragraph_start = index

    def end_paragraph(self, last: int) -> None:
        if self.paragraph_start is not None and last >= self.paragraph_start:
            self.collector.add(self.lines.span(self.paragraph_start, last))
        self.paragraph_start = None

    def add_block(self, first: int, last: int) -> None:
        self.end_paragraph(first - 1)
        self.collector.add(self.lines.span(first, last))

    def heading(self, level: int, title: str, first: int, last: int) -> None:
        """A heading of ``level`` (1 = top) titled ``title`` on lines ``first``..``last``."""
        self.end_paragraph(first - 1)
        self.collector.heading(level, title, self.lines.span(first, last))

    def finish(self) -> list[Section]:
        self.end_paragraph(len(self.lines.lines) - 1)
        return self.collector.finish()


def _markdown_sections(text: str) -> list[Section]:
    lines = _Lines.of(text)
    builder = _SectionBuilder(lines)
    rows = lines.lines
    i = _front_matter_end(rows)
    if i:
        builder.add_block(0, i - 1)
    while i < len(rows):
        line = rows[i]
        fence = _FENCE_OPEN.match(line)
        if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            close = _fence_close(rows, i, fence.group(1))
            builder.add_block(i, close)
            i = close + 1
            continue
        atx = _ATX_HEADING.match(line)
        if atx:
            title = (atx.group(2) or "").strip()
            builder.heading(len(atx.group(1)), title, i, i)
            i += 1
            continue
        underline = _SETEXT_UNDERLINE.match(line)
        start = builder.paragraph_start
        if underline and start is not None and not _LIST_ITEM.match(rows[start]):
            title = " ".join(row.strip() for row in rows[start:i])
            builder.paragraph_start = None
            builder.heading(1 if underline.group(1)[0] == "=" else 2, title, start, i)
            i += 1
            continue
        if line.strip():
            builder.add_line(i)
        else:
            builder.end_paragraph(i - 1)
        i += 1
    return builder.finish()


def _front_matter_end(rows: list[str]) -> int:
    """The index after a YAML (``---``) or TOML (``+++``) front matter block, or 0."""
    closers = _FRONT_MATTER_CLOSE.get(rows[0].rstrip()) if rows else None
    if not closers:
        return 0
    for index in range(1, len(rows)):
        if rows[index].rstrip() in closers:
            return index + 1
    return 0


def _fence_close(rows: list[str], opening: int, fence: str) -> int:
    """Index of the line closing the fence opened at ``opening`` (the last line if none)."""
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for index in range(opening + 1, len(rows)):
        if closing.match(rows[index]):
            return index
    return len(rows) - 1


def _rst_sections(text: str) -> list[Section]:
    lines = _Lines.of(text)
    builder = _SectionBuilder(lines)
    rows = lines.lines
    styles: list[tuple[str, bool]] = []  # title styles in order of first use = their level
    i = 0
    while i < len(rows):
        title = _rst_title_at(rows, i)
        if title is not None:
            text_row, last, style = title
            if style not in styles:
                styles.append(style)
            builder.heading(styles.index(style) + 1, rows[text_row].strip(), i, last)
            i = last + 1
            continue
        if rows[i].strip():
            builder.add_line(i)
        else:
            builder.end_paragraph(i - 1)
        i += 1
    return builder.finish()


def _rst_title_at(rows: list[str], i: int) -> tuple[int, int, tuple[str, bool]] | None:
    """A section title starting at row ``i``: (title row, last row, (char, overlined))."""
    previous_blank = i == 0 or not rows[i - 1].strip()
    if not previous_blank:
        return None
    over = _RST_ADORNMENT.match(rows[i])
    if over and i + 2 < len(rows):
        title, under = rows[i + 1].strip(), _RST_ADORNMENT.match(rows[i + 2])
        same = under and under.group(1) == over.group(1)
        if title and same and len(rows[i].rstrip()) >= len(title):
            return i + 1, i + 2, (over.group(1), True)
    if i + 1 < len(rows) and rows[i].strip() and not rows[i][0].isspace():
        under = _RST_ADORNMENT.match(rows[i + 1])
        if under and not over and len(rows[i + 1].rstrip()) >= len(rows[i].rstrip()):
            return i, i + 1, (under.group(1), False)
    return None


def _paragraph_sections(text: str) -> list[Section]:
    lines = _Lines.of(text)
    builder = _SectionBuilder(lines)
    for index, row in enumerate(lines.lines):
        if row.strip():
            builder.add_line(index)
        else:
            builder.end_paragraph(index - 1)
    return builder.finish()


def chunk_markdown(
    text: str, rel_path: str, *, max_tokens: int, count_tokens: CountTokens
) -> list[Chunk]:
    """Markdown by heading; symbol = heading path; front matter is the first paragraph."""
    return pack_sections(
        text,
        _markdown_sections(text),
        newline_line_map(text),
        language="markdown",
        rel_path=rel_path,
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )


def chunk_rst(
    text: str, rel_path: str, *, max_tokens: int, count_tokens: CountTokens
) -> list[Chunk]:
    """reStructuredText by section title (levels in order of first use, as docutils does)."""
    return pack_sections(
        text,
        _rst_sections(text),
        newline_line_map(text),
        language="rst",
        rel_path=rel_path,
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )


def chunk_plain_text(
    text: str, rel_path: str, *, max_tokens: int, count_tokens: CountTokens
) -> list[Chunk]:
    """Plain text by paragraph (blank-line separated), packed up to the budget."""
    return pack_sections(
        text,
        _paragraph_sections(text),
        newline_line_map(text),
        language="text",
        rel_path=rel_path,
        max_tokens=max_tokens,
        count_tokens=count_tokens,
    )

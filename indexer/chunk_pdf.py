"""Chunk PDFs by page and paragraph with pypdf.

Line numbers are page numbers: a chunk's ``start_line``/``end_line`` is the 1-based page it
comes from (a chunk never spans pages), and its symbol is ``page N``, or
``page N: Chapter > Section`` when the PDF's outline (bookmarks) names the section the page
belongs to. That is what a user can act on: PDF viewers open at a page, not a line
(``evince --page-label=N``, ``okular --page N``, ``#page=N`` in browsers).

Paragraphs come from the vertical gaps between extracted text lines. Hostile files are
bounded: page count, extracted characters and wall time are capped, and every failure of
pypdf (broken xref, circular references, recursion, encryption) becomes ``SkipFile`` with a
reason; the pipeline additionally runs parsers in a worker process with a deadline.
"""

from __future__ import annotations

import io
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Any

from engine.types import Chunk
from indexer.chunk_types import ChunkingContext, SkipFile
from indexer.text_packing import Section, block_line_map, pack_sections

logger = logging.getLogger(__name__)

MAX_PAGES = 5000
MAX_TEXT_CHARS = 20_000_000
MAX_SECONDS = 120.0
MAX_OUTLINE_ITEMS = 10_000
# A vertical step this much larger than the page's usual line spacing starts a paragraph.
PARAGRAPH_GAP_FACTOR = 1.4


def chunk_pdf(data: bytes, ctx: ChunkingContext) -> list[Chunk]:
    """Chunk a PDF's text; raise ``SkipFile`` for encrypted, broken or text-less PDFs."""
    try:
        pages, headings = _extract(data)
    except SkipFile:
        raise
    except Exception as err:  # pypdf raises many types on hostile input; all mean "unreadable"
        raise SkipFile(f"unreadable PDF: {_one_line(err)}") from err
    if not any(paragraphs for paragraphs in pages):
        raise SkipFile("PDF has no extractable text (scanned images?)")

    source_parts: list[str] = []
    sections: list[Section] = []
    starts: list[int] = []
    page_numbers: list[int] = []
    offset = 0
    for index, paragraphs in enumerate(pages):
        if not paragraphs:
            continue
        number = index + 1
        heading = headings.get(index)
        section = Section(f"page {number}: {heading}" if heading else f"page {number}")
        starts.append(offset)
        page_numbers.append(number)
        for paragraph in paragraphs:
            section.blocks.append((offset, offset + len(paragraph)))
            source_parts.append(paragraph)
            offset += len(paragraph) + 2
        sections.append(section)
    source = "\n\n".join(source_parts)
    return pack_sections(
        source,
        sections,
        block_line_map(starts, page_numbers),
        language="pdf",
        rel_path=ctx.rel_path,
        max_tokens=ctx.max_tokens,
        count_tokens=ctx.count_tokens,
    )


def _extract(data: bytes) -> tuple[list[list[str]], dict[int, str]]:
    """Per page, its paragraphs; and per page index, the outline heading path covering it."""
    from pypdf import PdfReader

    deadline = time.monotonic() + MAX_SECONDS
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        _decrypt_with_empty_password(reader)
    count = len(reader.pages)
    if count > MAX_PAGES:
        raise SkipFile(f"PDF has {count} pages, more than the {MAX_PAGES} indexed")
    pages: list[list[str]] = []
    total = 0
    for page in reader.pages:
        paragraphs = _page_paragraphs(page)
        total += sum(len(p) for p in paragraphs)
        if total > MAX_TEXT_CHARS:
            raise SkipFile(f"PDF holds more than {MAX_TEXT_CHARS:,} characters of text")
        if time.monotonic() > deadline:
            raise SkipFile(f"PDF text extraction took longer than {MAX_SECONDS:.0f} s")
        pages.append(paragraphs)
    return pages, _outline_headings(reader)


def _decrypt_with_empty_password(reader: Any) -> None:
    """Open PDFs that are only owner-password protected (printing/copy restrictions)."""
    from pypdf.errors import DependencyError

    try:
        opened = reader.decrypt("")
    except DependencyError as err:
        raise SkipFile("encrypted PDF (needs the 'cryptography' package to open)") from err
    if not opened:
        raise SkipFile("encrypted PDF")


@dataclass(slots=True)
class _Line:
    y: float | None
    text: str
    size: float = 0.0  # the font's height on the page, in the same units as y


def _page_paragraphs(page: Any) -> list[str]:
    """The page's text lines, grouped into paragraphs by vertical gaps."""
    lines: list[_Line] = [_Line(None, "")]

    def visit(text: str, cm: list[float], tm: list[float], _font: object, font_size: float) -> None:
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i:
                lines.append(_Line(None, ""))
            if part.strip() and lines[-1].y is None:
                lines[-1].y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                lines[-1].size = abs(font_size * tm[3] * cm[3])
            lines[-1].text += part

    page.extract_text(visitor_text=visit)
    kept = [line for line in lines if line.text.strip()]
    steps = [
        a.y - b.y
        for a, b in itertools.pairwise(kept)
        if a.y is not None and b.y is not None and a.y > b.y
    ]
    if len(steps) >= 3:
        # The lower quartile is the line spacing: gaps between paragraphs are the minority.
        usual: float | None = sorted(steps)[len(steps) // 4]
    else:
        # Too few lines to tell: typesetters set lines about 1.2 font sizes apart.
        sizes = sorted(line.size for line in kept if line.size > 0)
        usual = 1.2 * sizes[len(sizes) // 2] if sizes else None

    paragraphs: list[list[str]] = []
    previous: _Line | None = None
    for line in kept:
        if previous is None or _starts_paragraph(previous, line, usual):
            paragraphs.append([])
        paragraphs[-1].append(line.text.rstrip())
        previous = line
    return ["\n".join(p) for p in paragraphs]


def _starts_paragraph(previous: _Line, line: _Line, usual: float | None) -> bool:
    if usual is None or previous.y is None or line.y is None:
        return False
    step = previous.y - line.y
    # Moving up the page means a new column or a float: a new paragraph either way.
    return step < 0 or step > usual * PARAGRAPH_GAP_FACTOR


def _outline_headings(reader: Any) -> dict[int, str]:
    """Map each page index to the deepest outline entry at or before it (best effort)."""
    try:
        entries: list[tuple[int, str]] = []
        _walk_outline(reader, reader.outline, [], entries)
    except Exception as err:  # a broken outline must not cost the text
        logger.debug("ignoring unreadable PDF outline: %s", err)
        return {}
    if not entries:
        return {}
    entries.sort(key=lambda entry: entry[0])  # stable: document order within a page
    headings: dict[int, str] = {}
    current: str | None = None
    position = 0
    for index in range(len(reader.pages)):
        while position < len(entries) and entries[position][0] <= index:
            current = entries[position][1]
            position += 1
        if current:
            headings[index] = current
    return headings


def _walk_outline(reader: Any, items: list, path: list[str], out: list[tuple[int, str]]) -> None:
    # pypdf represents children as a list right after their parent entry.
    parent_title: str | None = None
    for item in items:
        if len(out) >= MAX_OUTLINE_ITEMS or len(path) > 32:
            return
        if isinstance(item, list):
            if parent_title is not None:
                _walk_outline(reader, item, [*path, parent_title], out)
            continue
        title = " ".join(str(item.title or "").split())
        parent_title = title
        page = reader.get_destination_page_number(item)
        if page is not None and page >= 0 and title:
            out.append((page, " > ".join([*path, title])))


def _one_line(err: BaseException) -> str:
    message = " ".join(str(err).split())[:200]
    return f"{type(err).__name__}: {message}" if message else type(err).__name__

"""Real PDF and DOCX files for tests, written with pypdf and python-docx (no extra deps).

``make_pdf`` draws text with the standard Helvetica font, one PDF text line per paragraph
line, so any PDF reader (pypdf included) extracts it like a real document's text.
"""

from __future__ import annotations

import io
import textwrap
import zipfile
from pathlib import Path

from docx import Document
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

PAGE_WIDTH, PAGE_HEIGHT = 612, 792  # US Letter, points
_FONT_SIZE = 11
_LEADING = 14
_PARAGRAPH_GAP = 10
_WRAP = 90


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _page_content(paragraphs: list[str]) -> bytes:
    ops = [b"BT", b"/F1 %d Tf" % _FONT_SIZE]
    y = PAGE_HEIGHT - 72
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, _WRAP) or [""]:
            ops.append(b"1 0 0 1 72 %d Tm %s Tj" % (y, _pdf_string(line)))
            y -= _LEADING
        y -= _PARAGRAPH_GAP
    ops.append(b"ET")
    return b"\n".join(ops)


def make_pdf(
    path: Path,
    pages: list[list[str]],
    *,
    outline: list[tuple[str, int]] = (),
    password: str | None = None,
) -> Path:
    """Write a PDF whose page ``i`` shows the paragraphs ``pages[i]``.

    ``outline`` adds bookmarks ``(title, 0-based page index)``; ``password`` encrypts it
    (RC4-128, which pypdf does without optional crypto libraries).
    """
    writer = PdfWriter()
    # _add_object is how pypdf itself registers indirect objects; there is no public twin.
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    for paragraphs in pages:
        page = writer.add_blank_page(PAGE_WIDTH, PAGE_HEIGHT)
        stream = DecodedStreamObject()
        stream.set_data(_page_content(paragraphs))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {
                NameObject("/Font"): DictionaryObject({NameObject("/F1"): font}),
                NameObject("/ProcSet"): ArrayObject([NameObject("/PDF"), NameObject("/Text")]),
            }
        )
        page[NameObject("/Rotate")] = NumberObject(0)
    for title, page_index in outline:
        writer.add_outline_item(title=title, page_number=page_index)
    if password is not None:
        writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def make_docx(path: Path, blocks: list[tuple[str, object]]) -> Path:
    """Write a DOCX from ``(style, text)`` blocks.

    ``style`` is a paragraph style name (``"Normal"``, ``"Heading 1"``, ``"Title"``,
    ``"List Bullet"`` ...) with ``text`` a string, or ``"table"`` with ``text`` a list of
    rows (each a list of cell strings).
    """
    document = Document()
    for style, content in blocks:
        if style == "table":
            rows = content  # type: ignore[assignment]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            document.add_paragraph(str(content), style=style)
    document.save(str(path))
    return path


def rewrite_docx_part(source: Path, target: Path, part: str, content: bytes) -> Path:
    """Copy a DOCX, replacing one part (e.g. ``word/document.xml``) with ``content``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(buffer, "w") as new:
        for info in old.infolist():
            data = content if info.filename == part else old.read(info.filename)
            new.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    target.write_bytes(buffer.getvalue())
    return target

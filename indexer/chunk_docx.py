"""Chunk Word documents (DOCX) by paragraph and heading style with python-docx.

Line numbers are paragraph ordinals: the body's paragraphs are numbered 1, 2, 3... in
document order, empty ones included, and each table row counts as one paragraph. Word has
no line numbers a user could jump to, and page numbers depend on the renderer, so the
ordinal is the stable position we can give ("paragraph 12 of the document"). A chunk's
symbol is its heading path from the ``Title`` and ``Heading 1``..``Heading 9`` styles.

A DOCX is a zip of XML parts. Before python-docx (lxml) sees it, the zip's central
directory is checked: too many entries, a part or a total that expands beyond the caps
(zip bombs) and XML parts declaring a DTD (entity expansion bombs: OOXML never uses one)
are skipped with a reason. python-docx's own parser also has ``resolve_entities=False``.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from engine.types import Chunk
from indexer.chunk_types import ChunkingContext, SkipFile
from indexer.text_packing import SectionCollector, block_line_map, pack_sections

MAX_ENTRIES = 5000
MAX_XML_PART_BYTES = 32 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
_PROLOG_READ = 64 * 1024

_HEADING_STYLE = re.compile(r"^heading ([1-9])$", re.IGNORECASE)
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)")
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def chunk_docx(data: bytes, ctx: ChunkingContext) -> list[Chunk]:
    """Chunk a DOCX; raise ``SkipFile`` for broken, hostile or empty documents."""
    check_archive(data)
    try:
        blocks = _read_blocks(data)
    except SkipFile:
        raise
    except Exception as err:  # python-docx/lxml raise many types on broken files
        message = " ".join(str(err).split())[:200]
        raise SkipFile(f"unreadable DOCX: {type(err).__name__}: {message}") from err

    collector = SectionCollector()
    parts: list[str] = []
    starts: list[int] = []
    ordinals: list[int] = []
    offset = 0
    for ordinal, level, text in blocks:
        span = (offset, offset + len(text))
        starts.append(offset)
        ordinals.append(ordinal)
        parts.append(text)
        offset += len(text) + 2
        if level is None:
            collector.add(span)
        else:
            collector.heading(level, " ".join(text.split()), span)
    if not parts:
        return []
    source = "\n\n".join(parts)
    return pack_sections(
        source,
        collector.finish(),
        block_line_map(starts, ordinals),
        language="docx",
        rel_path=ctx.rel_path,
        max_tokens=ctx.max_tokens,
        count_tokens=ctx.count_tokens,
    )


def check_archive(
    data: bytes,
    *,
    max_entries: int = MAX_ENTRIES,
    max_xml_part: int = MAX_XML_PART_BYTES,
    max_total: int = MAX_TOTAL_BYTES,
) -> None:
    """Reject zip bombs and DTD-bearing XML before any XML parser runs.

    The sizes come from the central directory, and ``zipfile`` never inflates a member
    past its declared size (it raises instead), so the declared sizes bound the memory.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise SkipFile("not a valid DOCX file (damaged zip)") from err
    with archive:
        infos = archive.infolist()
        if len(infos) > max_entries:
            raise SkipFile(f"DOCX has {len(infos)} parts, more than {max_entries} (zip bomb?)")
        total = sum(info.file_size for info in infos)
        if total > max_total:
            raise SkipFile(f"DOCX expands to {total // 2**20} MB (zip bomb?)")
        for info in infos:
            name = info.filename.lower()
            if not name.endswith((".xml", ".rels")):
                continue
            if info.file_size > max_xml_part:
                raise SkipFile(
                    f"DOCX part {info.filename} expands to {info.file_size // 2**20} MB (zip bomb?)"
                )
            if _declares_dtd(archive, info):
                raise SkipFile(f"DOCX part {info.filename} declares a DTD (XML entity bomb?)")


def _declares_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether the XML prolog (everything before the root element) holds a DTD."""
    try:
        with archive.open(info) as member:
            head = member.read(_PROLOG_READ)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as err:
        raise SkipFile(f"DOCX part {info.filename} is damaged") from err
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:2] == b"\x00":
        # UTF-16 XML: look at it as text so the patterns below apply.
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    root = _ROOT_START.search(head)
    prolog = head if root is None else head[: root.start()]
    return _DTD.search(prolog) is not None


def _read_blocks(data: bytes) -> list[tuple[int, int | None, str]]:
    """The body as ``(ordinal, heading level or None, text)``, non-empty blocks only."""
    from docx import Document
    from docx.table import Table

    document = Document(io.BytesIO(data))
    blocks: list[tuple[int, int | None, str]] = []
    ordinal = 0
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row_text in _table_rows(item):
                ordinal += 1
                if row_text.strip():
                    blocks.append((ordinal, None, row_text))
            continue
        ordinal += 1
        text = item.text
        if text.strip():
            blocks.append((ordinal, _heading_level(item), text))
    return blocks


def _heading_level(paragraph: Any) -> int | None:
    """1-9 for ``Heading N`` styles (and styles based on them), 0 for ``Title``."""
    style = paragraph.style
    for _ in range(10):  # styles inherit through base_style; cap the walk
        if style is None:
            return None
        name = style.name or ""
        if name.lower() == "title":
            return 0
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    return None


def _table_rows(table: Any) -> list[str]:
    """Each row's cell texts joined by ``" | "``, every merged cell's text given once."""
    rows: list[str] = []
    # A merged cell is returned once per grid column/row it spans. Its <w:tc> element is
    # the identity (python-docx has no public one); the set keeps the lxml proxies alive,
    # which is what makes them stable: a freed proxy's id() could be reused.
    seen: set[Any] = set()
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            cells.append(" ".join(cell.text.split()))
        rows.append(" | ".join(cells))
    return rows

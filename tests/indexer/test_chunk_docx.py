"""DOCX chunking on real documents: heading paths, tables, ordinals, bombs."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from indexer.chunk_docx import MAX_XML_PART_BYTES, check_archive, chunk_docx
from indexer.chunking import ChunkingContext, SkipFile, approx_count_tokens
from tests.indexer.docs_fixtures import make_docx, rewrite_docx_part


def ctx(max_tokens: int = 256) -> ChunkingContext:
    return ChunkingContext("reports/q3.docx", max_tokens, approx_count_tokens)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    return make_docx(
        tmp_path / "report.docx",
        [
            ("Title", "Quarterly report"),  # 1
            ("Normal", "Revenue grew in every region."),  # 2
            ("Heading 1", "Operations"),  # 3
            ("Heading 2", "Shipping"),  # 4
            ("Normal", "Parcels now leave the warehouse twice a day."),  # 5
            ("Normal", ""),  # 6, empty but counted
            ("table", [["Region", "Parcels"], ["North", "1200"], ["South", "900"]]),  # 7-9
            ("Heading 2", "Hiring"),  # 10
            ("List Bullet", "Two drivers joined."),  # 11
            ("Heading 1", "Outlook"),  # 12
            ("Normal", "We expect a calm winter."),  # 13
        ],
    )


def test_headings_tables_and_paragraph_ordinals(report: Path):
    chunks = chunk_docx(report.read_bytes(), ctx())
    assert [(c.symbol, c.start_line, c.end_line) for c in chunks] == [
        ("Quarterly report", 1, 2),
        ("Quarterly report > Operations > Shipping", 3, 9),
        ("Quarterly report > Operations > Hiring", 10, 11),
        ("Quarterly report > Outlook", 12, 13),
    ]
    shipping = chunks[1].text
    assert shipping.startswith("Operations\n\nShipping\n\nParcels now leave")
    assert "Region | Parcels\n\nNorth | 1200\n\nSouth | 900" in shipping
    assert all(c.kind == "text" and c.language == "docx" for c in chunks)
    assert chunks[1].embed_text.startswith(
        "File: reports/q3.docx\nSymbol: Quarterly report > Operations > Shipping\n\n"
    )


def test_long_paragraphs_are_split_and_fit(tmp_path: Path):
    long = " ".join(f"Clause {i} limits the liability of the supplier." for i in range(120))
    path = make_docx(tmp_path / "c.docx", [("Heading 1", "Terms"), ("Normal", long)])
    chunks = chunk_docx(path.read_bytes(), ctx(max_tokens=64))
    assert len(chunks) > 5
    assert max(approx_count_tokens([c.embed_text for c in chunks])) <= 64
    assert all(c.symbol == "Terms" for c in chunks)
    assert {c.start_line for c in chunks[1:]} == {2}
    joined = " ".join(c.text for c in chunks)
    assert all(f"Clause {i} limits" in joined for i in range(120))


def test_merged_cells_are_read_once(tmp_path: Path):
    from docx import Document

    path = make_docx(tmp_path / "m.docx", [("table", [["Name", "Role"], ["", "Lead"]])])
    document = Document(str(path))
    table = document.tables[0]
    table.cell(0, 0).merge(table.cell(1, 0))
    document.save(str(path))
    chunks = chunk_docx(path.read_bytes(), ctx())
    assert [c.text for c in chunks] == ["Name | Role\n\nLead"]


def test_empty_document_gives_no_chunks(tmp_path: Path):
    path = make_docx(tmp_path / "e.docx", [("Normal", ""), ("Normal", "   ")])
    assert chunk_docx(path.read_bytes(), ctx()) == []


def test_zip_bomb_is_rejected_before_parsing(report: Path, tmp_path: Path):
    # A document.xml that inflates past the cap from a few hundred kilobytes.
    padding = b" " * (MAX_XML_PART_BYTES + 1024)
    original = zipfile.ZipFile(report).read("word/document.xml")
    head, tail = original.split(b"<w:body>", 1)
    bomb_xml = head + b"<w:body>" + padding + tail
    bomb = rewrite_docx_part(report, tmp_path / "bomb.docx", "word/document.xml", bomb_xml)
    assert bomb.stat().st_size < 1024 * 1024
    started = time.monotonic()
    with pytest.raises(SkipFile, match=r"word/document\.xml expands to \d+ MB \(zip bomb\?\)"):
        chunk_docx(bomb.read_bytes(), ctx())
    assert time.monotonic() - started < 30  # no inflation happened (generous on a busy box)


def test_archive_limits(report: Path):
    data = report.read_bytes()
    check_archive(data)  # a normal document passes
    with pytest.raises(SkipFile, match="expands to"):
        check_archive(data, max_total=1000)
    with pytest.raises(SkipFile, match="parts, more than 3"):
        check_archive(data, max_entries=3)


def test_declared_sizes_cannot_lie(report: Path):
    """A central directory that understates a part's size fails, it does not inflate more."""
    buffer = io.BytesIO(report.read_bytes())
    with zipfile.ZipFile(buffer) as archive:
        info = archive.getinfo("word/document.xml")
    raw = bytearray(buffer.getvalue())
    # Patch the uncompressed size in the central directory entry to 10 bytes.
    name = info.filename.encode()
    central = raw.rfind(b"PK\x01\x02", 0, raw.rfind(name))
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")
    with pytest.raises(SkipFile):
        chunk_docx(bytes(raw), ctx())


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE w:document [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>
"""


def test_xml_entity_bomb_is_rejected(report: Path, tmp_path: Path):
    bomb = rewrite_docx_part(report, tmp_path / "lol.docx", "word/document.xml", BILLION_LAUGHS)
    with pytest.raises(SkipFile, match="declares a DTD"):
        chunk_docx(bomb.read_bytes(), ctx())


def test_entity_bomb_in_utf16_part_is_rejected(report: Path, tmp_path: Path):
    utf16 = BILLION_LAUGHS.replace(b'encoding="UTF-8"', b'encoding="UTF-16"')
    content = utf16.decode().encode("utf-16")  # with a BOM
    bomb = rewrite_docx_part(report, tmp_path / "lol16.docx", "word/document.xml", content)
    with pytest.raises(SkipFile, match="declares a DTD"):
        chunk_docx(bomb.read_bytes(), ctx())


def test_entity_bomb_in_a_relationship_part_is_rejected(report: Path, tmp_path: Path):
    rels = BILLION_LAUGHS.replace(b"w:document", b"Relationships")
    bomb = rewrite_docx_part(report, tmp_path / "rels.docx", "_rels/.rels", rels)
    with pytest.raises(SkipFile, match=r"_rels/\.rels declares a DTD"):
        chunk_docx(bomb.read_bytes(), ctx())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "damaged zip", id="empty"),
        pytest.param(b"PK\x03\x04garbage", "damaged zip", id="truncated-zip"),
        pytest.param(b"plain text, not a zip", "damaged zip", id="not-zip"),
    ],
)
def test_not_a_docx(data: bytes, reason: str):
    with pytest.raises(SkipFile, match=reason):
        chunk_docx(data, ctx())


def test_zip_that_is_not_a_word_document(tmp_path: Path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(SkipFile, match=r"^unreadable DOCX: "):
        chunk_docx(buffer.getvalue(), ctx())

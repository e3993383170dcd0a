"""PDF chunking on real PDFs: pages as line numbers, outline headings, hostile files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from indexer.chunk_pdf import chunk_pdf
from indexer.chunking import ChunkingContext, SkipFile, approx_count_tokens
from tests.indexer.docs_fixtures import make_pdf


def ctx(max_tokens: int = 256) -> ChunkingContext:
    return ChunkingContext("papers/manual.pdf", max_tokens, approx_count_tokens)


def test_pages_are_line_numbers_and_outline_names_sections(tmp_path: Path):
    pdf = make_pdf(
        tmp_path / "m.pdf",
        [
            ["Kenning manual", "This manual explains how search works."],
            ["To install on Linux, download the AppImage.", "Then make it executable."],
            [],  # an empty page
            ["Queries are embedded and compared with every chunk."],
        ],
        outline=[("Introduction", 0), ("Installation", 1), ("Searching", 3)],
    )
    chunks = chunk_pdf(pdf.read_bytes(), ctx())
    assert [(c.start_line, c.end_line, c.symbol) for c in chunks] == [
        (1, 1, "page 1: Introduction"),
        (2, 2, "page 2: Installation"),
        (4, 4, "page 4: Searching"),
    ]
    assert all(c.kind == "text" and c.language == "pdf" for c in chunks)
    assert chunks[1].text == (
        "To install on Linux, download the AppImage.\n\nThen make it executable."
    )
    assert chunks[1].embed_text.startswith("File: papers/manual.pdf\nSymbol: page 2: Installation")


def test_without_outline_the_symbol_is_the_page(tmp_path: Path):
    pdf = make_pdf(tmp_path / "p.pdf", [["one"], ["two"]])
    assert [c.symbol for c in chunk_pdf(pdf.read_bytes(), ctx())] == ["page 1", "page 2"]


def test_long_page_is_split_within_the_page_and_fits(tmp_path: Path):
    paragraphs = [
        f"Paragraph {i} describes how the indexer retries a failed file." for i in range(40)
    ]
    pdf = make_pdf(tmp_path / "long.pdf", [["Short first page."], paragraphs, ["Last page."]])
    chunks = chunk_pdf(pdf.read_bytes(), ctx(max_tokens=64))
    counts = approx_count_tokens([c.embed_text for c in chunks])
    assert max(counts) <= 64
    page_two = [c for c in chunks if c.start_line == 2]
    assert len(page_two) > 3
    assert all(c.end_line == c.start_line for c in chunks)  # never across pages
    text = "\n".join(c.text for c in page_two)
    assert all(p in text for p in paragraphs)


def test_encrypted_pdf_is_skipped(tmp_path: Path):
    pdf = make_pdf(tmp_path / "locked.pdf", [["secret numbers"]], password="pw")
    with pytest.raises(SkipFile, match=r"^encrypted PDF$"):
        chunk_pdf(pdf.read_bytes(), ctx())


def test_owner_password_only_pdf_is_read(tmp_path: Path):
    from pypdf import PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", [["printable but restricted"]])
    writer = PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    restricted = tmp_path / "restricted.pdf"
    with restricted.open("wb") as handle:
        writer.write(handle)
    chunks = chunk_pdf(restricted.read_bytes(), ctx())
    assert [c.text for c in chunks] == ["printable but restricted"]


def build_pdf(objects: list[bytes]) -> bytes:
    """A PDF from raw object bodies (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PAGE = (
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
    b" /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"
)
CONTENT = b"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 700 Td (Loop text) Tj ET\nendstream"


def test_hand_built_pdf_reads(tmp_path: Path):
    data = build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE,
            CONTENT,
        ]
    )
    assert [c.text for c in chunk_pdf(data, ctx())] == ["Loop text"]


@pytest.mark.parametrize(
    "objects",
    [
        pytest.param(
            [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"],
            id="page-tree-contains-itself",
        ),
        pytest.param(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
            ],
            id="page-tree-cycle",
        ),
    ],
)
def test_circular_page_tree_is_skipped_quickly(objects: list[bytes]):
    started = time.monotonic()
    with pytest.raises(SkipFile, match=r"^unreadable PDF: .*cyclic"):
        chunk_pdf(build_pdf(objects), ctx())
    assert time.monotonic() - started < 30  # bounded, not a hang (generous on a busy CI box)


def test_circular_outline_costs_the_headings_not_the_text():
    data = build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Outlines 5 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE,
            CONTENT,
            b"<< /Type /Outlines /First 6 0 R /Last 6 0 R >>",
            b"<< /Title (Loop) /Parent 5 0 R /Next 6 0 R /First 6 0 R /Dest [3 0 R /Fit] >>",
        ]
    )
    chunks = chunk_pdf(data, ctx())
    assert [c.text for c in chunks] == ["Loop text"]
    assert chunks[0].start_line == 1


def test_page_whose_resources_point_at_itself_has_no_text():
    data = build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Contents [3 0 R] /Resources 3 0 R >>",
        ]
    )
    with pytest.raises(SkipFile, match="no extractable text"):
        chunk_pdf(data, ctx())


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"%PDF-1.7\n" + b"\x00\xff" * 500, id="garbage"),
        pytest.param(b"not a pdf at all", id="not-pdf"),
    ],
)
def test_broken_bytes_are_skipped_with_a_reason(data: bytes):
    with pytest.raises(SkipFile) as info:
        chunk_pdf(data, ctx())
    assert "\n" not in info.value.reason
    assert info.value.reason


def test_truncated_real_pdf_is_skipped_or_read_but_never_raises_otherwise(tmp_path: Path):
    pdf = make_pdf(tmp_path / "t.pdf", [["alpha beta"], ["gamma delta"]]).read_bytes()
    for cut in range(0, len(pdf), max(1, len(pdf) // 40)):
        try:
            chunks = chunk_pdf(pdf[:cut], ctx())
        except SkipFile as skip:
            assert skip.reason and "\n" not in skip.reason
        else:
            assert all(c.text for c in chunks)

"""chunk_file: dispatch by file type, decoding on the way, skips with reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.chunking import (
    CHUNKER_VERSION,
    ChunkingContext,
    SkipFile,
    approx_count_tokens,
    chunk_file,
)
from tests.indexer.docs_fixtures import make_docx, make_pdf


def ctx(rel_path: str, max_tokens: int = 256) -> ChunkingContext:
    return ChunkingContext(rel_path, max_tokens, approx_count_tokens)


def chunk(name: str, data: bytes, max_tokens: int = 256):
    return chunk_file(Path("/project") / name, data, ctx(name, max_tokens))


PYTHON = b'''\
import os


def load_config(path):
    """Read the settings file."""
    with open(path) as handle:
        return handle.read()


class Store:
    def save(self, item):
        return item
'''


def test_code_goes_to_the_tree_sitter_chunker():
    chunks = chunk("pkg/config.py", PYTHON)
    symbols = [c.symbol for c in chunks]
    assert "load_config" in symbols
    assert any(s and s.startswith("Store") for s in symbols)
    assert all(c.kind == "code" and c.language == "python" for c in chunks)
    load = next(c for c in chunks if c.symbol == "load_config")
    assert (load.start_line, load.end_line) == (4, 7)


def test_shebang_names_the_language_of_an_extensionless_script():
    script = b"#!/usr/bin/env python3\n\ndef main():\n    return 0\n"
    chunks = chunk("bin/tool", script)
    assert {c.language for c in chunks} == {"python"}


@pytest.mark.parametrize(
    ("name", "language"),
    [("README.md", "markdown"), ("index.rst", "rst"), ("notes.txt", "text")],
)
def test_prose_goes_to_the_document_chunkers(name: str, language: str):
    data = b"Title\n=====\n\nFirst paragraph.\n\nSecond paragraph.\n"
    chunks = chunk(name, data)
    assert chunks and {c.language for c in chunks} == {language}
    assert all(c.kind == "text" for c in chunks)
    assert chunks[0].start_line == 1


def test_other_text_files_get_line_windows():
    data = b"".join(b'  "key%d": %d,\n' % (i, i) for i in range(400))
    chunks = chunk("data/settings.json", b"{\n" + data + b"}\n", max_tokens=128)
    assert len(chunks) > 1
    assert {c.language for c in chunks} == {"json"}
    assert chunks[0].start_line == 1 and chunks[-1].end_line == 402
    assert max(approx_count_tokens([c.embed_text for c in chunks])) <= 128


def test_unknown_extension_is_text_by_lines():
    chunks = chunk("notes.weird", b"some words\nmore words\n")
    assert [c.language for c in chunks] == ["text"]


def test_pdf_and_docx_are_dispatched(tmp_path: Path):
    pdf = make_pdf(tmp_path / "a.pdf", [["PDF words here."]])
    docx = make_docx(tmp_path / "a.docx", [("Heading 1", "Intro"), ("Normal", "DOCX words.")])
    pdf_chunks = chunk("a.pdf", pdf.read_bytes())
    docx_chunks = chunk("a.docx", docx.read_bytes())
    assert [(c.language, c.text) for c in pdf_chunks] == [("pdf", "PDF words here.")]
    assert [(c.language, c.symbol) for c in docx_chunks] == [("docx", "Intro")]
    # The extension decides, case-insensitively.
    assert chunk("SCAN.PDF", pdf.read_bytes())[0].language == "pdf"


def test_binary_content_is_skipped_whatever_the_name():
    with pytest.raises(SkipFile, match="binary file"):
        chunk("looks_like.txt", b"\x00\x01\x02\x03binary\x00" * 100)


def test_broken_document_is_skipped_with_a_reason():
    with pytest.raises(SkipFile, match="unreadable PDF"):
        chunk("broken.pdf", b"%PDF-1.4\nnot really")
    with pytest.raises(SkipFile, match="damaged zip"):
        chunk("broken.docx", b"PK not really")


def test_utf16_file_with_bom_keeps_editor_line_numbers():
    source = "# Título\r\n\r\nUn párrafo.\r\n\r\n## Sección\r\n\r\nOtro párrafo.\r\n"
    chunks = chunk("es.md", source.encode("utf-16"))
    assert [(c.symbol, c.start_line, c.end_line) for c in chunks] == [
        ("Título", 1, 3),
        ("Título > Sección", 5, 7),
    ]
    assert "\r" not in chunks[0].text


def test_invalid_utf8_still_gives_sensible_text():
    data = "def café():\n    return 'ok'\n".encode() + b"# \xff\xfe stray bytes\n"
    chunks = chunk("odd.py", data)
    text = "\n".join(c.text for c in chunks)
    assert "café" in text and "stray bytes" in text


def test_empty_and_blank_files_have_no_chunks():
    assert chunk("empty.py", b"") == []
    assert chunk("blank.md", b"\n\n   \n") == []


def test_every_chunker_respects_the_budget_with_a_tight_limit():
    files = {
        "a.py": PYTHON * 30,
        "b.md": b"# H\n\n" + b"Words and more words. " * 400,
        "c.txt": b"Paragraph text goes here. " * 400,
        "d.yaml": b"key: value\n" * 500,
    }
    for name, data in files.items():
        chunks = chunk(name, data, max_tokens=48)
        assert chunks, name
        assert max(approx_count_tokens([c.embed_text for c in chunks])) <= 48, name


def test_approx_count_tokens():
    a, b, c, d = approx_count_tokens(
        ["", "hello world", "loadConfig(path) -> None", "検索エンジン"]
    )
    assert a == 0
    assert b == 2
    assert c >= 6  # identifiers, brackets and the arrow all cost tokens
    assert d == 6  # one per CJK character
    long_word = approx_count_tokens(["internationalization"])[0]
    assert long_word > 1  # long words are several sub-word pieces


def test_chunker_version_is_an_int():
    assert isinstance(CHUNKER_VERSION, int) and CHUNKER_VERSION >= 1

"""Bytes to text: BOMs, fallbacks, binary detection and editor-compatible newlines."""

from __future__ import annotations

import codecs

import pytest

from indexer.chunking import SkipFile
from indexer.text_decoding import SNIFF_BYTES, decode_text

TEXT = "naïve café\nline two €\n"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(TEXT.encode("utf-8"), id="utf-8"),
        pytest.param(codecs.BOM_UTF8 + TEXT.encode("utf-8"), id="utf-8-bom"),
        pytest.param(TEXT.encode("utf-16"), id="utf-16-bom"),
        pytest.param(codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), id="utf-16-be-bom"),
        pytest.param(TEXT.encode("utf-32"), id="utf-32-bom"),
        pytest.param(TEXT.encode("utf-16-le"), id="utf-16-le-no-bom"),
        pytest.param(TEXT.encode("cp1252"), id="cp1252"),
    ],
)
def test_encodings_decode_to_the_same_text(data: bytes):
    assert decode_text(data) == TEXT


def test_latin1_bytes_cp1252_leaves_undefined():
    # 0x81 is undefined in cp1252; latin-1 still decodes it, and it is one odd character.
    data = "Grüße aus Köln".encode("latin-1") + b"\x81" + b"\n" + b"plain text " * 20
    assert decode_text(data).startswith("Grüße aus Köln\x81\n")


def test_mostly_utf8_keeps_its_characters_and_marks_damage():
    data = "résumé – naïve\n".encode() * 20 + b"\xff\xfe broken\n"
    text = decode_text(data)
    assert text.startswith("résumé – naïve\n")
    assert text.endswith("\ufffd\ufffd broken\n")


def test_newlines_are_normalised_like_editors_count_them():
    data = b"one\r\ntwo\rthree\nfour\x0cstill four\xe2\x80\xa8still four\n"
    text = decode_text(data)
    assert text.split("\n") == ["one", "two", "three", "four\x0cstill four\u2028still four", ""]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, id="elf"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, id="png"),
        pytest.param(b"text " * 5000 + b"\x00tail", id="nul-after-the-sniffed-head"),
        pytest.param(bytes([1, 2, 3, 4, 5, 6, 14, 15, 16, 17]) * 100, id="controls-no-nul"),
        pytest.param(("x" * 100 + "\x00\x01\x02" * 50).encode("utf-16"), id="utf-16-binary"),
    ],
)
def test_binary_is_skipped(data: bytes):
    with pytest.raises(SkipFile, match=r"^binary file$"):
        decode_text(data)


def test_text_with_a_few_escape_sequences_is_text():
    data = b"\x1b[32mOK\x1b[0m build passed\n" * 100
    assert decode_text(data).startswith("\x1b[32mOK")


def test_empty_input():
    assert decode_text(b"") == ""


def test_binary_past_the_sniff_window_without_nul_is_still_text():
    # Only the head is judged for control characters; a long text with a few odd bytes late
    # in the file stays text (a log with one stray control character must not vanish).
    data = b"log line\n" * (SNIFF_BYTES // 9 + 10) + b"\x01\x02\x03\n"
    assert decode_text(data).endswith("\x01\x02\x03\n")

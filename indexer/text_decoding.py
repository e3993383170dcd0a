"""Bytes to text: encoding detection, binary detection and newline normalisation.

The result's lines are the lines an editor shows: only ``\\r\\n``, ``\\r`` and ``\\n`` end a
line (VS Code, Vim and Emacs agree on those). Chunkers must therefore split on ``"\\n"``, not
``str.splitlines()``, which also breaks on form feeds, ``\\x1c``-``\\x1e``, ``\\x85`` and
U+2028/U+2029 and would shift every later line number.
"""

from __future__ import annotations

import codecs
import re

from indexer.chunk_types import SkipFile

SNIFF_BYTES = 8192
# Share of control characters (other than tab, newlines, form feed and escape) above which a
# sample is not text. Real text has almost none; binaries have many.
MAX_CONTROL_RATIO = 0.05

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_ALLOWED_CONTROLS = frozenset("\t\n\r\f\x1b\b\v")
# C0 controls, DEL and the C1 range (what latin-1 makes of stray binary bytes).
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NEWLINES = re.compile(r"\r\n?")


def decode_text(data: bytes) -> str:
    """Decode a file's bytes to text with ``\\n`` newlines, or raise ``SkipFile``.

    Order: a BOM (UTF-8/16/32) wins; then BOM-less UTF-16 (ASCII-heavy text with every
    other byte NUL); a NUL byte anywhere means binary; then UTF-8; then, when the bytes are
    mostly valid UTF-8, UTF-8 with replacement characters for the damaged bytes; otherwise a
    legacy 8-bit encoding (cp1252, falling back to latin-1), which always decodes, so the
    control-character check afterwards is what keeps binaries out.
    """
    text = _decode(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    if _looks_binary(text[:SNIFF_BYTES]):
        raise SkipFile("binary file")
    return _NEWLINES.sub("\n", text)


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")

    utf16 = _bomless_utf16(data[:SNIFF_BYTES])
    if utf16 is not None:
        return data.decode(utf16, errors="replace")

    # memchr over the whole file is cheap, and catches binaries with a textual head.
    if b"\x00" in data:
        raise SkipFile("binary file")

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return data.decode("utf-8", errors="replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps every byte.
        return data.decode("latin-1")


def _bomless_utf16(sample: bytes) -> str | None:
    """Recognise UTF-16 without a BOM by its NUL bytes all falling on one side of each pair."""
    if len(sample) < 4:
        return None
    sample = sample[: len(sample) - len(sample) % 2]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    pairs = len(sample) // 2
    if odd_nuls > 0.4 * pairs and even_nuls == 0:
        return "utf-16-le"
    if even_nuls > 0.4 * pairs and odd_nuls == 0:
        return "utf-16-be"
    return None


def _mostly_utf8(data: bytes) -> bool:
    """True when the bytes look like UTF-8 with some damage rather than an 8-bit encoding.

    A UTF-8 file with a few damaged bytes keeps its accents and symbols; a cp1252 or
    latin-1 file has no valid multi-byte sequences at all, or only by accident (``Ã©``),
    next to many undecodable bytes.
    """
    decoded = data.decode("utf-8", errors="replace")
    bad = decoded.count("\ufffd")
    ascii_chars = len(decoded.encode("ascii", errors="ignore"))
    good = len(decoded) - ascii_chars - bad
    return good > 0 and bad <= 4 * good


def _looks_binary(sample: str) -> bool:
    if "\x00" in sample:
        # Text that decoded with NULs in it (a UTF-16 file holding binary data).
        return True
    controls = sum(1 for ch in _CONTROL_CHARS.findall(sample) if ch not in _ALLOWED_CONTROLS)
    return controls > MAX_CONTROL_RATIO * len(sample)

"""Hostile documents built byte by byte: PDFs with reference cycles, encrypted PDFs, DOCX
zip bombs and XML entity bombs. Each builder returns the file's bytes."""

from __future__ import annotations

import io
import struct
import zipfile

# ------------------------------------------------------------------------------ PDF


def pdf(objects: dict[int, bytes], *, root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF with these numbered objects and a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        if number in offsets:
            out.write(b"%010d 00000 n \n" % offsets[number])
        else:
            out.write(b"0000000000 65535 f \n")
    out.write(b"trailer\n<< /Size %d /Root %d 0 R %s>>\n" % (size, root, trailer_extra))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _stream(content: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(content), extra) + content + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_TEXT = _stream(b"BT /F1 12 Tf 72 720 Td (Reachable text on a hostile page) Tj ET")


def pdf_pages_cycle() -> bytes:
    """The page tree's two nodes list each other as children."""
    return pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 4 0 R] /Count 1 >>",
            4: b"<< /Type /Page /Parent 3 0 R /Contents 5 0 R "
            b"/Resources << /Font << /F1 6 0 R >> >> >>",
            5: _TEXT,
            6: _FONT,
        }
    )


def pdf_self_parent() -> bytes:
    """A page that is its own parent: inherited attributes are looked up for ever."""
    return pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 3 0 R /Contents 4 0 R >>",
            4: _TEXT,
        }
    )


def pdf_form_draws_itself() -> bytes:
    """A form XObject whose content draws the form again: text extraction recurses."""
    return pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R "
            b"/Resources << /XObject << /X1 5 0 R >> /Font << /F1 6 0 R >> >> >>",
            4: _stream(b"/X1 Do"),
            5: _stream(
                b"BT /F1 12 Tf 72 700 Td (again) Tj ET /X1 Do",
                b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] "
                b"/Resources << /XObject << /X1 5 0 R >> /Font << /F1 6 0 R >> >> ",
            ),
            6: _FONT,
        }
    )


def pdf_outline_cycle() -> bytes:
    """Bookmarks whose /Next chain loops back, and a child that is its own parent."""
    return pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /Outlines 7 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R "
            b"/Resources << /Font << /F1 6 0 R >> >> >>",
            4: _TEXT,
            6: _FONT,
            7: b"<< /Type /Outlines /First 8 0 R /Last 9 0 R /Count 2 >>",
            8: b"<< /Title (One) /Parent 7 0 R /Next 9 0 R /First 8 0 R /Last 8 0 R "
            b"/Dest [3 0 R /Fit] >>",
            9: b"<< /Title (Two) /Parent 7 0 R /Prev 8 0 R /Next 8 0 R /Dest [3 0 R /Fit] >>",
        }
    )


def pdf_xref_prev_loop() -> bytes:
    """The trailer's /Prev points back at the same cross-reference table."""
    body = pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R "
            b"/Resources << /Font << /F1 6 0 R >> >> >>",
            4: _TEXT,
            6: _FONT,
        }
    )
    xref = int(body.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    return body.replace(b"/Root 1 0 R ", b"/Root 1 0 R /Prev %d " % xref)


def pdf_encrypted(password: str = "secret") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    # RC4 needs no optional package to write or to try opening (AES needs cryptography).
    writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ------------------------------------------------------------------------------ DOCX

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def document_xml(paragraphs: list[bytes], *, prolog: bytes = b"") -> bytes:
    body = b"".join(b"<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % p for p in paragraphs)
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + prolog
        + b'<w:document xmlns:w="%s"><w:body>%s</w:body></w:document>' % (_W, body)
    )


def docx(document: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_billion_laughs() -> bytes:
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    prolog = b"<!DOCTYPE w:document [" + entities + b"]>\n"
    return docx(document_xml([b"&lol9;"], prolog=prolog))


def docx_external_entity() -> bytes:
    prolog = b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    return docx(document_xml([b"&xxe;"], prolog=prolog))


def docx_zip_bomb(expanded: int = 300 * 2**20) -> bytes:
    """A document part that inflates to ``expanded`` bytes (of spaces) from a few hundred KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            head = document_xml([b"start"])
            part.write(head[: -len(b"</w:body></w:document>")])
            block = b" " * 2**20
            for _ in range(expanded // len(block)):
                part.write(block)
            part.write(b"</w:body></w:document>")
    return out.getvalue()


def docx_lying_sizes(expanded: int = 300 * 2**20) -> bytes:
    """The same bomb with its central directory claiming the part is 1 KB."""
    raw = bytearray(docx_zip_bomb(expanded))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.getinfo("word/document.xml")
    # Patch the uncompressed size in the central directory entry (and zip64 extra field).
    start = 0
    while True:
        at = raw.find(b"PK\x01\x02", start)
        if at < 0:
            break
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        name = bytes(raw[at + 46 : at + 46 + name_len])
        if name == b"word/document.xml":
            struct.pack_into("<I", raw, at + 24, 1024)
            extra_len = struct.unpack_from("<H", raw, at + 30)[0]
            extra = at + 46 + name_len
            pos = extra
            while pos < extra + extra_len:
                tag, size = struct.unpack_from("<HH", raw, pos)
                if tag == 1:  # zip64: the first field is the uncompressed size
                    struct.pack_into("<Q", raw, pos + 4, 1024)
                pos += 4 + size
        start = at + 4
    assert info.file_size >= expanded
    return bytes(raw)


def docx_many_parts(parts: int = 20_000) -> bytes:
    extra = {f"word/media/p{i}.xml": b"<a/>" for i in range(parts)}
    return docx(document_xml([b"many parts"]), extra)


def pdf_stream_bomb(expanded: int = 400 * 2**20) -> bytes:
    """A page whose content stream inflates from about 400 KB to ``expanded`` bytes."""
    import zlib

    packer = zlib.compressobj(9)
    text = b"BT /F1 12 Tf 72 720 Td (Text before the bomb) Tj ET\n"
    packed = packer.compress(text)
    block = b" " * 2**20
    for _ in range(expanded // len(block)):
        packed += packer.compress(block)
    packed += packer.flush()
    return pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R "
            b"/Resources << /Font << /F1 6 0 R >> >> >>",
            4: _stream(packed, b"/Filter /FlateDecode "),
            6: _FONT,
        }
    )

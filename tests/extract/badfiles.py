"""Builders for hostile and broken attachments, made small and fast in the test itself."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

GIB = 1 << 30


def _deflate_zeros(total: int) -> tuple[bytes, int]:
    """Raw deflate of `total` zero bytes, built from one repeated block; returns (data, crc).

    A full flush resets the compressor, so every 1 MiB piece compresses to the same bytes and
    we only compress once; the whole bomb takes well under a second to build.
    """
    chunk = b"\0" * (1 << 20)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    count = total // len(chunk)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    return piece * count + comp.flush(zlib.Z_FINISH), crc


def zip_bomb_docx(total: int = GIB) -> bytes:
    """A .docx-shaped zip whose word/document.xml unpacks to `total` bytes (default 1 GiB)."""
    entries: list[tuple[str, bytes, int, int, int]] = []  # name, data, crc, size, method
    ct = b'<?xml version="1.0"?><Types/>'
    entries.append(("[Content_Types].xml", ct, zlib.crc32(ct), len(ct), 0))
    data, crc = _deflate_zeros(total)
    entries.append(("word/document.xml", data, crc, total, 8))
    out = io.BytesIO()
    central = io.BytesIO()
    for name, payload, crc_, size, method in entries:
        offset = out.tell()
        raw_name = name.encode()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                20,
                0,
                method,
                0,
                0,
                crc_,
                len(payload),
                size,
                len(raw_name),
                0,
            )
        )
        out.write(raw_name)
        out.write(payload)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                method,
                0,
                0,
                crc_,
                len(payload),
                size,
                len(raw_name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        central.write(raw_name)
    cd = central.getvalue()
    start = out.tell()
    out.write(cd)
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), start, 0)
    )
    return out.getvalue()


def lying_zip_docx(real_size: int = 64 << 20) -> bytes:
    """A zip whose headers understate the unpacked size (declared 100 bytes, really more)."""
    good = zip_bomb_docx(real_size)
    # Patch the declared uncompressed size of word/document.xml in both headers to 100.
    return good.replace(struct.pack("<I", real_size), struct.pack("<I", 100))


def docx_with_encrypted_entry(docx: bytes) -> bytes:
    """Set the 'encrypted' flag bit on every entry (a zip the reader cannot decrypt)."""
    buf = bytearray(docx)
    for sig, flag_off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = buf.find(sig)
        while pos >= 0:
            flags = struct.unpack_from("<H", buf, pos + flag_off)[0]
            struct.pack_into("<H", buf, pos + flag_off, flags | 1)
            pos = buf.find(sig, pos + 4)
    return bytes(buf)


def docx_with_doctype(docx: bytes) -> bytes:
    """Rewrite word/document.xml with an entity-declaring DTD in front (billion laughs shape)."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                head, rest = data.split(b"?>", 1)
                data = head + b'?><!DOCTYPE lolz [<!ENTITY lol "lol">]>' + rest
            dst.writestr(info, data)
    return out.getvalue()


def _pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R ".encode()
        + trailer_extra
        + f">>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return (
        b"<< /Length "
        + str(len(data)).encode()
        + b" "
        + extra
        + b">>\nstream\n"
        + data
        + b"\nendstream"
    )


def simple_pdf(text: str = "Slutrapport") -> bytes:
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def encrypted_pdf() -> bytes:
    """Standard security handler, RC4, with a user password we do not know."""
    encrypt = (
        b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"
    )
    pdf = simple_pdf()
    body = pdf[: pdf.index(b"xref")]
    # Append the Encrypt dictionary as object 6 and rebuild the xref and trailer.
    objects = []
    for part in body.split(b" 0 obj\n")[1:]:
        objects.append(part.split(b"\nendobj\n")[0])
    objects.append(encrypt)
    return _pdf(
        objects,
        b"/Encrypt 6 0 R /ID [<0123456789abcdef0123456789abcdef> "
        b"<0123456789abcdef0123456789abcdef>] ",
    )


def truncated_pdf(pdf: bytes) -> bytes:
    return pdf[: len(pdf) // 2]


def pdf_bomb(total: int = 400 << 20) -> bytes:
    """A one-page PDF whose content stream inflates to `total` bytes of spaces."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(total // len(chunk))) + comp.flush()
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            _stream(data, b"/Filter /FlateDecode "),
        ]
    )


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def docx_with_utf16_doctype(docx: bytes) -> bytes:
    """word/document.xml re-encoded as UTF-16 (libxml2 reads it) with a DTD in front: a byte
    search for "<!DOCTYPE" does not see it."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                head, rest = text.split("?>", 1)
                head = head.replace('encoding="UTF-8"', 'encoding="UTF-16"')
                text = head + '?><!DOCTYPE lolz [<!ENTITY lol "lol">]>' + rest
                data = text.encode("utf-16")
            dst.writestr(info, data)
    return out.getvalue()

"""A long report for tests: a fixture PDF (the form) with pages of appendix text added.

The pages are added as an incremental update (PDF 1.7, 7.5.6): new page objects with the
standard Helvetica font, and a new version of the page tree's root that lists them after the
form's own pages. Nothing here needs LibreOffice, so a test can build it.
"""

from __future__ import annotations

import io
import re

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjRef
from pdfminer.psparser import PSLiteral

WORDS = [
    "deltagarna",
    "arbetsträning",
    "samverkan",
    "kommunen",
    "regionen",
    "försäkringskassan",
    "arbetsförmedlingen",
    "handledare",
    "insatsen",
    "målgruppen",
    "stöd",
    "individuella",
    "planer",
    "uppföljning",
    "praktikplats",
    "studier",
    "hälsa",
    "motivation",
    "språkstöd",
    "coachning",
    "resultat",
    "utvärdering",
    "metod",
    "aktiviteter",
    "under",
    "året",
]


def _serialise(value: object) -> bytes:
    if isinstance(value, PDFObjRef):
        return f"{value.objid} 0 R".encode()
    if isinstance(value, PSLiteral):
        return b"/" + str(value.name).encode()
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int | float):
        return str(value).encode()
    if isinstance(value, list):
        return b"[" + b" ".join(_serialise(v) for v in value) + b"]"
    if isinstance(value, dict):
        return (
            b"<<"
            + b"".join(b"/" + k.encode() + b" " + _serialise(v) for k, v in value.items())
            + b">>"
        )
    raise TypeError(type(value))


def _text(s: str) -> bytes:
    raw = s.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def appendix_lines(page: int, lines: int = 46) -> list[str]:
    out = [f"Bilaga {page}: underlag till slutrapporten"]
    for n in range(lines - 1):
        k = page * 131 + n * 17
        out.append(" ".join(WORDS[(k + i * 7) % len(WORDS)] for i in range(12)))
    return out


def with_appendix(
    pdf: bytes, pages: int, last_words: str = "", marks: dict[int, str] | None = None
) -> bytes:
    """`pdf` followed by `pages` A4 pages of appendix text; `last_words` end the last page,
    `marks` adds a line to the appendix pages it names (from 1)."""
    doc = PDFDocument(PDFParser(io.BytesIO(pdf)))
    trailer = doc.xrefs[0].get_trailer()
    root_ref = trailer["Root"]
    pages_ref = doc.catalog["Pages"]
    tree = dict(doc.getobj(pages_ref.objid))
    size = int(trailer["Size"])
    found = re.findall(rb"startxref\s+(\d+)", pdf)
    prev = int(found[-1])

    objects: dict[int, bytes] = {}
    font = size
    objects[font] = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    next_id = size + 1
    kids = list(tree["Kids"])
    for p in range(1, pages + 1):
        lines = appendix_lines(p)
        if marks and p in marks:
            lines.insert(1, marks[p])
        if p == pages and last_words:
            lines.append(last_words)
        body = (
            b"BT /FA 10 Tf 12 TL 56 790 Td "
            + b" ".join(_text(line) + b" Tj T*" for line in lines)
            + b" ET"
        )
        content, page = next_id, next_id + 1
        next_id += 2
        objects[content] = b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"
        objects[page] = (
            f"<< /Type /Page /Parent {pages_ref.objid} 0 R /MediaBox [0 0 595 842] "
            f"/Contents {content} 0 R /Resources << /Font << /FA {font} 0 R >> >> >>"
        ).encode()
        kids.append(PDFObjRef(None, page))
    tree["Kids"] = kids
    tree["Count"] = int(tree["Count"]) + pages
    objects[pages_ref.objid] = _serialise(tree)

    out = io.BytesIO()
    out.write(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets: dict[int, int] = {}
    for objid in sorted(objects):
        offsets[objid] = out.tell()
        out.write(f"{objid} 0 obj\n".encode() + objects[objid] + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n")
    for objid in sorted(offsets):
        out.write(f"{objid} 1\n{offsets[objid]:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {next_id} /Root {root_ref.objid} 0 R /Prev {prev} >>\n"
        f"startxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()

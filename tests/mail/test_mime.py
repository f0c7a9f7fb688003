"""Parsing a raw message into what intake stores (intake/mail/mime.py): the cleaned header values,
the message ids that find a case, the sender, and every attached file with the notes that tell
staff what could not be read. Pure functions over bytes, as the pipeline calls them."""

from __future__ import annotations

import base64

import pytest

from intake.mail.mime import (
    ID_LENGTH,
    MAX_DEPTH,
    MAX_PARTS,
    NO_SENDER_NOTE,
    SHORT,
    AttachedFile,
    ParsedMessage,
    clean,
    header_block_size,
    parse_message,
    readable_headers,
)
from tests.support.mail import DOCX, message

ANNA = "Anna Berg <anna.berg@bollnas.test>"


def raw(*headers: str, body: bytes = b"Hej.\r\n") -> bytes:
    return "".join(f"{h}\r\n" for h in headers).encode("utf-8", "surrogateescape") + b"\r\n" + body


def multipart(parts: list[bytes], *headers: str) -> bytes:
    """A multipart/mixed message of the given part blocks (headers, blank line, body)."""
    head = raw(
        f"From: {ANNA}",
        "Subject: Delar",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="grans"',
        *headers,
        body=b"",
    )
    out = head + b"".join(b"--grans\r\n" + p + b"\r\n" for p in parts)
    return out + b"--grans--\r\n"


def part(content_type: str, payload: bytes, *headers: str) -> bytes:
    lines = [f"Content-Type: {content_type}", "Content-Transfer-Encoding: base64", *headers]
    body = base64.b64encode(payload)
    return "".join(f"{h}\r\n" for h in lines).encode() + b"\r\n" + body


# --- clean: the one place text from mail is made safe for the database ---


def test_clean_removes_control_characters_and_squeezes_white_space() -> None:
    # Given text with NUL, an escape sequence, DEL, a C1 control and line breaks
    value = "  Slut\x00rapport\x1b[31m  Kärn\x7fhuset\x85\r\n\tår 2026  "
    # Then each run of them is one space, and the ends are trimmed
    assert clean(value) == "Slut rapport [31m Kärn huset år 2026"
    assert clean(None) is None


def test_clean_decodes_raw_utf8_bytes_and_replaces_what_is_not_utf8() -> None:
    # Given a header read with surrogateescape: UTF-8 bytes for "ä" and a lone Latin-1 byte
    value = b"R\xc3\xa4tt \xe5r".decode("utf-8", "surrogateescape")
    assert clean(value) == "Rätt \ufffdr"


def test_clean_caps_the_length_after_cleaning() -> None:
    assert clean("a\x00" * 10, 5) == "a a a"
    assert clean("x" * 3000) == "x" * 2000
    assert clean("y" * 300, SHORT) == "y" * 255


# --- header_block_size: the size check reads only the top-level header block ---


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (b"Subject: x\r\n\r\nbody\n\nmore", len(b"Subject: x")),
        (b"Subject: x\n\nbody\r\n\r\nmore", len(b"Subject: x")),
        (b"Subject: x\r\n\r\nbody\r\n\r\nmore", len(b"Subject: x")),
        (b"Subject: x\n\nbody\n\nmore", len(b"Subject: x")),
        (b"Subject: x\r\nTo: y\r\n", len(b"Subject: x\r\nTo: y\r\n")),
        (b"\r\n\r\nbody", 0),
    ],
)
def test_header_block_size_ends_at_the_first_blank_line(data: bytes, size: int) -> None:
    assert header_block_size(data) == size


# --- the headers and ids that are stored ---


def test_headers_are_read_cleaned_and_capped() -> None:
    parsed = parse_message(
        raw(
            f"From: {ANNA}",
            "Subject: =?utf-8?q?Slutrapport_K=C3=A4rnhuset?=\x01",
            "Date: Tue, 03 Feb 2026 09:15:00 +0100",
            "Message-ID:  <rapport-1@bollnas.test> ",
            "Precedence: bulk",
            "Sender: Lista <lista@bollnas.test>",
            "X-Casefile-Loop: kontakt@finsam.test",
            "X-Egen-Loop: 1",
            "X-Mailer: Outlook",
        )
    )
    assert parsed.subject == "Slutrapport Kärnhuset"
    assert parsed.date_header == "Tue, 03 Feb 2026 09:15:00 +0100"
    assert parsed.message_id == "<rapport-1@bollnas.test>"
    assert (parsed.from_name, parsed.from_address) == ("Anna Berg", "anna.berg@bollnas.test")
    assert parsed.content_type == "text/plain"
    # The rules' headers, Sender, our own and any loop header; nothing else
    assert parsed.headers == {
        "precedence": "bulk",
        "sender": "Lista <lista@bollnas.test>",
        "x-casefile-loop": "kontakt@finsam.test",
        "x-egen-loop": "1",
    }
    assert parsed.attachments == [] and parsed.notes == []


def test_a_message_without_headers_gives_empty_values() -> None:
    parsed = parse_message(b"\r\nHej.\r\n")
    assert parsed == ParsedMessage(
        message_id=None,
        in_reply_to=None,
        references=None,
        subject="",
        from_address=None,
        from_name="",
        date_header=None,
        headers={},
        content_type="text/plain",
        notes=[NO_SENDER_NOTE],  # said to staff: no address to answer
    )


def test_long_values_are_capped_to_their_columns() -> None:
    parsed = parse_message(
        raw(
            f"From: {'N' * 300} <anna.berg@bollnas.test>",
            f"Message-ID: <{'m' * 600}@bollnas.test>",
            f"Date: {'9' * 300}",
        )
    )
    assert parsed.from_name == "N" * SHORT
    assert parsed.message_id == ("<" + "m" * 600)[:ID_LENGTH]
    assert parsed.date_header == "9" * SHORT


def test_a_long_top_level_content_type_is_capped() -> None:
    parsed = parse_message(raw(f"Content-Type: application/{'x' * 300}"))
    assert parsed.content_type == ("application/" + "x" * 300)[:SHORT]


def test_the_first_message_id_header_counts_whatever_its_case() -> None:
    parsed = parse_message(raw("message-id: <a@x.test>", "Message-ID: <b@x.test>"))
    assert parsed.message_id == "<a@x.test>"


@pytest.mark.parametrize(
    ("sender", "name"),
    [
        ("Anna Berg", ""),
        ("Anna Berg <anna.berg>", "Anna Berg"),
        (f"Anna <{'a' * 320}@x.test>", "Anna"),
        ('"Anna" <"anna berg"@bollnas.test>', "Anna"),
        ("Anna <a<b@x.test>", "Anna"),
        # The name is capped to its column whether or not the address is usable
        (f"{'N' * 300} <anna.berg>", "N" * SHORT),
    ],
)
def test_a_from_without_a_usable_address_keeps_only_the_name(sender: str, name: str) -> None:
    parsed = parse_message(raw(f"From: {sender}"))
    assert (parsed.from_name, parsed.from_address) == (name, None)


def test_an_address_with_capitals_and_digits_is_kept_as_written() -> None:
    parsed = parse_message(raw("From: XENA <Xena.X9@Bollnas.TEST>"))
    assert (parsed.from_name, parsed.from_address) == ("XENA", "Xena.X9@Bollnas.TEST")


@pytest.mark.parametrize(
    "sender",
    [
        "Anna Berg <anna.berg@bollnas.test>, Grupp: a@b.test;;",
        "Anna Berg <anna.berg@bollnas.test> <x@[",
    ],
)
def test_a_from_header_the_parser_chokes_on_is_read_as_written(sender: str) -> None:
    # Given a From header on which the standard library's header parser raises
    parsed = parse_message(raw(f"From: {sender}", "Subject: Slutrapport"))
    # Then the message is still read: the address as written, and the rest as usual
    assert (parsed.from_name, parsed.from_address) == ("Anna Berg", "anna.berg@bollnas.test")
    assert parsed.subject == "Slutrapport"


def test_a_from_of_exactly_320_characters_is_kept_and_one_more_is_not() -> None:
    address = "a" * (320 - len("@x.test")) + "@x.test"
    parsed = parse_message(raw(f"From: <{address}>"))
    # A bare address has no name: the name is empty, not made up
    assert (parsed.from_name, parsed.from_address) == ("", address)
    assert parse_message(raw(f"From: <a{address}>")).from_address is None


def test_in_reply_to_and_references_keep_the_newest_50_ids() -> None:
    refs = " ".join(f"<{n}@x.test>" for n in range(60))
    parsed = parse_message(raw("In-Reply-To: Re <svar@x.test> (Anna)", f"References: {refs}"))
    assert parsed.in_reply_to == "<svar@x.test>"
    assert parsed.references == " ".join(f"<{n}@x.test>" for n in range(10, 60))
    # Newest first: In-Reply-To, then References from the end, each once
    assert parsed.referenced_ids[:3] == ["<svar@x.test>", "<59@x.test>", "<58@x.test>"]
    assert len(parsed.referenced_ids) == 50


def test_ids_that_are_not_message_ids_are_kept_cleaned() -> None:
    parsed = parse_message(raw("In-Reply-To: ett\x01svar", "References: inget"))
    assert (parsed.in_reply_to, parsed.references) == ("ett svar", "inget")
    assert parsed.referenced_ids == []
    # Capped like a Message-ID
    long = parse_message(raw(f"In-Reply-To: {'s' * 600}", f"References: {'r' * 600}"))
    assert (long.in_reply_to, long.references) == ("s" * ID_LENGTH, "r" * ID_LENGTH)


def test_referenced_ids_name_each_id_once() -> None:
    parsed = ParsedMessage(
        message_id=None,
        in_reply_to="<b@x.test>",
        references="<a@x.test> <b@x.test> <c@x.test> <a@x.test>",
        subject="",
        from_address=None,
        from_name="",
        date_header=None,
        headers={},
        content_type="text/plain",
    )
    assert parsed.referenced_ids == ["<b@x.test>", "<a@x.test>", "<c@x.test>"]


# --- attachments ---


def test_attached_files_in_order_with_names_and_types() -> None:
    msg = message(attachments=[("slutrapport.docx", b"PK-docx"), ("bilaga.pdf", b"%PDF-1.7")])
    parsed = parse_message(msg.as_bytes())
    assert parsed.attachments == [
        AttachedFile("slutrapport.docx", DOCX, b"PK-docx"),
        AttachedFile("bilaga.pdf", "application/pdf", b"%PDF-1.7"),
    ]
    assert parsed.content_type == "multipart/mixed"


def test_a_forwarded_message_is_opened_and_its_text_is_not_a_file() -> None:
    inner = message(attachments=[("r.docx", b"PK-inner")])
    outer = message(sender="Bo Ek <bo.ek@finsam.test>", attachments=[("a.pdf", b"%PDF-outer")])
    outer.add_attachment(inner)
    parsed = parse_message(outer.as_bytes())
    assert [(f.filename, f.data) for f in parsed.attachments] == [
        ("a.pdf", b"%PDF-outer"),
        ("r.docx", b"PK-inner"),
    ]


@pytest.mark.parametrize(
    ("content_type", "headers", "expected"),
    [
        # A document type without a name or disposition is still a file
        ("application/pdf", (), [(None, "application/pdf")]),
        ("application/octet-stream", (), [(None, "application/octet-stream")]),
        ("application/msword", (), [(None, "application/msword")]),
        (DOCX, (), [(None, DOCX)]),
        # An inline part with a file name is a file (Outlook, Apple Mail)
        (
            "image/png",
            ('Content-Disposition: inline; filename="bild.png"',),
            [("bild.png", "image/png")],
        ),
        # An attachment without a name is a file
        ("image/png", ("Content-Disposition: Attachment",), [(None, "image/png")]),
        # A picture in the text, without a name, is not
        ("image/png", ("Content-Disposition: inline",), []),
        ("text/html", (), []),
    ],
)
def test_which_parts_are_files(
    content_type: str, headers: tuple[str, ...], expected: list[tuple[str | None, str]]
) -> None:
    parsed = parse_message(multipart([part(content_type, b"data", *headers)]))
    assert [(f.filename, f.content_type) for f in parsed.attachments] == expected
    assert all(f.data == b"data" for f in parsed.attachments)


def test_a_top_level_document_is_not_an_attachment_of_itself() -> None:
    # Given a message whose whole body is a PDF (no multipart around it)
    parsed = parse_message(raw(f"From: {ANNA}", "Content-Type: application/pdf", body=b"%PDF-1.7"))
    assert parsed.attachments == [] and parsed.content_type == "application/pdf"


def test_rfc2231_file_names_are_decoded_and_cleaned() -> None:
    disposition = "Content-Disposition: attachment; filename*=utf-8''r%C3%A4tt%00%20fil.docx"
    parsed = parse_message(multipart([part(DOCX, b"PK", disposition)]))
    assert [f.filename for f in parsed.attachments] == ["rätt fil.docx"]


def test_a_long_file_name_and_content_type_are_capped() -> None:
    name = "r" * 300 + ".docx"
    content_type = "application/" + "x" * 300
    disposition = f'Content-Disposition: attachment; filename="{name}"'
    parsed = parse_message(multipart([part(content_type, b"PK", disposition)]))
    assert [(f.filename, f.content_type) for f in parsed.attachments] == [
        (name[:SHORT], content_type[:SHORT])
    ]


def test_tnef_is_named_in_the_notes_and_kept() -> None:
    parsed = parse_message(
        multipart(
            [
                part(
                    "application/ms-tnef",
                    b"tnef",
                    'Content-Disposition: attachment; filename="x.dat"',
                ),
                part(
                    "application/octet-stream",
                    b"tnef2",
                    "Content-Disposition: attachment; filename=WINMAIL.DAT",
                ),
                part("application/vnd.ms-tnef", b"tnef3", "Content-Disposition: attachment"),
            ]
        )
    )
    tnef = (
        "är Outlooks TNEF-format, som inte kan läsas; "
        "be avsändaren skicka rapporten som DOCX eller PDF"
    )
    assert parsed.notes == [f"x.dat {tnef}", f"WINMAIL.DAT {tnef}", f"winmail.dat {tnef}"]
    assert [f.data for f in parsed.attachments] == [b"tnef", b"tnef2", b"tnef3"]


def test_a_part_with_an_oversized_header_is_named_and_skipped() -> None:
    big = part(DOCX, b"PK-big", f"X-Fyll: {'x' * 200}")
    small = part(DOCX, b"PK-small", 'Content-Disposition: attachment; filename="ok.docx"')
    parsed = parse_message(multipart([big, small]), max_header_bytes=200)
    assert parsed.notes == ["en del med för stort huvud (över 200 byte) lästes inte"]
    assert [f.data for f in parsed.attachments] == [b"PK-small"]
    # The top-level header block is never measured here (the pipeline checks it first)
    assert parse_message(multipart([small], f"X-Fyll: {'x' * 300}"), 200).notes == []


def test_a_part_header_of_exactly_the_limit_is_read() -> None:
    block = part(DOCX, b"PK", "X-A: b")
    sized = parse_message(multipart([block]), max_header_bytes=10_000)
    assert [f.data for f in sized.attachments] == [b"PK"]
    # Content-Type, Content-Transfer-Encoding and X-A, names and values, counted exactly
    limit = len("Content-Type") + len(DOCX) + len("Content-Transfer-Encoding") + len("base64")
    limit += len("X-A") + len("b")
    assert [f.data for f in parse_message(multipart([block]), limit).attachments] == [b"PK"]
    assert parse_message(multipart([block]), limit - 1).attachments == []


def nested(levels: int, names: list[str | None]) -> bytes:
    """Files `levels` multipart levels below the top (the top message is level 0); a name of
    None is a DOCX without a name or a disposition."""
    named = 'Content-Disposition: attachment; filename="{}"'
    body = b"".join(
        b"--b%d\r\n" % levels + part(DOCX, b"PK", *([named.format(name)] if name else [])) + b"\r\n"
        for name in names
    )
    body += b"--b%d--\r\n" % levels
    for level in range(levels - 1, 0, -1):
        head = b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level, level + 1)
        body = head + body + b"--b%d--\r\n" % level
    return raw(f"From: {ANNA}", "Content-Type: multipart/mixed; boundary=b1", body=body)


def test_files_deeper_than_the_limit_are_counted_in_the_notes() -> None:
    deep = parse_message(nested(MAX_DEPTH + 1, ["a.docx", "b.docx", "c.docx"]))
    assert deep.attachments == []
    assert deep.notes == [
        f"bilagan a.docx ligger {MAX_DEPTH + 1} MIME-nivåer djupt (gräns {MAX_DEPTH}) "
        "och lästes inte",
        "ytterligare 2 bilagor låg för djupt och lästes inte",
    ]
    one = parse_message(nested(MAX_DEPTH + 1, ["a.docx"]))
    assert len(one.notes) == 1
    # Two: the first named, the other counted; a file without a name is called so
    two = parse_message(nested(MAX_DEPTH + 1, [None, "b.docx"]))
    assert two.notes == [
        f"bilagan (utan namn) ligger {MAX_DEPTH + 1} MIME-nivåer djupt (gräns {MAX_DEPTH}) "
        "och lästes inte",
        "ytterligare 1 bilagor låg för djupt och lästes inte",
    ]
    at_limit = parse_message(nested(MAX_DEPTH, ["a.docx", "b.docx"]))
    assert [f.filename for f in at_limit.attachments] == ["a.docx", "b.docx"]
    assert at_limit.notes == []


def test_a_message_nested_past_the_parsers_recursion_keeps_its_headers() -> None:
    """Given a report 999 levels deep (fewer parts than the parts limit), then the standard
    parser runs out of recursion; the headers are still read and the notes say why no file was."""
    parsed = parse_message(nested(999, ["a.docx"]))
    assert parsed.notes == ["meddelandet är nästlat i för många MIME-nivåer; bilagorna lästes inte"]
    assert parsed.attachments == []
    assert (parsed.from_address, parsed.content_type) == (
        "anna.berg@bollnas.test",
        "multipart/mixed",
    )


def test_a_part_header_nested_past_the_parsers_recursion_keeps_the_message() -> None:
    """Given a part whose Content-Disposition holds 2,000 nested comments, then the standard
    header parser runs out of recursion when the part is looked at: the message is still read,
    and the notes say its attachments were not."""
    disposition = "attachment; filename=a.pdf " + "(" * 2000 + ")" * 2000
    parsed = parse_message(
        multipart([part("application/pdf", b"%PDF", f"Content-Disposition: {disposition}")])
    )
    assert parsed.notes == ["meddelandet är nästlat i för många MIME-nivåer; bilagorna lästes inte"]
    assert parsed.attachments == []
    assert (parsed.subject, parsed.from_address) == ("Delar", "anna.berg@bollnas.test")


@pytest.mark.parametrize("charset", ["idna", "punycode"])
def test_a_text_body_python_cannot_decode_is_no_reason_to_fail(charset: str) -> None:
    # Given 8-bit text in a charset whose codec refuses errors="replace" (the body is not read)
    parsed = parse_message(
        raw(f"From: {ANNA}", f"Content-Type: text/plain; charset={charset}", body=b"R\xc3\xa4tt")
    )
    assert (parsed.from_address, parsed.content_type) == ("anna.berg@bollnas.test", "text/plain")
    assert parsed.attachments == [] and parsed.notes == []


def test_a_message_of_too_many_parts_keeps_only_its_headers() -> None:
    parts = [part("application/pdf", b"%PDF") for _ in range(MAX_PARTS)]
    # MAX_PARTS parts and the top-level Content-Type: one over the limit
    over = parse_message(multipart(parts))
    assert over.attachments == []
    assert over.notes == [
        f"meddelandet har omkring {MAX_PARTS + 1} MIME-delar (gräns {MAX_PARTS}); bilagorna "
        "lästes inte, originalet finns i arkivet"
    ]
    assert over.subject == "Delar" and over.from_address == "anna.berg@bollnas.test"
    at_limit = parse_message(multipart(parts[1:]))
    assert at_limit.notes == [] and len(at_limit.attachments) == MAX_PARTS - 1


def test_readable_headers_takes_away_a_bom_and_blanks_before_a_colon_in_the_header_only() -> None:
    """Issue 24: a UTF-8 BOM before the headers, and "From  :" as old programs wrote it, hid
    the sender (the mail was then taken for automatic mail). The body is never changed."""
    head = b"From  : Anna <anna@b.test>\nSubject\t: Hej\nX-Lang:\n  fortsatt\n"
    body = b"\nFrom  : inte en rubrik\nText\n"
    assert readable_headers(b"\xef\xbb\xbf" + head + body) == (
        b"From: Anna <anna@b.test>\nSubject: Hej\nX-Lang:\n  fortsatt\n" + body
    )
    plain = b"From: a@b.test\n\nHej\n"
    assert readable_headers(plain) is plain  # nothing to do: no copy of a large message
    # An mbox "From " line is no field with blanks before a colon, and stays
    assert readable_headers(b"From a@b.test Mon Jan  1 10:00:00 2026\n\n") == (
        b"From a@b.test Mon Jan  1 10:00:00 2026\n\n"
    )
    parsed = parse_message(b"\xef\xbb\xbf" + head + body)
    assert (parsed.from_address, parsed.subject, parsed.notes) == ("anna@b.test", "Hej", [])


def test_a_delivery_report_names_what_it_returns() -> None:
    """The Message-IDs and subjects of the returned message or header block; only for a
    delivery report or mail with the null Return-Path."""
    returned = b"Message-ID: <k1@finsam.test>\nSubject: [SFG 26-01.01] Kvittens\n"
    dsn = (
        b"Return-Path: <>\nFrom: MAILER-DAEMON@mx.test\nContent-Type: multipart/report; "
        b'report-type=delivery-status; boundary="b"\n\n--b\nContent-Type: text/plain\n\nFel\n'
        b"--b\nContent-Type: text/rfc822-headers\n\n" + returned + b"\n--b--\n"
    )
    parsed = parse_message(dsn)
    assert parsed.returned_ids == ("<k1@finsam.test>",)
    assert parsed.returned_subjects == ("[SFG 26-01.01] Kvittens",)
    ordinary = dsn.replace(b"Return-Path: <>\n", b"").replace(
        b"multipart/report", b"multipart/mixed"
    )
    assert parse_message(ordinary).returned_ids == ()

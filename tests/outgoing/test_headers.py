"""Headers of our mail, and attempts to inject headers through names, titles and ids."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from casefile.app import App
from casefile.config import settings_from_dict
from intake.outgoing.compose import compose, thread_of
from intake.outgoing.render import Rendered
from tests.outgoing.conftest import SENDER, outbox, register, reply
from tests.outgoing.mailparts import parse, text_of

EXPECTED_HEADERS = {
    "From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Auto-Submitted", "X-Auto-Response-Suppress", "X-Casefile-Loop", "MIME-Version",
    "Content-Type",
}  # fmt: skip

HOSTILE = [
    "SAFE\r\nBcc: victim@evil.test",
    "SAFE\nSubject: hacked\n\nbody",
    "SAFE\rX-Injected: yes",
    "=?utf-8?q?SAFE=0D=0ABcc:_victim@evil.test?=",
    "=?utf-8?b?U0FGRQ0KQmNjOiB2aWN0aW1AZXZpbC50ZXN0?=",
    "SAFE\u2028Bcc: victim@evil.test\u0085X-Next: 1",
    "\x01\x1b[31mRöd\x7f insats\t\tmed tabb\x08",
    "Å" * 3000,
    "A" * 5000 + "\r\nBcc: victim@evil.test",
]


def header_block(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return head.split("\r\n")


def test_headers_of_a_kvittens(app: App) -> None:
    """Subject tag, our Message-ID, threading and the loop-protection headers are all there."""
    register(app)
    [row] = outbox(app)
    msg = parse(row.raw)
    assert msg["To"] == SENDER
    assert msg["From"] == "Samordningsförbund Gävleborg <kontakt@finsam.test>"
    assert msg["Subject"].startswith("[SFG 26-01.01] ")
    assert msg["Message-ID"] == row.message_id
    assert row.message_id.startswith("<") and row.message_id.endswith("@finsam.test>")
    assert msg["In-Reply-To"] == "<rapport-1@bollnas.test>"
    assert msg["References"] == "<tidigare-1@bollnas.test> <rapport-1@bollnas.test>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Casefile-Loop"] == "kontakt@finsam.test"
    assert msg.get_content_type() == "multipart/alternative"
    assert set(msg.keys()) == EXPECTED_HEADERS
    assert all(line.isascii() for line in header_block(row.raw))


def test_only_the_sender_gets_it_never_an_address_from_the_attachment(app: App) -> None:
    """The form's contact e-mail differs from the sender: the mail still goes to the sender."""
    register(app, contact_email="someone.else@elsewhere.test",
             fields={"contact_email": "someone.else@elsewhere.test"})  # fmt: skip
    [row] = outbox(app)
    assert row.recipient == SENDER
    msg = parse(row.raw)
    assert msg["To"] == SENDER
    assert msg["Cc"] is None and msg["Bcc"] is None
    assert "someone.else@elsewhere.test" not in row.raw.decode("ascii")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_title_organisation_and_sender_name_cannot_add_headers(
    app: App, value: str
) -> None:
    """Given CR/LF, encoded-words, control characters or huge values in text from the sender,
    the mail has exactly our headers, one-line values, and lines short enough for SMTP."""
    finding = {"code": "missing_field", "field": value, "message": value}
    register(
        app,
        title=value,
        organisation=value,
        sender=f'"{value}" <{SENDER}>',
        signed=False,
        findings=[finding],
    )
    rows = outbox(app)
    assert len(rows) == 2
    for row in rows:
        lines = header_block(row.raw)
        assert all(len(line) <= 998 for line in lines)
        assert not any(
            line.lower().startswith(("bcc:", "x-injected:", "x-next:")) for line in lines
        )
        msg = parse(row.raw)
        assert set(msg.keys()) == EXPECTED_HEADERS
        assert msg["To"] == SENDER
        subject = str(msg["Subject"])
        assert "\n" not in subject and "\r" not in subject
        # Visible text only: no control character (C0, DEL, C1) survives into the Subject.
        assert not [c for c in subject if unicodedata.category(c) == "Cc"], repr(subject)
        assert subject.startswith("[SFG 26-01.01] ")
        assert len(subject) <= 200
        assert "=?" not in subject  # no encoded-word survives decoding
        text = text_of(msg)
        assert "\nBcc:" not in text and "\nSubject: hacked" not in text


def test_hostile_message_ids_are_dropped(app: App) -> None:
    """In-Reply-To/References carry only well-formed ids from the message we answer."""
    hostile = reply(
        message_id="<a@b.test>\r\nBcc: victim@evil.test",
        references="<ok-1@b.test> junk <bad id@x> <ok-2@b.test>\r\nBcc: v@evil.test " * 50,
    )
    register(app, hostile)
    [row] = outbox(app)
    msg = parse(row.raw)
    assert msg["In-Reply-To"] is None
    assert msg["References"] == "<ok-1@b.test> <ok-2@b.test>"
    assert "Bcc" not in row.raw.decode("ascii")


def test_hostile_recipient_is_not_used(app: App) -> None:
    register(app, reply(recipient="anna@bollnas.test\r\nBcc: victim@evil.test"))
    [row] = outbox(app)
    assert row.state == "suppressed"
    assert row.recipient == ""
    assert row.last_error == "ingen användbar mottagaradress"
    assert "victim" not in row.raw.decode("ascii")


def test_long_reference_chain_is_capped() -> None:
    chain = " ".join(f"<m{i}@b.test>" for i in range(40))
    threading = thread_of("<last@b.test>", chain)
    ids = (threading.references or "").split()
    assert len(ids) == 10
    assert ids[0] == "<m0@b.test>" and ids[-1] == "<last@b.test>"


_SETTINGS = settings_from_dict(
    {"smtp": {"from_address": "kontakt@finsam.test", "from_name": "Förbundet"}}
)


@hsettings(max_examples=150, deadline=None)
@given(subject=st.text(max_size=400), body=st.text(max_size=200))
def test_any_subject_text_gives_one_subject_header(subject: str, body: str) -> None:
    """Property: whatever the rendered subject holds, the message has one Subject line set."""
    composed = compose(
        _SETTINGS,
        kind="kvittens",
        recipient="anna@bollnas.test",
        reference="SFG 26-01.01",
        rendered=Rendered(subject=subject, text=body, html="<p>x</p>"),
        threading=thread_of("<a@b.test>", None),
        auto_submitted="auto-replied",
        now=dt.datetime(2026, 2, 3, 10, tzinfo=dt.UTC),
    )
    msg = parse(composed.raw)
    assert set(msg.keys()) == EXPECTED_HEADERS
    assert msg["Subject"].startswith("[SFG 26-01.01]")
    assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
    assert all(len(line) <= 998 for line in header_block(composed.raw))


OUTLOOK_ID = (
    "<DB9PR07MB77370F1A2B3C4D5E6F708192A3B4C5D6E7F8@DB9PR07MB7737.eurprd07.prod.outlook.com>"
)


def test_long_message_ids_are_written_as_ids_for_mail_programs_to_thread_on(app: App) -> None:
    """Given a report answering with Outlook's 85-character ids, when the kvittens is composed,
    then In-Reply-To and References hold the ids as written (folded between ids, never as
    encoded words, which no mail program decodes there) and parse back unchanged."""
    earlier = [f"<{n}{OUTLOOK_ID[1:]}" for n in range(3)]
    register(app, reply(message_id=OUTLOOK_ID, references=" ".join(earlier)))
    [row] = outbox(app)
    lines = header_block(row.raw)
    assert not [line for line in lines if "=?" in line and not line.startswith("From:")]
    assert f"In-Reply-To: {OUTLOOK_ID}" in lines
    start = lines.index(f"References: {earlier[0]}")
    assert lines[start + 1 : start + 4] == [f" {earlier[1]}", f" {earlier[2]}", f" {OUTLOOK_ID}"]
    msg = parse(row.raw)
    assert msg["In-Reply-To"] == OUTLOOK_ID
    assert msg["References"] == " ".join([*earlier, OUTLOOK_ID])


def test_short_ids_share_a_line_of_at_most_78_characters(app: App) -> None:
    ids = [f"<kort-{n}@b.test>" for n in range(9)]
    register(app, reply(message_id=ids[-1], references=" ".join(ids[:-1])))
    [row] = outbox(app)
    lines = header_block(row.raw)
    start = next(i for i, line in enumerate(lines) if line.startswith("References:"))
    folded = [lines[start]]
    folded += [line for line in lines[start + 1 :] if line.startswith(" ")][:3]
    assert folded[0] == "References: " + " ".join(ids[:4])
    assert all(len(line) <= 78 for line in folded)
    assert parse(row.raw)["References"] == " ".join(ids)

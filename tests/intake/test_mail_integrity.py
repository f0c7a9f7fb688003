"""Issue 24, the mail side: what a bounce, a broken From, our own +tag address and a Mailman
digest do to the register, through a real Dovecot and the real pipeline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casefile.app import App
from casefile.cli import cli
from casefile.config import Settings
from casefile.db.models import Event
from intake.outgoing.rules import Outgoing, check_send
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.rows import documents, messages, outbox, poll
from tests.support.toml import write_config

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 2, 5, 10, 0, tzinfo=dt.UTC)
DOCX = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
UNSIGNED = (REPORTS / "r04_row_blocksdt_unsigned_nfd.docx").read_bytes()
OTHER = (REPORTS / "r02_row_compact_nbsp.docx").read_bytes()


@pytest.fixture
def config_file(intake_app: App, tmp_path: Path) -> str:
    return str(write_config(tmp_path / "casefile.toml", intake_app.settings.to_dict()))


def casefile(config: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"CASEFILE_USER": "AKH"}).invoke(cli, ["--config", config, *args])
    return result.exit_code, result.stdout, result.stderr


def answered(app: App) -> list[tuple[str, str]]:
    """Automatic mail that may go out (anything not stopped by a rule)."""
    return [(r.kind, r.recipient) for r in outbox(app) if r.state != "suppressed"]


# --- A delivery report returning the office's own mail (item 2). ---


def office_forward(report: bytes) -> bytes:
    """Officer Bo passes a registered report on to an outside expert, whose address is wrong."""
    msg = message(
        sender="Bo Ek <bo.ek@finsam.test>",
        subject="VB: Slutrapport",
        body="Till dig för granskning.",
        attachments=[("slutrapport.docx", report)],
    )
    msg.replace_header("To", "expert@nowhere.test")
    return bytes(msg)


def bounce(returned: bytes, *, shape: str) -> bytes:
    """A bounce as MTAs write it: an RFC 3464 report (with Auto-Submitted, as Postfix does), an
    old-style one (multipart/mixed from MAILER-DAEMON), both with the null Return-Path; or a
    report that returns only the header block."""
    if shape == "headers":
        kind, returned_type = "multipart/report; report-type=delivery-status", "text/rfc822-headers"
        returned = returned.split(b"\n\n", 1)[0] + b"\n"
    elif shape == "report":
        kind, returned_type = "multipart/report; report-type=delivery-status", "message/rfc822"
    else:
        kind, returned_type = "multipart/mixed", "message/rfc822"
    status = (
        "--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.finsam.test\n\n"
        "Final-Recipient: rfc822; expert@nowhere.test\nAction: failed\nStatus: 5.1.1\n\n"
        if kind.startswith("multipart/report")
        else ""
    )
    head = (
        "Return-Path: <>\n"
        "From: Mail Delivery System <MAILER-DAEMON@mx.finsam.test>\n"
        "To: kontakt@finsam.test\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Auto-Submitted: auto-replied\n"
        "Message-ID: <dsn.1@mx.finsam.test>\n"
        "Date: Thu, 05 Feb 2026 10:00:00 +0000\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: {kind}; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain\n\nThe mail system: expert@nowhere.test: unknown user\n\n"
        f"{status}--b1\nContent-Type: {returned_type}\n\n"
    )
    return head.encode() + returned + b"\n--b1--\n"


@pytest.mark.parametrize("shape", ["report", "mixed"])
def test_a_bounce_of_our_forwarded_report_is_linked_to_its_case_not_registered(
    intake_app: App, account: Account, config_file: str, shape: str
) -> None:
    """Given Anna's report registered as SFG 26-01.01, when the bounce of Bo's forward of it
    comes back (the report inside), then it opens no case: it is a delivery failure in SFG
    26-01's history and in `casefile inbox`, and nobody is answered."""
    account.append(bytes(message(attachments=[("slutrapport.docx", DOCX)])), WHEN)
    poll(intake_app)
    account.append(bounce(office_forward(DOCX), shape=shape), LATER)
    poll(intake_app)
    assert [d.diarienummer for d in documents(intake_app)] == ["SFG 26-01.01"]
    dsn = messages(intake_app)[-1]
    assert dsn.state == "delivery_failed"
    assert dsn.reason == "leveransrapport: SFG 26-01.01 kom inte fram"
    assert answered(intake_app) == [("kvittens", "anna.berg@bollnas.test")]
    with intake_app.sessions() as s:
        [event] = s.scalars(select(Event).where(Event.action == "delivery_failed")).all()
        assert (event.source_message_id, event.detail["via"]) == (dsn.id, "fil")
    code, out, _ = casefile(config_file, "inbox", "--json")
    assert code == 0
    assert [(i["id"], i["state"]) for i in json.loads(out)] == [(dsn.id, "delivery_failed")]
    code, out, _ = casefile(config_file, "inbox")
    assert "leveransfel" in out and "SFG 26-01.01 kom inte fram" in out
    code, out, _ = casefile(config_file, "show", "SFG 26-01")
    assert "leveransfel: vårt brev kom tillbaka" in out


def test_a_bounce_of_our_kvittens_is_known_by_its_message_id(
    intake_app: App, account: Account
) -> None:
    """Given a report registered and its kvittens queued, when a report returning only the
    kvittens's header block comes back, then it is linked to the document by our Message-ID."""
    account.append(bytes(message(attachments=[("slutrapport.docx", DOCX)])), WHEN)
    poll(intake_app)
    [kvittens] = outbox(intake_app)
    returned = (
        f"From: kontakt@finsam.test\nTo: anna.berg@bollnas.test\nSubject: Kvittens\n"
        f"Message-ID: {kvittens.message_id}\n\nHej\n"
    ).encode()
    account.append(bounce(returned, shape="headers"), LATER)
    poll(intake_app)
    dsn = messages(intake_app)[-1]
    assert (dsn.state, dsn.reason) == (
        "delivery_failed",
        "leveransrapport: SFG 26-01.01 kom inte fram",
    )
    assert len(documents(intake_app)) == 1


def test_a_bounce_of_mail_we_do_not_know_is_automatic_and_registers_nothing(
    intake_app: App, account: Account, config_file: str
) -> None:
    """Given a bounce carrying a report nobody registered, then it is recorded as automatic
    mail (seen with `inbox --all`), and no case is opened."""
    account.append(bounce(office_forward(OTHER), shape="report"), LATER)
    poll(intake_app)
    assert documents(intake_app) == []
    [dsn] = messages(intake_app)
    assert dsn.state == "automatic"
    _, out, _ = casefile(config_file, "inbox", "--json")
    assert json.loads(out) == []
    _, out, _ = casefile(config_file, "inbox", "--all", "--json")
    assert [i["id"] for i in json.loads(out)] == [dsn.id]


# --- Mail without a parseable From (item 3). ---


@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbf" + bytes(message(attachments=[("slutrapport.docx", DOCX)])),
        bytes(message(attachments=[("slutrapport.docx", DOCX)])).replace(b"From: ", b"From  : ", 1),
    ],
    ids=["bom", "space-before-colon"],
)
def test_a_bom_or_a_blank_before_the_colon_still_gives_the_sender(
    intake_app: App, account: Account, raw: bytes
) -> None:
    account.append(raw, WHEN)
    poll(intake_app)
    [doc] = documents(intake_app)
    assert (doc.sender, doc.subject) == ("anna.berg@bollnas.test", "Slutrapport")
    assert answered(intake_app) == [("kvittens", "anna.berg@bollnas.test")]


def test_a_report_without_a_readable_from_is_registered_unanswered_and_shown(
    intake_app: App, account: Account, config_file: str
) -> None:
    """Given a report whose From holds no address, when polled, then it is registered (not
    taken for automatic mail), nobody is answered, and `casefile inbox` shows it and why."""
    account.append(
        bytes(message(sender="Anna Berg", attachments=[("slutrapport.docx", DOCX)])), WHEN
    )
    account.append(bytes(message(sender="Anna Berg", body="Ingen bilaga.")), WHEN)
    poll(intake_app)
    [doc] = documents(intake_app)
    assert doc.sender is None and doc.flag == "avsändarens adress kunde inte läsas"
    assert answered(intake_app) == []
    with_report, without = messages(intake_app)
    assert with_report.state == "registered" and with_report.reason is None
    assert without.state == "no_report"
    assert "avsändarens adress (From) kunde inte läsas" in (without.reason or "")
    _, out, _ = casefile(config_file, "inbox", "--json")
    items = {i["id"]: i for i in json.loads(out)}
    assert set(items) == {with_report.id, without.id}
    assert items[with_report.id]["flags"] == ["avsändarens adress kunde inte läsas"]


# --- Our own address with a +tag (item 4). ---


def test_our_own_address_with_a_tag_gets_no_kvittens(intake_app: App, account: Account) -> None:
    raw = bytes(
        message(
            sender="Kontakt <Kontakt+test@Finsam.test>",
            attachments=[("slutrapport.docx", DOCX)],
        )
    )
    account.append(raw, WHEN)
    poll(intake_app)
    assert answered(intake_app) == []
    [msg] = messages(intake_app)
    assert (msg.state, msg.reason) == ("automatic", "own_address")


@pytest.mark.parametrize("recipient", ["kontakt+x@finsam.test", "KONTAKT+a+b@FINSAM.test"])
def test_the_outbox_never_writes_to_our_own_tagged_address(app: App, recipient: str) -> None:
    settings: Settings = app.settings
    with app.sessions() as s:
        verdict = check_send(s, settings, Outgoing("kvittens", recipient), WHEN)
    assert (verdict.allowed, verdict.reason, verdict.rule) == (
        False,
        "mottagaren är vår egen adress",
        "own_address",
    )
    with app.sessions() as s:
        assert check_send(s, settings, Outgoing("kvittens", "kontakt+x@annan.test"), WHEN).allowed


# --- A Mailman digest (item 5). ---


def test_a_mailman_digest_from_a_request_address_is_not_answered(
    intake_app: App, account: Account
) -> None:
    """Given a list digest from finsam-request@ with only X-Mailman-Version, carrying an
    unsigned report, when polled, then no kvittens and no completion request may go out."""
    digest = message(
        sender="finsam-request@lists.test",
        subject="Finsam-nätverket Digest, Vol 12, Issue 3",
        attachments=[("rapport.docx", UNSIGNED)],
        headers={"X-Mailman-Version": "2.1.39"},
    )
    account.append(bytes(digest), WHEN)
    poll(intake_app)
    assert answered(intake_app) == []
    [msg] = messages(intake_app)
    assert msg.reason is not None and "mailman" in msg.reason


@pytest.mark.parametrize(
    "sender", ["finsam-request@lists.test", "owner-finsam@lists.test", "finsam-owner@lists.test"]
)
def test_list_robot_senders_get_nothing(intake_app: App, account: Account, sender: str) -> None:
    account.append(bytes(message(sender=sender, attachments=[("r.docx", UNSIGNED)])), WHEN)
    poll(intake_app)
    assert answered(intake_app) == []
    [msg] = messages(intake_app)
    assert "automatic_sender" in (msg.reason or "")

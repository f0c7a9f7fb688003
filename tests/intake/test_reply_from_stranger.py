"""A reply to our own mail files into the case only when it comes from a party of the case."""

from __future__ import annotations

import datetime as dt

from casefile.app import App
from tests.intake.test_sender_trust import (
    OURS,
    SIGNED,
    UNSIGNED,
    WHEN,
    document,
    mail,
    outbox,
    run_intake,
    trust_app,
    variant,
)
from tests.outgoing.conftest import smtp
from tests.support.dovecot import Account

__all__ = ["smtp", "trust_app"]  # the fixtures of the sender-trust tests


def reply_to(raw: bytes, message_id: str) -> bytes:
    """The message with In-Reply-To and References naming `message_id` (as a mail client
    answering our kvittens writes them), its subject without any case number."""
    head, sep, body = raw.partition(b"\n\n")
    line = f"In-Reply-To: {message_id}\nReferences: {message_id}\n".encode()
    return line + head + sep + body


def test_a_reply_to_our_kvittens_from_a_stranger_opens_a_flagged_case(
    trust_app: App, account: Account
) -> None:
    """Given Kommun A's unsigned report (SFG 26-01) and our kvittens for it, when
    mallory@evil.example answers that kvittens (In-Reply-To our Message-ID) with a signed
    report, then it is not filed into SFG 26-01 (which stays incomplete) but opens a new case
    flagged for staff; a colleague at Kommun A answering the same kvittens files into it."""
    kommun_a = f"{OURS}; dmarc=pass header.from=kommun-a.test"
    account.append(mail("anna@kommun-a.test", UNSIGNED, kommun_a), WHEN)
    run_intake(trust_app)
    [kvittens] = [m for m in outbox(trust_app) if m.kind == "kvittens"]
    assert document(trust_app, "SFG 26-01.01").status == "incomplete"

    evil = variant(
        SIGNED, {"Exempelby kommun, sektor Välfärd och sektor Samhällsservice": "Evil AB"}
    )
    evil_auth = f"{OURS}; dmarc=pass header.from=evil.example"
    account.append(
        reply_to(mail("mallory@evil.example", evil, evil_auth), kvittens.message_id),
        WHEN + dt.timedelta(hours=1),
    )
    run_intake(trust_app)
    stranger = document(trust_app, "SFG 26-02.01")
    assert stranger.flag == "hänvisar till SFG 26-01 men kommer från en annan avsändare"
    assert document(trust_app, "SFG 26-01.01").status == "incomplete"

    account.append(
        reply_to(mail("bo.ek@kommun-a.test", SIGNED, kommun_a), kvittens.message_id),
        WHEN + dt.timedelta(hours=2),
    )
    run_intake(trust_app)
    colleague = document(trust_app, "SFG 26-01.02")
    assert colleague.flag is None

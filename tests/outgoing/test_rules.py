"""Sending rules: never answer machines, cap mail per recipient, acknowledge once per document."""

from __future__ import annotations

from pathlib import Path

import pytest

from casefile.app import App
from casefile.db.models import Event
from casefile.register import register_document
from intake.outgoing import queue_for_document, reply_context
from intake.outgoing.rules import is_robot_address
from tests.outgoing.conftest import build_app, outbox, register, reply
from tests.register.factories import new_report
from tests.support.mail import message

ROBOT = "är en robot- eller no-reply-adress"


@pytest.mark.parametrize(
    "address",
    [
        "noreply@bollnas.test",
        "no-reply@bollnas.test",
        "do-not-reply@bollnas.test",
        "DoNotReply@bollnas.test",
        "info.noreply@bollnas.test",
        "MAILER-DAEMON@mx.bollnas.test",
        "postmaster@bollnas.test",
        "bounces+123@lists.test",
    ],
)
def test_robot_addresses_are_recognised(address: str) -> None:
    assert is_robot_address(address)


@pytest.mark.parametrize("address", ["anna.berg@bollnas.test", "norea@x.test", "replyer@x.test"])
def test_people_are_not_robots(address: str) -> None:
    assert not is_robot_address(address)


@pytest.mark.parametrize(
    ("context", "reason"),
    [
        (reply(automatic=True), "svarar inte på automatiskt skickad post"),
        (reply(recipient="noreply@bollnas.test"), f"noreply@bollnas.test {ROBOT}"),
        (reply(recipient="MAILER-DAEMON@bollnas.test"), f"MAILER-DAEMON@bollnas.test {ROBOT}"),
        (reply(recipient="postmaster@bollnas.test"), f"postmaster@bollnas.test {ROBOT}"),
        (reply(recipient="kontakt@finsam.test"), "mottagaren är vår egen adress"),
        (reply(recipient=None), "ingen användbar mottagaradress"),
    ],
)
def test_no_mail_to_automatic_senders(app: App, context: object, reason: str) -> None:
    """Given mail we must not answer, the kvittens is kept as 'suppressed' with the reason,
    visible to staff, and nothing is delivered."""
    register(app, context)  # type: ignore[arg-type]
    [row] = outbox(app)
    assert row.state == "suppressed"
    assert row.last_error == reason
    with app.sessions() as s:
        event = s.query(Event).filter_by(action="mail_queued").one()
        assert event.detail["state"] == "suppressed" and event.detail["reason"] == reason
    from intake.outgoing import flush_outbox

    assert flush_outbox(app.sessions, app.settings).sent == 0
    assert not list(Path(app.settings.smtp.folder).glob("*.eml"))


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<finsam.lists.test>"},
        {"X-Auto-Response-Suppress": "All"},
        {"Return-Path": "<>"},
        {"X-Casefile-Loop": "kontakt@finsam.test"},
    ],
)
def test_reply_context_marks_machine_mail(app: App, headers: dict[str, str]) -> None:
    msg = message(headers=headers)
    assert reply_context(msg, app.settings).automatic


def test_reply_context_of_a_person(app: App) -> None:
    msg = message(
        sender="Anna Berg <Anna.Berg@Bollnas.TEST>",
        headers={"Auto-Submitted": "no", "References": "<r1@bollnas.test>"},
        message_id="<m1@bollnas.test>",
    )
    context = reply_context(msg, app.settings)
    assert not context.automatic
    assert context.recipient == "Anna.Berg@bollnas.test"
    assert context.message_id == "<m1@bollnas.test>"
    assert context.references == "<r1@bollnas.test>"


def test_reply_context_of_a_bounce(app: App) -> None:
    msg = message(sender="Mail Delivery System <MAILER-DAEMON@mx.bollnas.test>")
    assert reply_context(msg, app.settings).automatic


def test_rate_limit_holds_mail_over_the_daily_cap(db_url: str, tmp_path: Path) -> None:
    """Given a cap of 3 a day, the 4th and 5th mail to one address are held for staff, others
    still go out, and nothing is lost silently."""
    app = build_app(db_url, tmp_path, mail={"max_per_recipient_per_day": 3})
    for i in range(5):
        register(app, title=f"Insats {i}", organisation=f"Org {i}")
    register(app, reply(recipient="other@bollnas.test"), title="Annan", organisation="Annan org")
    rows = outbox(app)
    states = [(r.recipient, r.state) for r in rows]
    assert states == [
        ("anna.berg@bollnas.test", "queued"),
        ("anna.berg@bollnas.test", "queued"),
        ("anna.berg@bollnas.test", "queued"),
        ("anna.berg@bollnas.test", "suppressed"),
        ("anna.berg@bollnas.test", "suppressed"),
        ("other@bollnas.test", "queued"),
    ]
    assert (
        rows[3].last_error
        == "gränsen 3 automatiska brev per dygn till anna.berg@bollnas.test är nådd"
    )


def test_rate_limit_is_case_insensitive(db_url: str, tmp_path: Path) -> None:
    app = build_app(db_url, tmp_path, mail={"max_per_recipient_per_day": 1})
    register(app, reply(recipient="anna.berg@bollnas.test"), title="A", organisation="A")
    register(app, reply(recipient="Anna.Berg@BOLLNAS.test"), title="B", organisation="B")
    assert [r.state for r in outbox(app)] == ["queued", "suppressed"]


def test_rate_limit_counts_plus_tags_as_one_recipient(db_url: str, tmp_path: Path) -> None:
    """Given a cap of 2 a day, when reports come "from" user+1@, USER+2@ and user@ (any case of
    the domain), then they share one limit; a different local part has its own."""
    app = build_app(db_url, tmp_path, mail={"max_per_recipient_per_day": 2})
    for i, address in enumerate(
        [
            "anna.berg+1@bollnas.test",
            "Anna.Berg+2@BOLLNAS.test",
            "anna.berg@Bollnas.Test",
            "anna.berg+x_%@bollnas.test",
            "anna.bergh+1@bollnas.test",
        ]
    ):
        register(app, reply(recipient=address), title=f"Insats {i}", organisation=f"Org {i}")
    assert [r.state for r in outbox(app)] == [
        "queued",
        "queued",
        "suppressed",
        "suppressed",
        "queued",
    ]


def test_acknowledgement_once_per_document(app: App) -> None:
    """Calling queue_for_document again (a retried pipeline step) adds nothing."""
    with app.sessions() as s, s.begin():
        document = register_document(s, app.settings, new_report())
        first = queue_for_document(s, app.settings, document, reply())
        again = queue_for_document(s, app.settings, document, reply())
        assert [r.id for r in again] == [r.id for r in first]
    assert len(outbox(app)) == 1
    with app.sessions() as s:
        assert s.query(Event).filter_by(action="mail_queued").count() == 1


def test_acknowledgements_can_be_switched_off(db_url: str, tmp_path: Path) -> None:
    app = build_app(db_url, tmp_path, mail={"send_acknowledgements": False})
    register(app, signed=False)
    kvittens, komplettering = outbox(app)
    assert kvittens.state == "suppressed"
    assert "send_acknowledgements" in (kvittens.last_error or "")
    assert komplettering.state == "queued"


def test_mail_rolls_back_with_the_registration(app: App) -> None:
    """The outbox row is part of the registering transaction: no registration, no mail."""
    with pytest.raises(RuntimeError), app.sessions() as s, s.begin():
        document = register_document(s, app.settings, new_report())
        queue_for_document(s, app.settings, document, reply())
        raise RuntimeError("crash before commit")
    assert outbox(app) == []

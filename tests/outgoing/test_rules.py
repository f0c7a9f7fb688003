"""Sending rules: never answer machines, cap mail per recipient, acknowledge once per document."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from casefile.app import App
from casefile.db.models import Event
from casefile.register import register_document
from intake.outgoing import queue_for_document
from intake.outgoing.rules import is_robot_address
from tests.outgoing.conftest import build_app, outbox, register, reply
from tests.register.factories import new_report

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


def test_the_first_rule_that_denies_is_logged_by_its_name(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """Given a robot's address that is also over no limit, the one table's first denial decides
    and its name is logged; every rule is named and described once."""
    from intake.outgoing.rules import SEND_RULES

    names = [rule.name for rule in SEND_RULES]
    assert len(set(names)) == len(names) and all(rule.description for rule in SEND_RULES)
    caplog.set_level(logging.INFO, logger="intake.outgoing.rules")
    register(app, reply(recipient="noreply@bollnas.test", automatic=True))
    [row] = outbox(app)
    assert row.last_error == "svarar inte på automatiskt skickad post"
    [record] = [r for r in caplog.records if r.name == "intake.outgoing.rules"]
    assert "denied by rule answers_automatic:" in record.getMessage()

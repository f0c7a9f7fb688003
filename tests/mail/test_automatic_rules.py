"""The one table of automatic-mail rules (intake/mail/classify.py): one example per rule,
through the live table, for incoming mail and for our answers to it."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

import pytest

from casefile.config import Settings
from intake.mail.classify import RULES, MailView, automatic_reason, matching_rule
from intake.mail.mime import parse_message
from intake.outgoing.replies import reply_context
from intake.outgoing.rules import is_robot_address
from tests.support.mail import message

LOOP = "X-Casefile-Loop"
OWN = "kontakt@finsam.test"
BOUNCE = "retur@finsam.test"


def _report(sender: str = "Anna Berg <anna.berg@bollnas.test>", **headers: str) -> EmailMessage:
    return message(sender=sender, headers={k.replace("_", "-"): v for k, v in headers.items()})


def _delivery_report() -> EmailMessage:
    msg = _report(sender="Mail Delivery System <mailer@mx.bollnas.test>")
    msg.replace_header(
        "Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"'
    )
    return msg


# One message per rule; the rule named must be the first that matches it.
EXAMPLES: dict[str, EmailMessage] = {
    "own_loop": _report(**{"X-Casefile-Loop": OWN}),
    "auto_submitted": _report(Auto_Submitted="auto-replied (semester)"),
    "precedence": _report(Precedence="auto-reply"),
    "mailing_list": _report(List_Post="<mailto:lista@lists.test>"),
    "loop": _report(X_OTRS_Loop="yes"),
    "x_autoreply": _report(X_Auto_Reply="yes"),
    "suppress": _report(X_Auto_Response_Suppress="DR, RN, NRN, OOF, AutoReply"),
    "null_sender": _report(Return_Path="<>"),
    "bounce_address": _report(Delivered_To=BOUNCE),
    "delivery_report": _delivery_report(),
    "no_sender": _report(sender="Okänd avsändare"),
    "automatic_sender": _report(sender="E-tjänst <no-reply@kommun.test>"),
    "own_address": _report(sender=f"Samordningsförbundet <{OWN}>"),
}


def test_every_rule_has_an_example() -> None:
    assert set(EXAMPLES) == {rule.name for rule in RULES}


@pytest.mark.parametrize("name", [rule.name for rule in RULES])
def test_each_rule_through_the_live_table(name: str) -> None:
    view = MailView.of_message(EXAMPLES[name], LOOP, OWN, BOUNCE)
    rule = matching_rule(view)
    assert rule is not None and rule.name == name


@pytest.mark.parametrize(
    "headers",
    [
        {"To": f"Retur <{BOUNCE.upper()}>"},
        {"Cc": f"anna@x.test, {BOUNCE}"},
        {"X-Original-To": BOUNCE},
        {"Return-Path": f"<{BOUNCE}>"},
    ],
)
def test_mail_to_or_from_our_bounce_address_is_automatic(headers: dict[str, str]) -> None:
    # Given envelope_from = retur@: To, Cc, the envelope headers and Return-Path all count
    msg = message()
    for name, value in headers.items():
        del msg[name]
        msg[name] = value
    rule = matching_rule(MailView.of_message(msg, LOOP, OWN, BOUNCE))
    assert rule is not None and rule.name == "bounce_address"
    # Without a bounce address, or when it is our own From address, such mail is a person's
    assert matching_rule(MailView.of_message(msg, LOOP, OWN)) is None
    assert matching_rule(MailView.of_message(message(), LOOP, OWN, "Kontakt@Finsam.test")) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "no"},
        {"Auto-Submitted": "No (skickad av en person)"},
        {"Auto-Submitted": "no; reason=test"},
        {"Precedence": "normal"},
        {"X-Auto-Response-Suppress": "RN, NRN"},
    ],
)
def test_a_person_is_not_automatic(headers: dict[str, str]) -> None:
    view = MailView.of_message(message(headers=headers), LOOP, OWN)
    assert matching_rule(view) is None


@pytest.mark.parametrize(
    ("raw_headers", "reason"),
    [
        ({"Auto-Submitted": "auto-generated; owner-email=x@y.test"}, "auto_submitted"),
        ({"Auto-Submitted": "no (comment)"}, None),
        ({"Precedence": "bulk"}, "precedence"),
        ({"List-Id": "<finsam.lists.test>"}, "mailing_list"),
        ({"X-Loop": "kontakt@finsam.test"}, "loop"),
        ({}, None),
    ],
)
def test_incoming_mail_is_classified_by_the_same_table(
    raw_headers: dict[str, str], reason: str | None
) -> None:
    # Given a message as it arrives (bytes), parsed as intake parses it
    parsed = parse_message(message(headers=raw_headers).as_bytes())
    # Then the pipeline's classification is the table's
    assert automatic_reason(parsed, LOOP) == reason


def test_outgoing_answers_use_the_same_table(settings: Settings) -> None:
    settings = replace(settings, mail=replace(settings.mail, envelope_from=BOUNCE))
    for name, msg in EXAMPLES.items():
        assert reply_context(msg, settings).automatic, name
    assert not reply_context(message(), settings).automatic


@pytest.mark.parametrize(
    "address",
    ["no-reply@kommun.test", "autosvar@x.test", "auto-reply@x.test", "abuse@x.test"],
)
def test_one_robot_address_rule_for_both_directions(address: str) -> None:
    # The outbox refuses to write to the same addresses intake calls automatic senders.
    assert is_robot_address(address)
    view = MailView.of_message(message(sender=address), LOOP, OWN)
    rule = matching_rule(view)
    assert rule is not None and rule.name == "automatic_sender"

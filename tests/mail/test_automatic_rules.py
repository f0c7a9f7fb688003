"""The one table of automatic-mail rules (intake/mail/classify.py): one example per rule,
through the live table, for incoming mail and for our answers to it."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

import pytest

from casefile.config import Settings
from intake.mail.classify import RULES, MailView, automatic_reason, matching_rule
from intake.mail.mime import parse_message
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
    "mailman": _report(X_Mailman_Version="2.1.39"),
    "loop": _report(X_OTRS_Loop="yes"),
    "x_autoreply": _report(X_Auto_Reply="yes"),
    "suppress": _report(X_Auto_Response_Suppress="DR, RN, NRN, OOF, AutoReply"),
    "null_sender": _report(Return_Path="<>"),
    "bounce_address": _report(Delivered_To=BOUNCE),
    "delivery_report": _delivery_report(),
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


@pytest.mark.parametrize("loop_header", [LOOP, "X-Forbund-Auto", "X-Casefile-Marker"])
def test_a_configured_loop_header_of_any_name_is_kept_and_read(loop_header: str) -> None:
    """Given `[mail] loop_header` set to a name without "loop" in it, then incoming mail that
    carries it is our own, as our answers to it say (parse_message keeps that header)."""
    msg = message(headers={loop_header: OWN})
    parsed = parse_message(msg.as_bytes(), loop_header=loop_header)
    assert parsed.headers[loop_header.lower()] == OWN
    assert automatic_reason(parsed, loop_header, OWN, BOUNCE) == "own_loop"
    found = matching_rule(MailView.of_message(msg, loop_header, OWN, BOUNCE))
    assert found is not None and found.name == "own_loop"
    # Another casefile header is not kept, and without it the mail is a person's
    other = parse_message(message(headers={"X-Casefile-Annat": "1"}).as_bytes(), loop_header=LOOP)
    assert "x-casefile-annat" not in other.headers
    assert automatic_reason(other, LOOP, OWN, BOUNCE) is None


def test_the_settings_give_the_table_its_own_addresses(settings: Settings) -> None:
    """The loop header, our address and the bounce address come from the settings, as the
    pipeline gives them when it decides whether a mail may be answered."""
    settings = replace(settings, mail=replace(settings.mail, envelope_from=BOUNCE))

    def view(msg: EmailMessage) -> MailView:
        mail = settings.mail
        return MailView.of_message(
            msg, mail.loop_header, settings.smtp.from_address, mail.envelope_from or None
        )

    for name, msg in EXAMPLES.items():
        assert matching_rule(view(msg)) is not None, name
    assert matching_rule(view(message())) is None


@pytest.mark.parametrize(
    "address",
    [
        "no-reply@kommun.test",
        "autosvar@x.test",
        "auto-reply@x.test",
        "abuse@x.test",
        "lista-request@lists.test",
        "owner-lista@lists.test",
        "lista-owner@lists.test",
        "lista-bounces+anna=bollnas.test@lists.test",
    ],
)
def test_one_robot_address_rule_for_both_directions(address: str) -> None:
    # The outbox refuses to write to the same addresses intake calls automatic senders.
    assert is_robot_address(address)
    view = MailView.of_message(message(sender=address), LOOP, OWN)
    rule = matching_rule(view)
    assert rule is not None and rule.name == "automatic_sender"


@pytest.mark.parametrize(
    "address",
    [None, "", "postmaster", "no-reply", "request@x.test", "owner@x.test", "requests-x@x.test"],
)
def test_what_is_not_an_address_is_no_robot_address(address: str | None) -> None:
    # No address is no robot: intake shows such mail to a person; the outbox has no recipient
    assert is_robot_address(address) is False


def test_incoming_mail_from_our_own_address_is_automatic() -> None:
    """The pipeline's classification passes our own address on: mail from it is automatic, and
    a bounce address that is our own address is ignored for incoming mail too."""
    parsed = parse_message(message(sender=f"Kontakt <{OWN.upper()}>").as_bytes())
    assert automatic_reason(parsed, LOOP, OWN) == "own_address"
    msg = message()
    msg["Delivered-To"] = OWN
    assert automatic_reason(parse_message(msg.as_bytes()), LOOP, OWN, OWN) is None


# Every sign each rule reads, one at a time, as the header is written in the wild.
SIGNS: list[tuple[str, str, str]] = [
    ("X-Casefile-Loop", "ja", "own_loop"),
    ("Auto-Submitted", "auto-generated", "auto_submitted"),
    ("Auto-Submitted", "Auto-Replied", "auto_submitted"),
    ("Auto-Submitted", "(kommentar) auto-notified; owner=x", "auto_submitted"),
    ("Precedence", "bulk", "precedence"),
    ("Precedence", " JUNK ", "precedence"),
    ("Precedence", "list", "precedence"),
    ("Precedence", "auto_reply", "precedence"),
    ("Precedence", "auto-reply", "precedence"),
    ("List-Id", "<lista.bollnas.test>", "mailing_list"),
    ("List-Unsubscribe", "<mailto:av@lists.test>", "mailing_list"),
    ("List-Post", "NO", "mailing_list"),
    ("Mailing-List", "lista@lists.test", "mailing_list"),
    ("List-Help", "<mailto:lista-request@lists.test?subject=help>", "mailing_list"),
    ("List-Subscribe", "<mailto:lista-join@lists.test>", "mailing_list"),
    ("List-Owner", "<mailto:lista-owner@lists.test>", "mailing_list"),
    ("List-Archive", "<https://lists.test/pipermail/lista/>", "mailing_list"),
    ("X-Mailman-Version", "2.1.39", "mailman"),
    ("X-BeenThere", "lista@lists.test", "mailman"),
    ("X-Loop", "x", "loop"),
    ("X-OTRS-Loop", "no", "loop"),
    ("X-Autoreply", "yes", "x_autoreply"),
    ("X-Autorespond", "x", "x_autoreply"),
    ("X-Auto-Reply", "x", "x_autoreply"),
    ("X-Auto-Response-Suppress", "All", "suppress"),
    ("X-Auto-Response-Suppress", "AutoReply", "suppress"),
    ("X-Auto-Response-Suppress", "OOF", "suppress"),
    ("X-Auto-Response-Suppress", "RN,DR", "suppress"),
    ("Return-Path", " <> ", "null_sender"),
    ("Envelope-To", BOUNCE, "bounce_address"),
    ("Delivered-To", f"Retur <{BOUNCE}>", "bounce_address"),
]


@pytest.mark.parametrize(("name", "value", "rule"), SIGNS)
def test_each_sign_of_automatic_mail_in_both_directions(name: str, value: str, rule: str) -> None:
    """Given an otherwise ordinary report with one sign, then incoming mail (parsed from bytes
    as intake parses it) and our answer to it (reading the message) name the same rule."""
    msg = message()
    msg[name] = value
    parsed = parse_message(msg.as_bytes())
    assert automatic_reason(parsed, LOOP, OWN, BOUNCE) == rule
    found = matching_rule(MailView.of_message(msg, LOOP, OWN, BOUNCE))
    assert found is not None and found.name == rule


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Auto-Submitted", ""),
        ("Auto-Submitted", "(bara en kommentar)"),
        ("Auto-Submitted", "NO"),
        ("Precedence", "first-class"),
        ("X-Auto-Response-Suppress", "RN, NRN, none"),
        ("Return-Path", "<anna.berg@bollnas.test>"),
        ("Envelope-To", "kontakt@finsam.test"),
    ],
)
def test_values_that_are_no_sign(name: str, value: str) -> None:
    msg = message()
    msg[name] = value
    assert automatic_reason(parse_message(msg.as_bytes()), LOOP, OWN, BOUNCE) is None
    assert matching_rule(MailView.of_message(msg, LOOP, OWN, BOUNCE)) is None


def test_our_own_address_in_any_case_is_automatic_and_without_one_nothing_is() -> None:
    for sender in (
        "Kontakt <KONTAKT@finsam.test>",
        "kontakt+x@Finsam.test",
        "kontakt+@finsam.test",
    ):
        rule = matching_rule(MailView.of_message(message(sender=sender), LOOP, OWN))
        assert rule is not None and rule.name == "own_address", sender
    # Another mailbox, or our local part at another domain, is not us
    for sender in ("kontakt2@finsam.test", "kontakt+x@annan.test", "x+kontakt@finsam.test"):
        assert matching_rule(MailView.of_message(message(sender=sender), LOOP, OWN)) is None
    assert matching_rule(MailView.of_message(message(sender=OWN), LOOP)) is None


@pytest.mark.parametrize("bounce", ["", "retur", OWN, f" {OWN.upper()} "])
def test_a_bounce_address_that_is_unusable_or_our_own_makes_nothing_automatic(
    bounce: str,
) -> None:
    msg = message()
    msg["Delivered-To"] = OWN
    msg["Return-Path"] = f"<{OWN}>"
    assert matching_rule(MailView.of_message(msg, LOOP, OWN, bounce)) is None


@pytest.mark.parametrize(
    ("name", "junk"),
    [("Delivered-To", '"kontakt'), ("X-Original-To", "(kontakt"), ("Envelope-To", '"')],
)
def test_a_stray_quote_or_parenthesis_in_one_header_hides_no_other(name: str, junk: str) -> None:
    """Given an envelope header with an unclosed quote or comment before a Return-Path with our
    bounce address, then each header is read on its own and the mail is still automatic."""
    msg = message()
    msg[name] = junk
    msg["Return-Path"] = f"<{BOUNCE}>"
    assert automatic_reason(parse_message(msg.as_bytes()), LOOP, OWN, BOUNCE) == "bounce_address"
    found = matching_rule(MailView.of_message(msg, LOOP, OWN, BOUNCE))
    assert found is not None and found.name == "bounce_address"


def test_a_bounce_address_is_compared_trimmed_and_without_case() -> None:
    msg = message()
    msg["Delivered-To"] = BOUNCE
    rule = matching_rule(MailView.of_message(msg, LOOP, OWN, f"  {BOUNCE.upper()} "))
    assert rule is not None and rule.name == "bounce_address"


def test_a_message_without_from_has_no_sender_and_is_not_automatic_for_it() -> None:
    """Issue 24: a From that cannot be read is no sign of a machine; a person looks at it (the
    pipeline registers a report in it, answers nobody and shows it in the inbox)."""
    msg = message()
    del msg["From"]
    view = MailView.of_message(msg, LOOP, OWN)
    assert view.sender is None
    assert matching_rule(view) is None
    parsed = parse_message(message(sender="Okänd avsändare").as_bytes())
    assert parsed.from_address is None and automatic_reason(parsed, LOOP, OWN) is None


def test_the_view_of_a_parsed_message_carries_everything_the_rules_read() -> None:
    msg = message(headers={"Precedence": "bulk"})
    view = MailView.of_parsed(parse_message(msg.as_bytes()), LOOP, OWN, BOUNCE)
    assert (view.sender, view.content_type, view.loop_header) == (
        "anna.berg@bollnas.test",
        "text/plain",
        LOOP,
    )
    assert (view.own_address, view.bounce_address) == (OWN, BOUNCE)
    assert view.header("PRECEDENCE") == "bulk" and view.has("precedence")

"""Filing by reference only for the same party; staff confirm contacts and move documents.

Given/when/then through the register functions and the CLI runner, on a real database.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from casefile.app import App
from casefile.config import settings_from_dict
from casefile.db.models import Case, Document, Event
from casefile.matching import Incoming, OpenCase, match_case, same_party
from casefile.register import register_document
from tests.register.conftest import run
from tests.register.factories import new_report

KOMMUN_A = "anna.berg@kommun-a.test"
MALLORY = "mallory@evil.example"


def test_same_party_by_address_or_domain_but_not_public_mail() -> None:
    assert same_party("Anna.Berg@Kommun-A.test", [KOMMUN_A])
    assert same_party("bo.ek@kommun-a.test", [KOMMUN_A])
    assert not same_party(MALLORY, [KOMMUN_A])
    assert not same_party("someone@gmail.com", ["anna@gmail.com"])
    assert same_party("anna@gmail.com", ["anna@gmail.com"])
    assert not same_party(None, [KOMMUN_A])
    assert same_party(MALLORY, [])  # a case without e-mail parties has nobody to compare


def test_addresses_are_compared_as_written_in_headers() -> None:
    """Angle brackets and case do not count; the domain is after the last @ (a quoted local
    part may hold one); text without an @ has no domain to share."""
    assert same_party("<Anna@Gmail.com>", ["anna@gmail.com"])
    assert same_party("Xavier@gmail.com", ["<xavier@gmail.com>"])
    assert same_party('"bo@evil.example"@kommun-a.test', [KOMMUN_A])
    assert not same_party("anna@kommun-a.test@evil.example", [KOMMUN_A])
    assert not same_party("kommun-a.test", [KOMMUN_A])
    assert not same_party("bo", ["anna"])


def test_a_subject_reference_from_another_party_opens_a_flagged_case(app: App) -> None:
    settings = app.settings.registry
    case = OpenCase("SFG 26-01", 2026, 1, "SAFE", "Kommun A", parties=(KOMMUN_A,))
    theirs = Incoming(subject="Re: SFG 26-01", sender="bo.ek@kommun-a.test")
    assert match_case(settings, theirs, [case]).number == "SFG 26-01"
    other = Incoming(subject="Re: SFG 26-01", sender=MALLORY, title="SAFE", organisation="X")
    got = match_case(settings, other, [case])
    assert (got.number, got.rule) == (None, "new")
    assert got.flag == "hänvisar till SFG 26-01 men kommer från en annan avsändare"


def test_the_same_insats_from_another_party_opens_a_new_case() -> None:
    """Title and organisation match only for the case's own parties: a stranger naming the same
    insats gets a new case, not a document in someone else's."""
    case = OpenCase("SFG 26-01", 2026, 1, "Kärnhuset", "Kommun A", parties=(KOMMUN_A,))
    for sender, expected in ((MALLORY, None), ("bo.ek@kommun-a.test", "SFG 26-01")):
        incoming = Incoming(title="Kärnhuset", organisation="Kommun A", sender=sender)
        got = match_case(settings_from_dict({}).registry, incoming, [case])
        assert got.number == expected, sender


def register(app: App, **report: object) -> Document:
    with app.sessions() as s, s.begin():
        doc = register_document(s, app.settings, new_report(**report))
        s.expunge(doc)
        return doc


def status_of(app: App, number: str) -> str:
    with app.sessions() as s:
        return s.execute(
            select(Document.status).where(Document.diarienummer == number)
        ).scalar_one()


def test_subject_hijack_leaves_the_victims_report_incomplete(app: App) -> None:
    """Given Kommun A's unsigned report, when Mallory sends a signed report for Evil AB with
    'Re: SFG 26-01', then it lands in a new flagged case and Kommun A's stays incomplete."""
    first = register(app, sender=KOMMUN_A, organisation="Kommun A", signed=False)
    assert first.diarienummer == "SFG 26-01.01" and first.status == "incomplete"
    evil = register(app, sender=MALLORY, subject="Re: SFG 26-01", organisation="Evil AB")
    assert evil.diarienummer == "SFG 26-02.01"
    assert status_of(app, "SFG 26-01.01") == "incomplete"
    with app.sessions() as s:
        case = s.execute(select(Case).where(Case.number == "SFG 26-02")).scalar_one()
        assert case.flag == "hänvisar till SFG 26-01 men kommer från en annan avsändare"
        assert case.documents[0].flag == case.flag


def test_a_signed_report_completes_only_the_same_partys(app: App) -> None:
    register(app, sender=KOMMUN_A, organisation="Kommun A", signed=False)
    # Staff confirmed a second address of another domain as the case's contact.
    with app.sessions() as s, s.begin():
        case = s.execute(select(Case)).scalar_one()
        case.confirmed_contact_email = "samordnare@region.test"
    signed = register(app, sender="samordnare@region.test", subject="SFG 26-01", organisation="A")
    assert signed.diarienummer == "SFG 26-01.02"
    assert status_of(app, "SFG 26-01.01") == "completed"


def test_contact_confirms_an_address_and_show_tells(app: App, config_file: str) -> None:
    register(app, sender=KOMMUN_A, contact_email="third.party@victim.test")
    code, out, _ = run(config_file, "show", "SFG 26-01")
    assert code == 0 and "Kontakt i blanketten (ej bekräftad): third.party@victim.test" in out
    code, out, err = run(
        config_file, "contact", "SFG 26-01", "kontakt@kommun-a.test", "--by", "akh"
    )
    assert code == 0, err
    assert "kontakt@kommun-a.test är bekräftad av AKH" in out
    code, out, _ = run(config_file, "show", "SFG 26-01", "--json")
    data = json.loads(out)
    assert data["confirmed_contact_email"] == "kontakt@kommun-a.test"
    assert data["confirmed_contact_by"] == "AKH"
    assert [e["detail"]["address"] for e in data["events"] if e["action"] == "contact_confirmed"]
    code, out, _ = run(config_file, "show", "SFG 26-01")
    assert "Kontakt: kontakt@kommun-a.test (bekräftad av AKH)" in out


def test_contact_refuses_what_is_not_an_address(app: App, config_file: str) -> None:
    register(app)
    code, _, err = run(
        config_file, "contact", "SFG 26-01", "Anna <a@b.se>\nBcc: x@y.se", "--by", "AKH"
    )
    assert code == 1 and err.startswith("fel: ") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "command", [["contact", "SFG 26-01", "a@b.se"], ["move", "SFG 26-01.01", "--to", "SFG 26-02"]]
)
def test_by_with_a_newline_is_a_usage_error(app: App, config_file: str, command: list[str]) -> None:
    """A forged history line must not get into the audit log through --by."""
    register(app)
    register(app, title="Annat", organisation="Annan")
    forged = "AKH\n2026-02-03 10:00  AKH        document_signed"
    code, _, err = run(config_file, *command, "--by", forged)
    assert code == 2 and "initialer" in err
    with app.sessions() as s:
        actors = s.execute(select(Event.actor)).scalars().all()
    assert not any("\n" in a for a in actors)


def test_move_keeps_the_number_and_both_histories_say_where(app: App, config_file: str) -> None:
    """Given Mallory's report in its own flagged case, when staff move it into SFG 26-01, then
    it keeps SFG 26-02.01, shows in SFG 26-01, and both histories name from and to."""
    register(app, sender=KOMMUN_A, organisation="Kommun A", signed=False)
    register(app, sender=MALLORY, subject="Re: SFG 26-01", organisation="Evil AB")
    code, out, err = run(config_file, "move", "SFG 26-02.01", "--to", "SFG 26-01", "--by", "AKH")
    assert code == 0, err
    assert "SFG 26-02.01 är flyttad från SFG 26-02 till SFG 26-01" in out
    code, out, _ = run(config_file, "show", "SFG 26-01", "--json")
    data = json.loads(out)
    assert [d["diarienummer"] for d in data["documents"]] == ["SFG 26-01.01", "SFG 26-02.01"]
    [moved] = [e for e in data["events"] if e["action"] == "document_moved"]
    assert moved["detail"] == {
        "diarienummer": "SFG 26-02.01",
        "from": "SFG 26-02",
        "to": "SFG 26-01",
    }
    assert moved["actor"] == "AKH"
    code, out, _ = run(config_file, "show", "SFG 26-02")
    assert "SFG 26-02.01: från SFG 26-02 till SFG 26-01" in out
    code, out, _ = run(config_file, "show", "SFG 26-02.01")  # the number still finds its case
    assert code == 0 and "SFG 26-01" in out.splitlines()[0]
    # The next document of SFG 26-01 continues its own series: no number taken, none skipped.
    nxt = register(app, sender=KOMMUN_A, subject="SFG 26-01", organisation="Kommun A")
    assert nxt.diarienummer == "SFG 26-01.02"


def test_move_refuses_the_same_case_and_unknown_cases(app: App, config_file: str) -> None:
    register(app)
    code, _, err = run(config_file, "move", "SFG 26-01.01", "--to", "SFG 26-01", "--by", "AKH")
    assert code == 1 and "ligger redan i SFG 26-01" in err
    code, _, err = run(config_file, "move", "SFG 26-01.01", "--to", "SFG 26-09", "--by", "AKH")
    assert code == 1 and "inget ärende SFG 26-09" in err


OSC = "\x1b]0;pwned\x07"


def test_an_osc_escape_from_a_sender_prints_harmlessly(app: App, config_file: str) -> None:
    """Given a report whose subject and title carry an OSC escape (which would retitle the
    registrar's terminal), list and show print no escape character."""
    register(app, subject=f"Slutrapport {OSC}Hej", title=f"SAFE{OSC}", organisation=f"X{OSC}")
    for args in (["list"], ["show", "SFG 26-01"]):
        code, out, _ = run(config_file, *args)
        assert code == 0
        assert "\x1b" not in out and "\x07" not in out
        assert "SAFE" in out  # the report is listed; only the escape is gone

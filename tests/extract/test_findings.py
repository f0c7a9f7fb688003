"""The checks an officer wants flagged, on hand-made field sets."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from intake.extract.findings import findings, for_registration, not_recognised, required_keys
from intake.extract.form import FIELD_KEYS, SECTION_KEYS
from intake.extract.forms import builtin, default_form, generic_form
from intake.extract.model import Finding


def _fields(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {k: None for k in FIELD_KEYS}
    base.update(
        title="Lotsen",
        period_start="2024-01-01",
        period_end="2024-12-31",
        granted_sek=100000,
        spent_sek=100000,
        organisation="Exempelby kommun",
        contact_name="Anna Berg",
        contact_phone="070-111 22 33",
        contact_email="anna@exempel.se",
        partners=["Arbetsförmedlingen"],
        submitter_date="2025-01-10",
        submitter_name="Anna Berg",
    )
    base.update(kw)
    return base


def _sections(**kw: str) -> dict[str, str]:
    out = dict.fromkeys(SECTION_KEYS, "")
    out.update({k.replace("_", "."): v for k, v in kw.items()})
    return out


def _run(
    fields: dict[str, Any], sections: dict[str, str] | None = None, **kw: Any
) -> list[Finding]:
    return findings(
        kw.get("kind", "slutrapport"),
        fields,
        sections if sections is not None else _sections(),
        kw.get("unparsed", {}),
        default_form(),
        {"8"} if kw.get("section8", True) else set(),
    )


def test_clean_report_has_no_findings() -> None:
    assert _run(_fields()) == []


def test_underspent_needs_an_explanation() -> None:
    (f,) = _run(_fields(spent_sek=80000))
    assert f.code == "underspent_unexplained"
    assert f.message == (
        "Beviljade medel är inte helt utnyttjade (80 000 kr av 100 000 kr) men avsnitt 7.2.1 "
        "saknar förklaring."
    )
    assert _run(_fields(spent_sek=80000), _sections(**{"7_2_1": "Vakans."})) == []
    # An interim report is expected not to have used everything yet.
    assert _run(_fields(spent_sek=80000), kind="delrapport") == []


def test_unsigned_variants() -> None:
    assert [f.message for f in _run(_fields(submitter_date=None))] == [
        "Avsnitt 8, Uppgiftslämnare, saknar datum."
    ]
    assert [f.message for f in _run(_fields(submitter_name=None))] == [
        "Avsnitt 8, Uppgiftslämnare, saknar namn."
    ]
    missing = _run(_fields(submitter_date=None, submitter_name=None), section8=False)
    assert [f.message for f in missing] == ["Avsnitt 8, Uppgiftslämnare, saknas i rapporten."]


def test_unreadable_value_is_reported_once() -> None:
    result = _run(_fields(granted_sek=None), unparsed={"granted_sek": "ca 2 miljoner"})
    assert [(f.code, f.field) for f in result] == [("unreadable_value", "granted_sek")]
    assert "ca 2 miljoner" in result[0].message


def test_personnummer_in_a_section() -> None:
    result = _run(_fields(), _sections(**{"4_2": "Deltagare 19811218-9876 intervjuades."}))
    assert [f.code for f in result] == ["possible_personnummer"]
    assert "9876" not in result[0].message  # the number itself is not repeated


def test_ansokan_and_unknown() -> None:
    assert [f.code for f in _run(_fields(), kind="ansokan")] == ["not_final_report"]
    assert [f.code for f in _run(_fields(), kind="unknown")] == ["unknown_document"]


def test_ansokan_and_unknown_say_so_in_swedish() -> None:
    """Given an application or an unidentified document, staff read what it is, and no report
    check runs on it (its missing fields are not findings)."""
    empty = {k: None for k in FIELD_KEYS}
    assert [f.to_json() for f in _run(empty, kind="ansokan")] == [
        {"code": "not_final_report", "message": "Dokumentet är en ansökan, inte en slutrapport."}
    ]
    assert [f.to_json() for f in _run(empty, kind="unknown", section8=False)] == [
        {
            "code": "unknown_document",
            "message": "Dokumentet kunde inte identifieras som slutrapport, delrapport eller "
            "ansökan.",
        }
    ]


def test_personnummer_warning_text_and_where_it_is_looked_for() -> None:
    """Given a personnummer in a text field, staff are warned in one sentence; a number in an
    amount field is not text and is not read as one."""
    result = _run(_fields(contact_name="Anna Berg 811218-9876"))
    assert [f.to_json() for f in result] == [
        {
            "code": "possible_personnummer",
            "message": "Texten verkar innehålla ett personnummer; kontrollera innan rapporten "
            "sprids.",
        }
    ]
    # Also on an application: the warning does not depend on the kind of document.
    assert [f.code for f in _run(_fields(title="19811218-9876"), kind="ansokan")] == [
        "not_final_report",
        "possible_personnummer",
    ]
    assert _run(_fields(granted_sek=198112189876, spent_sek=198112189876)) == []


def test_unreadable_value_names_the_field_and_quotes_60_characters() -> None:
    """Given a value that cannot be read, staff see the field's Swedish label and the sender's
    own words, cut at 60 characters; it is not also reported as missing."""
    raw = "ungefär två miljoner kronor enligt beslutet från styrelsen i mars, se bilaga"
    result = _run(_fields(granted_sek=None), unparsed={"granted_sek": raw})
    assert [f.to_json() for f in result] == [
        {
            "code": "unreadable_value",
            "message": "Värdet för Beviljade medel kunde inte tolkas: ”ungefär två miljoner "
            "kronor enligt beslutet från styrelsen i”.",
            "field": "granted_sek",
        }
    ]


def test_missing_fields_name_each_required_label_in_form_order() -> None:
    """Given a report with every required field empty (None, "" or an empty list), staff see one
    sentence per field, with its Swedish label, in the order of the form."""
    empty = _fields(
        title="",
        period_start=None,
        period_end=None,
        granted_sek=None,
        spent_sek=None,
        organisation=None,
        contact_name=None,
        contact_phone="",
        contact_email=None,
        partners=[],
    )
    result = _run(empty)
    assert [(f.code, f.field, f.message) for f in result] == [
        ("missing_field", key, f"Obligatoriskt fält saknas: {label}.")
        for key, label in [
            ("title", "Insatsens namn"),
            ("period_start", "Insatstid, startdatum"),
            ("period_end", "Insatstid, slutdatum"),
            ("granted_sek", "Beviljade medel"),
            ("spent_sek", "Utnyttjade medel"),
            ("organisation", "Organisationens namn"),
            ("contact_name", "Kontaktperson"),
            ("contact_phone", "Mobiltelefonnummer"),
            ("contact_email", "E-postadress"),
        ]
    ]
    # Samverkansparter are not required: an empty list alone is no finding.
    assert _run(_fields(partners=[])) == []


def test_an_unreadable_period_is_reported_once_not_also_as_a_missing_end() -> None:
    """Given a period that could not be read (kept under period_start), staff see it once as
    unreadable; the empty end date is not a second finding. A missing end on its own is."""
    result = _run(
        _fields(period_start=None, period_end=None), unparsed={"period_start": "hela 2024"}
    )
    assert [(f.code, f.field) for f in result] == [("unreadable_value", "period_start")]
    assert result[0].message == "Värdet för Insatstid, startdatum kunde inte tolkas: ”hela 2024”."
    # The fields after the period are still checked.
    with_more = _run(
        _fields(period_start=None, period_end=None, contact_email=None),
        unparsed={"period_start": "hela 2024"},
    )
    assert [(f.code, f.field) for f in with_more] == [
        ("unreadable_value", "period_start"),
        ("missing_field", "contact_email"),
    ]
    only_end = _run(_fields(period_end=None))
    assert [(f.code, f.field) for f in only_end] == [("missing_field", "period_end")]
    # An unreadable end date is reported as unreadable only, not as missing too.
    bad_end = _run(_fields(period_end=None), unparsed={"period_end": "våren"})
    assert [(f.code, f.field) for f in bad_end] == [("unreadable_value", "period_end")]


def test_overspent_names_both_amounts_and_only_when_more_was_spent() -> None:
    result = _run(_fields(granted_sek=100000, spent_sek=2842390))
    assert [f.to_json() for f in result] == [
        {
            "code": "overspent",
            "message": "Utnyttjade medel (2 842 390 kr) överstiger beviljade medel (100 000 kr).",
        }
    ]
    assert _run(_fields(granted_sek=100000, spent_sek=100001))[0].code == "overspent"
    assert _run(_fields(granted_sek=100000, spent_sek=100000)) == []
    # An overspent interim report is flagged as well.
    assert [f.code for f in _run(_fields(spent_sek=100001), kind="delrapport")] == ["overspent"]


def test_underspent_check_needs_both_amounts_and_a_7_2_1_on_the_form() -> None:
    """The underspending check runs only with both amounts read, one krona is enough, and only
    on a form that has a section 7.2.1 to explain it in."""
    assert [f.code for f in _run(_fields(spent_sek=99999))] == ["underspent_unexplained"]
    assert _run(_fields(spent_sek="80 000"), unparsed={}) == []
    lages = builtin("lagesrapport")
    assert "7.2.1" not in lages.answer_keys
    fields = _fields(spent_sek=80000)
    assert findings("slutrapport", fields, _sections(), {}, lages, {"D"}) == []


def test_period_ending_before_it_starts_is_flagged_with_both_dates() -> None:
    result = _run(_fields(period_start="2024-06-01", period_end="2024-05-31"))
    assert [f.to_json() for f in result] == [
        {
            "code": "period_inconsistent",
            "message": "Insatstidens slutdatum (2024-05-31) ligger före startdatumet (2024-06-01).",
        }
    ]
    assert _run(_fields(period_start="2024-06-01", period_end="2024-06-01")) == []


def test_section_8_found_but_empty_lacks_both_date_and_name() -> None:
    result = _run(_fields(submitter_date=None, submitter_name=None))
    assert [f.to_json() for f in result] == [
        {"code": "unsigned", "message": "Avsnitt 8, Uppgiftslämnare, saknar datum och namn."}
    ]
    # Section 8 missing altogether is said so, even when a date and name were read elsewhere.
    assert [f.to_json() for f in _run(_fields(), section8=False)] == [
        {
            "code": "unsigned",
            "message": "Avsnitt 8, Uppgiftslämnare, saknas i rapporten.",
            "field": "8",
        }
    ]


def test_signature_section_named_by_number_only_when_the_form_has_no_title_for_it() -> None:
    """A form whose signature fields point at a section it does not describe still gets the
    unsigned finding, named by the number alone."""
    form = default_form()
    bare = dataclasses.replace(form, sections=tuple(s for s in form.sections if s.number != "8"))
    result = findings("slutrapport", _fields(submitter_name=None), _sections(), {}, bare, {"8"})
    assert [f.message for f in result] == ["Avsnitt 8, saknar namn."]


def test_a_form_without_a_signature_section_has_no_unsigned_finding() -> None:
    """The generic form (other funders) places its signature labels under no section: no
    unsigned finding, whatever was read."""
    generic = generic_form()
    fields = _fields(submitter_date=None, submitter_name=None)
    assert findings("slutrapport", fields, _sections(), {}, generic, set()) == []


def test_required_keys_expand_the_period() -> None:
    assert required_keys(default_form()) == [
        "title",
        "period_start",
        "period_end",
        "granted_sek",
        "spent_sek",
        "organisation",
        "contact_name",
        "contact_phone",
        "contact_email",
    ]


@pytest.mark.parametrize(("confidence", "says"), [(0.456, "46 %"), (0.0, "0 %"), (0.994, "99 %")])
def test_form_not_recognised_says_how_much_was_found(confidence: float, says: str) -> None:
    finding = not_recognised("slutrapport", confidence)
    assert finding.to_json() == {
        "code": "form_not_recognised",
        "message": f"Formuläret kändes inte igen (slutrapport, {says}); ingen komplettering "
        "begärs.",
    }


def test_registration_keeps_completion_findings_only_for_a_recognised_form() -> None:
    """Given a recognised form, every finding is registered as is; given a form that was not
    recognised, missing fields and an unsigned section give way, the rest is kept."""
    missing = {"code": "missing_field", "message": "m", "field": "title"}
    unsigned = {"code": "unsigned", "message": "u"}
    overspent = {"code": "overspent", "message": "o"}
    recognised = for_registration([missing, unsigned, overspent])
    assert recognised == [missing, unsigned, overspent]
    assert recognised[0] is not missing  # copies: the caller's findings are left alone
    unknown = not_recognised("generic", 0.3).to_json()
    kept = for_registration([missing, unknown, unsigned, overspent])
    assert kept == [unknown, overspent]


@pytest.mark.parametrize("placed", ["submitter_date", "submitter_name"])
def test_either_signature_field_places_the_signature_section(placed: str) -> None:
    """Given a form (an operator's own) where only one of the signature fields is placed under
    section 8, an empty section 8 is still reported as unsigned."""
    form = default_form()
    fields = tuple(
        f
        if f.key == placed or f.key not in ("submitter_date", "submitter_name")
        else dataclasses.replace(f, section="")
        for f in form.fields
    )
    one = dataclasses.replace(form, fields=fields)
    empty = _fields(submitter_date=None, submitter_name=None)
    result = findings("slutrapport", empty, _sections(), {}, one, {"8"})
    assert [f.message for f in result] == ["Avsnitt 8, Uppgiftslämnare, saknar datum och namn."]


def test_an_absent_signature_section_is_told_by_the_field_or_by_an_old_rows_message() -> None:
    """A stored unsigned finding says the section is absent when its field names the section;
    a row stored before findings named it says so only in its message."""
    from intake.extract.findings import signature_section_absent

    absent = _run(_fields(), section8=False)[0].to_json()
    assert signature_section_absent(absent, "8")
    assert not signature_section_absent(absent, "9")
    assert not signature_section_absent({**absent, "code": "missing_field"}, "8")
    blank = {"code": "unsigned", "message": "Avsnitt 8, Uppgiftslämnare, saknar namn."}
    assert not signature_section_absent(blank, "8")
    # The field decides when there is one, even if the message reads otherwise.
    assert not signature_section_absent({**blank, "field": None}, "8")
    assert not signature_section_absent({**absent, "field": "7"}, "8")
    old = {"code": "unsigned", "message": "Avsnitt 8, Uppgiftslämnare, saknas i rapporten."}
    assert signature_section_absent(old, "8")
    assert not signature_section_absent({"code": "unsigned"}, "8")

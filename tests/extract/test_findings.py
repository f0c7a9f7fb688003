"""The checks an officer wants flagged, on hand-made field sets."""

from __future__ import annotations

from typing import Any

from intake.extract.findings import findings
from intake.extract.form import FIELD_KEYS, SECTION_KEYS
from intake.extract.forms import default_form
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

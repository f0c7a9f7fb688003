"""The registrar's week through the real `casefile` commands, on a register intake filled."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Document, OutboxMail
from intake.outgoing.reminders import plan_reminders
from tests.staff.conftest import REPORTS, run


def numbers(config: str, *args: str) -> list[str]:
    code, out, err = run(config, "list", "--json", *args)
    assert code == 0, err
    return [d["diarienummer"] for d in json.loads(out)]


def test_intake_filled_the_register_as_described(config_file: str, filled: App) -> None:
    assert numbers(config_file) == [
        "SFG 26-01.02",
        "SFG 26-04.01",
        "SFG 26-03.01",
        "SFG 26-02.01",
        "SFG 26-01.01",
    ]


def test_list_fits_80_columns_and_says_when_cut(config_file: str, filled: App) -> None:
    """Given five documents, when listed with --limit 2 in 80 columns, then every line fits and
    the output says how many were left out; JSON stays a plain array."""
    code, out, _ = run(config_file, "list", "--limit", "2", columns=80)
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" in out  # the long organisation names are cut
    assert lines[-1] == "visar 2 av 5 — använd --limit 0 för alla"
    code, out, _ = run(config_file, "list", "--limit", "2", "--json")
    assert isinstance(json.loads(out), list) and len(json.loads(out)) == 2
    code, out, _ = run(config_file, "list", "--limit", "0", "--wide", columns=80)
    assert "visar" not in out and "Undertecknad" in out.splitlines()[0]
    code, piped, _ = run(config_file, "list")  # piped, no COLUMNS: nothing cut
    assert "…" not in piped and "Norrdala kommun, Individ- och familjeomsorgen" in piped


def test_list_filters_take_swedish_words(config_file: str, filled: App) -> None:
    assert numbers(config_file, "--status", "ofullständig") == ["SFG 26-02.01"]
    assert numbers(config_file, "--status", "incomplete") == ["SFG 26-02.01"]
    run(config_file, "cancel", "SFG 26-03.01", "--reason", "Skickad till fel förbund")
    assert numbers(config_file, "--status", "makulerad") == ["SFG 26-03.01"]
    assert numbers(config_file, "--until", "2026-02-04") == ["SFG 26-02.01", "SFG 26-01.01"]
    assert numbers(config_file, "--since", "2026-02-05", "--until", "2026-02-07") == [
        "SFG 26-04.01",
        "SFG 26-03.01",
    ]
    assert numbers(config_file, "--org", "västerå") == ["SFG 26-02.01"]
    assert numbers(config_file, "--kind", "delrapport") == ["SFG 26-04.01"]
    code, out, err = run(config_file, "list", "--status", "foo")
    assert code == 2 and out == ""
    assert "makulerad" in err and "ofullständig" in err
    assert numbers(config_file, "--kind", "Interim report") == ["SFG 26-04.01"]
    code, out, err = run(config_file, "list", "--kind", "lägesrapport")
    assert code == 2 and out == ""
    assert "slutrapport" in err and "ansökan" in err


def test_show_case_with_three_documents_and_a_note(
    config_file: str, filled: App, tmp_path: Path
) -> None:
    """Given a case with a report in two formats, when a paper letter is registered into it and
    a note and a due date are written, then show tells all of it in Swedish, in 80 columns."""
    letter = tmp_path / "brev.pdf"
    letter.write_bytes((REPORTS / "r10_unknown.pdf").read_bytes())
    code, out, err = run(
        config_file,
        "register",
        str(letter),
        "--from",
        "Exempelby kommun",
        "--received",
        "2026-02-10",
        "--case",
        "SFG 26-01",
        "--title",
        "Brev om revisionen",
    )
    assert code == 0, err
    assert "SFG 26-01.03" in out
    assert run(config_file, "note", "SFG 26-01", "Ringde Anna om underskriften")[0] == 0
    code, _, err = run(config_file, "due", "SFG 26-01", "2020-01-01")
    assert code == 1 and "--force" in err
    assert run(config_file, "due", "SFG 26-01", "2030-06-30")[0] == 0
    code, out, _ = run(config_file, "show", "SFG 26-01", columns=80)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80, out
    for text in (
        "SFG 26-01.03",
        "Ringde Anna om underskriften",
        "bevakningsdatum satt",
        "– → 2030-06-30",
        "satt av handläggare",
        "handling registrerad",
        "registrerad för hand",
        "insatsen ”Brev om revisionen” skiljer sig från ärendets ”Kärnhuset 2.0”",
    ):
        assert text in " ".join(out.split()), text
    assert "case_opened" not in out and "document_registered" not in out
    data = json.loads(run(config_file, "show", "SFG 26-01", "--json")[1])
    assert len(data["documents"]) == 3
    third = data["documents"][2]
    assert (third["channel"], third["direction"], third["registered_by"]) == ("post", "in", "AKH")
    assert third["received_date"] == "2026-02-10"
    # The letter came with no message, yet its archived file is listed like an attachment's
    digest = hashlib.sha256(letter.read_bytes()).hexdigest()
    assert third["files"] == [
        {
            "sha256": digest,
            "filename": "brev.pdf",
            "media_type": "application/pdf",
            "size": letter.stat().st_size,
        }
    ]
    assert all(doc["files"] for doc in data["documents"])
    code, out, err = run(config_file, "show", "SFG 26-01.05")
    assert code == 1 and "SFG 26-01.05" in err and out == ""


def test_show_gives_computed_due_date_and_its_source(config_file: str, filled: App) -> None:
    data = json.loads(run(config_file, "show", "SFG 26-04", "--json")[1])
    # Period ends 2026-12-31; 60 days later is 2027-03-01, a Monday.
    assert (data["effective_due_date"], data["due_source"]) == ("2027-03-01", "period")
    _code, out, _ = run(config_file, "show", "SFG 26-04")
    assert "2027-03-01 (beräknat: 60 dagar efter insatstidens slut)" in out
    assert "inga påminnelser" not in out  # a delrapport is not the final report
    _code, out, _ = run(config_file, "show", "SFG 26-03")
    assert "Slutrapporten har kommit in: inga påminnelser." in out


def test_overdue_lists_cases_due_without_a_final_report(config_file: str, filled: App) -> None:
    code, out, _ = run(config_file, "overdue", "--date", "2027-02-28", "--json")
    assert json.loads(out) == []
    code, out, _ = run(config_file, "overdue", "--date", "2027-03-02", "--json")
    (row,) = json.loads(out)
    assert (row["case"], row["due_date"], row["due_source"], row["days_overdue"]) == (
        "SFG 26-04",
        "2027-03-01",
        "period",
        1,
    )
    code, out, _ = run(config_file, "overdue", "--date", "2027-03-02", columns=80)
    assert code == 0 and "SFG 26-04" in out and "insatstid" in out


def test_close_stops_completion_requests_and_reminders(config_file: str, filled: App) -> None:
    """Given an incomplete report with a queued completion request, when its case is closed, then
    the request is stopped and no reminder run plans anything for it; reopen undoes it."""
    with filled.sessions() as s:
        queued = s.scalars(
            select(OutboxMail.kind).where(
                OutboxMail.kind == "komplettering", OutboxMail.state == "queued"
            )
        ).all()
    assert queued == ["komplettering"]
    code, out, _ = run(config_file, "close", "SFG 26-02", "--reason", "Insatsen avbröts")
    assert code == 0 and "1 köade utskick stoppades" in out
    with filled.sessions() as s:
        row = s.scalars(select(OutboxMail).where(OutboxMail.kind == "komplettering")).one()
        assert row.state == "suppressed" and "Insatsen avbröts" in (row.last_error or "")
        later = plan_reminders(s, filled.settings, dt.date(2027, 6, 1))
    assert "SFG 26-02" not in {p.case_number for p in later}
    assert "SFG 26-04" in {p.case_number for p in later}
    assert run(config_file, "close", "SFG 26-02")[0] == 1  # already closed
    data = json.loads(run(config_file, "show", "SFG 26-02", "--json")[1])
    assert data["status"] == "closed" and data["close_reason"] == "Insatsen avbröts"
    paper = REPORTS / "r10_unknown.pdf"
    code, _, err = run(
        config_file,
        "register",
        str(paper),
        "--from",
        "Västerå",
        "--received",
        "idag",
        "--case",
        "SFG 26-02",
        "--title",
        "Brev",
    )
    assert code == 1 and "casefile reopen" in err
    assert run(config_file, "reopen", "SFG 26-02", "--json")[0] == 0
    with filled.sessions() as s:
        later = plan_reminders(s, filled.settings, dt.date(2027, 6, 1))
    assert "SFG 26-02" in {p.case_number for p in later}


def test_correct_recomputes_findings_status_and_due_date(config_file: str, filled: App) -> None:
    ref = "SFG 26-02.01"
    before = json.loads(run(config_file, "show", ref, "--json")[1])["documents"][0]
    assert before["status"] == "incomplete"
    assert run(config_file, "correct", ref, "submitter_date", "2026-02-04")[0] == 0
    code, out, _ = run(config_file, "correct", ref, "submitter_name", "Per Holm")
    assert code == 0 and "undertecknare" in out
    after = json.loads(run(config_file, "show", ref, "--json")[1])
    doc = after["documents"][0]
    assert doc["status"] == "registered" and doc["submitter_signed"] is True
    assert "unsigned" not in {f["code"] for f in doc["findings"]}
    code, out, _ = run(config_file, "correct", ref, "period_end", "2026-09-30", "--json")
    assert json.loads(out)["old"] == "2025-08-31"
    after = json.loads(run(config_file, "show", ref, "--json")[1])
    assert after["effective_due_date"] == "2026-11-30" and after["due_source"] == "period"
    corrected = [e for e in after["events"] if e["action"] == "field_corrected"]
    assert corrected[-1]["detail"]["old"] == "2025-08-31"
    assert corrected[-1]["detail"]["new"] == "2026-09-30" and corrected[-1]["actor"] == "AKH"
    code, out, _ = run(config_file, "show", ref, columns=80)
    assert "slutdatum: 2025-08-31 → 2026-09-30" in out
    code, _, err = run(config_file, "correct", ref, "granted_sek", "mycket")
    assert code == 1 and err.startswith("fel: ")
    code, _, err = run(config_file, "correct", ref, "colour", "blå")
    assert code == 1 and "period_end" in err


def test_unsign_withdraws_the_signature_with_a_reason(config_file: str, filled: App) -> None:
    assert run(config_file, "sign", "SFG 26-03.01", "--by", "AKH")[0] == 0
    code, _, err = run(config_file, "unsign", "SFG 26-03.01")
    assert code == 2 and "--reason" in err
    assert run(config_file, "unsign", "SFG 26-03.01", "--reason", "Fel ärende")[0] == 0
    data = json.loads(run(config_file, "show", "SFG 26-03", "--json")[1])
    assert data["documents"][0]["signature"] is None
    (event,) = [e for e in data["events"] if e["action"] == "document_unsigned"]
    assert event["detail"] == {"previous": "AKH", "reason": "Fel ärende"}
    assert run(config_file, "unsign", "SFG 26-03.01", "--reason", "igen")[0] == 1


def test_secrecy_marking_suggested_for_a_personnummer(config_file: str, filled: App) -> None:
    ref = "SFG 26-03.01"
    run(config_file, "correct", ref, "contact_name", "Sara Lind 19121212-1212")
    code, out, _ = run(config_file, "show", ref, columns=80)
    assert f'casefile secrecy "{ref}"' in " ".join(out.split())
    code, out, _ = run(
        config_file, "secrecy", ref, "--provision", "OSL 21 kap. 1 §", "--public-title", "Rapport"
    )
    assert code == 0
    doc = json.loads(run(config_file, "show", ref, "--json")[1])["documents"][0]
    assert doc["secrecy"]["provision"] == "OSL 21 kap. 1 §"
    assert (doc["secrecy"]["public_title"], doc["secrecy"]["by"]) == ("Rapport", "AKH")
    code, out, _ = run(config_file, "show", ref, columns=80)
    assert "casefile secrecy" not in out and "sekretess OSL 21 kap. 1 §" in out


def test_inbox_mail_and_dismiss(config_file: str, filled: App, tmp_path: Path) -> None:
    code, out, _ = run(config_file, "inbox", "--json")
    (item,) = json.loads(out)
    assert item["subject"] == "Nyhetsbrev februari"
    code, out, _ = run(config_file, "inbox", columns=80)
    # 23:30 UTC on 5 February is 6 February in Stockholm.
    assert "2026-02-06" in out and "2026-02-05" not in out
    code, out, _ = run(config_file, "mail", str(item["id"]))
    assert code == 0
    assert "Ämne: Nyhetsbrev februari" in out and "seminarium om samverkan" in out
    assert "Bilagor: 0" in out
    with filled.sessions() as s:
        report_msg = s.scalars(select(Document.source_message_id).where(Document.id == 1)).one()
    code, out, _ = run(config_file, "mail", str(report_msg), "--save", str(tmp_path / "ut"))
    assert code == 0 and "slutrapport.docx" in out
    saved = tmp_path / "ut" / "slutrapport.docx"
    assert saved.read_bytes() == (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
    run(config_file, "mail", str(report_msg), "--save", str(tmp_path / "ut"))
    assert (tmp_path / "ut" / "slutrapport (2).docx").exists()  # never overwrites
    code, out, _ = run(config_file, "dismiss", str(item["id"]), "--reason", "Nyhetsbrev")
    assert code == 0
    assert json.loads(run(config_file, "inbox", "--json")[1]) == []
    every = json.loads(run(config_file, "inbox", "--all", "--json")[1])
    assert any(m["dismiss_reason"] == "Nyhetsbrev" for m in every)
    from intake.outgoing.digest import _quarantined

    with filled.sessions() as s:
        assert _quarantined(s, filled.settings) == []
    assert run(config_file, "dismiss", "9999", "--reason", "x")[0] == 1


def test_search_finds_titles_organisations_notes_and_report_text(
    config_file: str, filled: App
) -> None:
    code, out, _ = run(config_file, "search", "Kärnhuset", "--json")
    hits = json.loads(out)
    assert {h["case"] for h in hits} == {"SFG 26-01"}
    assert "[Kärnhuset]" in hits[0]["snippet"]
    assert {h["ref"] for h in json.loads(run(config_file, "search", "västerå", "--json")[1])} >= {
        "SFG 26-02.01"
    }
    assert json.loads(run(config_file, "search", "sara.lind", "--json")[1])[0]["case"] == (
        "SFG 26-03"
    )
    assert json.loads(run(config_file, "search", "zebrafink", "--json")[1]) == []
    run(config_file, "note", "SFG 26-04.01", "Zebrafinken i styrelsen frågade om budgeten")
    (hit,) = json.loads(run(config_file, "search", "zebrafink", "--json")[1])
    assert hit["ref"] == "SFG 26-04.01"
    code, out, _ = run(config_file, "search", "Kärnhuset", columns=80)
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 80


def test_register_by_hand_acknowledges_when_asked(
    config_file: str, filled: App, tmp_path: Path
) -> None:
    paper = tmp_path / "Steget vidare.docx"
    paper.write_bytes((REPORTS / "r03_right_sdt_overspent.docx").read_bytes())
    code, out, err = run(
        config_file,
        "register",
        str(paper),
        "--from",
        "Eva Ek <eva.ek@region.test>",
        "--received",
        "2026-02-11",
        "--channel",
        "hand",
        "--acknowledge",
        "--json",
    )
    assert code == 0, err
    (result,) = json.loads(out)
    assert result["diarienummer"] == "SFG 26-05.01" and result["title"] == "Steget Vidare"
    with filled.sessions() as s:
        kvittens = s.scalars(
            select(OutboxMail).where(OutboxMail.kind == "kvittens", OutboxMail.case_id == 5)
        ).one()
    assert kvittens.recipient == "eva.ek@region.test"
    code, _, err = run(
        config_file, "register", str(paper), "--from", "Eva", "--received", "igår", "--acknowledge"
    )
    assert code == 1 and "e-postadress" in err
    code, _, err = run(config_file, "register", str(paper), "--from", "Eva", "--received", "x")
    assert code == 2

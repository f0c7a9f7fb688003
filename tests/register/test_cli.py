"""The staff CLI, run through click's runner against a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli
from casefile.db.migrate import head_revision
from casefile.register import register_document
from tests.register.conftest import run
from tests.register.factories import new_report


@pytest.fixture
def two_cases(app: App) -> None:
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report(signed=False))
        register_document(s, app.settings, new_report(subject="SFG 26-01"))
        register_document(
            s, app.settings, new_report(title="Kärnhuset 2.0", organisation="Ovanåker")
        )


def test_init_twice_is_safe(config_file: str) -> None:
    code, out, _ = run(config_file, "init")
    assert code == 0 and "redan aktuell" in out
    code, out, _ = run(config_file, "init", "--json")
    assert code == 0 and json.loads(out)["after"] == head_revision()


def test_list_json_matches_the_spec(config_file: str, two_cases: None) -> None:
    code, out, _ = run(config_file, "list", "--json")
    assert code == 0
    docs = json.loads(out)
    assert [d["diarienummer"] for d in docs] == ["SFG 26-02.01", "SFG 26-01.02", "SFG 26-01.01"]
    required = {
        "diarienummer",
        "case",
        "received_date",
        "kind",
        "title",
        "organisation",
        "sender",
        "submitter_signed",
        "signature",
        "status",
        "findings",
    }
    assert required <= set(docs[0])
    assert docs[2]["case"] == "SFG 26-01"
    assert docs[2]["received_date"] == "2026-02-03"
    assert docs[2]["submitter_signed"] is False
    assert docs[2]["findings"][0]["code"] == "unsigned"


def test_list_filters(config_file: str, two_cases: None) -> None:
    def numbers(*args: str) -> list[str]:
        code, out, _ = run(config_file, "list", "--json", *args)
        assert code == 0
        return [d["diarienummer"] for d in json.loads(out)]

    assert numbers("--case", "SFG 26-02") == ["SFG 26-02.01"]
    assert numbers("--status", "completed") == ["SFG 26-01.01"]
    assert numbers("--since", "2026-02-04") == []
    assert numbers("--limit", "1") == ["SFG 26-02.01"]
    run(config_file, "sign", "SFG 26-02.01", "--by", "AKH")
    assert numbers("--unsigned") == ["SFG 26-01.02", "SFG 26-01.01"]


def test_show_json_and_sign_in_event_log(config_file: str, two_cases: None) -> None:
    code, out, _ = run(config_file, "sign", "SFG 26-01.02", "--by", "akh")
    assert code == 0 and "signerat av AKH" in out
    code, out, _ = run(config_file, "show", "SFG 26-01.02", "--json")
    assert code == 0
    case = json.loads(out)
    assert case["case"] == "SFG 26-01"
    assert (case["title"], case["organisation"], case["status"]) == (
        "SAFE",
        "Bollnäs kommun",
        "open",
    )
    assert [d["signature"] for d in case["documents"]] == [None, "AKH"]
    signed = [e for e in case["events"] if e["action"] == "document_signed"]
    assert signed and signed[0]["actor"] == "AKH" and signed[0]["document"] == "SFG 26-01.02"


def test_human_output_has_swedish_headers(config_file: str, two_cases: None) -> None:
    code, out, _ = run(config_file, "list")
    assert code == 0
    assert out.splitlines()[0].split()[:2] == ["Diarienummer", "Ankomstdatum"]
    assert "SFG 26-01.01" in out and "kompletterad" in out
    code, out, _ = run(config_file, "show", "SFG 26-01")
    assert code == 0 and "Ärende SFG 26-01: SAFE" in out and "Händelser" in out


def test_cancel_note_due(config_file: str, two_cases: None) -> None:
    assert run(config_file, "cancel", "SFG 26-02.01", "--reason", "Dubblett", "--by", "AKH")[0] == 0
    assert run(config_file, "note", "SFG 26-01", "Ringt om underskrift", "--by", "AKH")[0] == 0
    assert run(config_file, "due", "SFG 26-01", "2026-12-31", "--by", "AKH")[0] == 0
    case = json.loads(run(config_file, "show", "SFG 26-02", "--json")[1])
    assert case["documents"][0]["status"] == "cancelled"
    assert case["documents"][0]["cancel_reason"] == "Dubblett"
    first = json.loads(run(config_file, "show", "SFG 26-01", "--json")[1])
    assert first["due_date"] == "2026-12-31"
    notes = [e for e in first["events"] if e["action"] == "note"]
    assert notes[0]["detail"]["text"] == "Ringt om underskrift"


@pytest.mark.parametrize(
    "args",
    [
        ["show", "SFG 26-99"],
        ["sign", "SFG 26-77.01", "--by", "AKH"],
        ["cancel", "SFG 26-01.01", "--reason", " "],
    ],
)
def test_errors_are_one_line_exit_1(config_file: str, two_cases: None, args: list[str]) -> None:
    code, out, err = run(config_file, *args)
    assert code == 1
    assert out == ""
    assert err.startswith("fel: ") and len(err.strip().splitlines()) == 1


def test_acts_print_json_when_asked(config_file: str, two_cases: None) -> None:
    code, out, _ = run(config_file, "due", "SFG 26-01", "2026-12-31", "--by", "AKH", "--json")
    assert code == 0 and json.loads(out) == {"case": "SFG 26-01", "due_date": "2026-12-31"}
    code, out, _ = run(
        config_file, "cancel", "SFG 26-02.01", "--reason", "Fel", "--by", "AKH", "--json"
    )
    assert json.loads(out)["status"] == "cancelled"
    code, out, _ = run(config_file, "note", "SFG 26-01.01", "Hej", "--by", "AKH", "--json")
    assert json.loads(out) == {"ref": "SFG 26-01.01", "note": "Hej", "by": "AKH"}


def test_usage_error_exit_2(config_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEFILE_USER", raising=False)
    assert run(config_file, "sign", "SFG 26-01.01")[0] == 2
    assert run(config_file, "due", "SFG 26-01", "31/12")[0] == 2
    assert run(config_file, "show", "nonsense")[0] == 2
    assert run(config_file, "sign", "SFG 26-01.01", "--by", "A K")[0] == 2


def test_bad_config_names_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[registry]\nprefx = "SFG"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "list"])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"fel: {bad}: registry.prefx: okänd nyckel"
    bad.write_text('[registry]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "list"])
    assert "registry.timezone" in result.stderr and result.exit_code == 1


def test_config_from_environment(config_file: str, two_cases: None) -> None:
    result = CliRunner().invoke(cli, ["list", "--json"], env={"CASEFILE_CONFIG": config_file})
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 3

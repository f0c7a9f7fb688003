"""The shared options and parameter types, through the CLI runner: --by, dates, references,
state words, and text from senders made safe for a terminal."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli
from casefile.cli_support import QUOTE_HINT, render_table, safe_text
from casefile.db.models import SourceMessage
from casefile.register import register_document
from tests.register.factories import new_report
from tests.support.toml import write_config


@pytest.fixture
def config(app: App, tmp_path: Path) -> str:
    s = app.settings
    path = write_config(
        tmp_path / "casefile.toml",
        {"database": {"url": s.database.url}, "storage": {"path": s.storage.path}},
    )
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report(signed=False))
        register_document(s, app.settings, new_report(title="Kärnhuset", organisation="Ovanåker"))
    return str(path)


def run(config: str, *args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", config, *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def events(config: str, ref: str, action: str) -> list[dict[str, object]]:
    case = json.loads(run(config, "show", ref, "--json")[1])
    return [e for e in case["events"] if e["action"] == action]


# --- --by ---------------------------------------------------------------------------------


def test_by_defaults_to_casefile_user(config: str) -> None:
    code, out, _ = run(config, "note", "SFG 26-01", "Ringt", "--json", env={"CASEFILE_USER": "akh"})
    assert code == 0 and json.loads(out)["by"] == "AKH"
    assert events(config, "SFG 26-01", "note")[0]["actor"] == "AKH"


def test_sign_takes_casefile_user_without_by(config: str) -> None:
    code, out, _ = run(config, "sign", "SFG 26-01.01", env={"CASEFILE_USER": "LK2"})
    assert code == 0 and "signerat av LK2" in out


def test_sign_without_by_or_casefile_user_is_a_usage_error(config: str) -> None:
    code, out, err = run(config, "sign", "SFG 26-01.01", env={"CASEFILE_USER": None})
    assert code == 2 and out == "" and "CASEFILE_USER" in err


@pytest.mark.parametrize("by", ["AKH\nfalsk rad", "A K H", "", "NIOTECKEN", "a.b", "\x1b[31mX"])
def test_by_accepts_initials_only(config: str, by: str) -> None:
    code, out, err = run(config, "note", "SFG 26-01", "Hej", "--by", by)
    assert code == 2 and out == "" and "--by" in err
    assert events(config, "SFG 26-01", "note") == []


def test_bad_casefile_user_is_a_usage_error(config: str) -> None:
    code, _, err = run(config, "cancel", "SFG 26-02.01", "--reason", "Fel",
                       env={"CASEFILE_USER": "anna karlsson"})  # fmt: skip
    assert code == 2 and "CASEFILE_USER" in err


@pytest.mark.parametrize("by", ["A", "AKH", "ÅÄÖ", "AB12CD34"])
def test_one_to_eight_letters_and_digits_sign(config: str, by: str) -> None:
    code, out, _ = run(config, "sign", "SFG 26-01.01", "--by", by.lower())
    assert code == 0 and f"signerat av {by}" in out


# --- DATE ---------------------------------------------------------------------------------


def test_due_accepts_idag_and_igar(config: str) -> None:
    today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()
    code, out, _ = run(config, "due", "SFG 26-01", "idag", "--by", "AKH", "--json")
    assert code == 0 and json.loads(out)["due_date"] == today.isoformat()
    # A date already past is taken only with --force (casefile due asks for it).
    code, out, _ = run(config, "due", "SFG 26-01", "igår", "--by", "AKH", "--force", "--json")
    assert json.loads(out)["due_date"] == (today - dt.timedelta(days=1)).isoformat()


def test_bad_date_is_a_usage_error_naming_the_forms(config: str) -> None:
    code, _, err = run(config, "list", "--since", "31/12")
    assert code == 2 and "ÅÅÅÅ-MM-DD" in err and "idag" in err


# --- REF ----------------------------------------------------------------------------------


def test_unquoted_reference_hints_at_quotes(config: str) -> None:
    # Given a number typed without quotes: the shell splits it in two
    code, out, err = run(config, "show", "SFG", "26-01")
    assert code == 2 and out == "" and QUOTE_HINT in err


def test_extra_argument_after_a_reference_hints_at_quotes(config: str) -> None:
    code, _, err = run(config, "show", "SFG 26-01", "26-02")
    assert code == 2 and "Oväntat extra argument" in err and QUOTE_HINT in err


def test_reference_option_is_checked(config: str) -> None:
    code, _, err = run(config, "list", "--case", "26-01")
    assert code == 2 and QUOTE_HINT in err


# --- State words --------------------------------------------------------------------------


def test_status_filter_takes_the_swedish_word(config: str) -> None:
    assert run(config, "cancel", "SFG 26-02.01", "--reason", "Fel", "--by", "AKH")[0] == 0
    by_word = json.loads(run(config, "list", "--json", "--status", "makulerad")[1])
    by_code = json.loads(run(config, "list", "--json", "--status", "cancelled")[1])
    assert (
        [d["diarienummer"] for d in by_word]
        == ["SFG 26-02.01"]
        == [d["diarienummer"] for d in by_code]
    )


def test_unknown_status_lists_the_valid_values(config: str) -> None:
    code, _, err = run(config, "list", "--status", "borta")
    assert code == 2 and "makulerad" in err and "registered" in err


def test_human_output_shows_swedish_labels(config: str) -> None:
    code, out, _ = run(config, "show", "SFG 26-01", env={"CASEFILE_LANG": None})
    assert code == 0 and "öppet" in out and "ärende upprättat" in out
    assert "case_opened" not in out


# --- Safe text ----------------------------------------------------------------------------


def test_safe_text_removes_escapes_and_controls() -> None:
    assert safe_text("a\x1b[2J\x1b]0;titel\x07b") == "a\ufffd\ufffdb"
    assert safe_text("rad1\nrad2\tx") == "rad1 rad2 x"
    assert safe_text("x\x00\x9b\u202ey") == "x\ufffd\ufffd\ufffdy"
    assert safe_text("Åsa Öberg – SFG 26-01") == "Åsa Öberg – SFG 26-01"


def test_every_table_cell_is_safe() -> None:
    table = render_table(["A\x1b[1m", "B"], [["\x1b[2Jx", "y\nz"]])
    assert "\x1b" not in table and "\n" not in table.splitlines()[2]
    assert len(table.splitlines()) == 3


def test_inbox_shows_a_hostile_subject_harmlessly(app: App, config: str) -> None:
    # Given a message whose subject and sender carry terminal escape sequences
    with app.sessions() as s, s.begin():
        s.add(
            SourceMessage(
                mailbox="kontakt", folder="INBOX", uidvalidity=1, uid=1, raw_sha256="0" * 64,
                internal_date=dt.datetime(2026, 2, 3, tzinfo=dt.UTC),
                sender="\x1b]0;hacked\x07evil@x.test", subject="Hej\x1b[2J\x1b[Hdolt\rrad",
                state="no_report", reason="ingen rapport bifogad",
            )
        )  # fmt: skip
    # When staff look at the inbox
    code, out, _ = run(config, "inbox")
    # Then no escape or carriage return reaches the terminal
    assert code == 0 and "\x1b" not in out and "\r" not in out
    assert "ingen rapport" in out


def test_inbox_shows_an_unknown_state_by_its_code(app: App, config: str) -> None:
    # Given a message in a state a newer version wrote
    with app.sessions() as s, s.begin():
        s.add(
            SourceMessage(
                mailbox="kontakt", folder="INBOX", uidvalidity=1, uid=2, raw_sha256="1" * 64,
                internal_date=dt.datetime(2026, 2, 4, tzinfo=dt.UTC), sender="a@b.test",
                subject="Hej", state="framtida",
            )
        )  # fmt: skip
    code, out, err = run(config, "inbox", "--all")
    assert code == 0, err
    assert "framtida" in out

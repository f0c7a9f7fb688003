"""Swedish for people: click's frames, Swedish command and field names, labels instead of codes,
plural agreement, --config on either side of the command, and a quiet end on a closed pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli
from casefile.i18n import CLICK_SV, count
from casefile.register import CORRECTABLE, register_document
from casefile.states import FIELD_LABELS, field_code
from intake.cli import cli as intake_cli
from tests.register.factories import new_report
from tests.support.toml import write_config


@pytest.fixture
def config(app: App, tmp_path: Path) -> str:
    s = app.settings
    path = write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": s.database.url},
            "storage": {"path": s.storage.path},
            "smtp": {"transport": "folder", "folder": str(tmp_path / "ut")},
        },
    )
    with app.sessions() as session, session.begin():
        for n in range(30):
            register_document(session, s, new_report(title=f"Insats {n}", organisation="X"))
    return str(path)


def run(*args: str, group: object = cli, lang: str | None = None) -> tuple[int, str, str]:
    env = {"CASEFILE_LANG": lang, "CASEFILE_USER": "AKH", "COLUMNS": "80"}
    name = "casefile" if group is cli else "intake"
    result = CliRunner().invoke(group, list(args), env=env, prog_name=name)  # type: ignore[arg-type]
    return result.exit_code, result.stdout, result.stderr


# --- click's frames -----------------------------------------------------------------------


def test_usage_error_is_swedish_and_english_under_casefile_lang_en() -> None:
    code, _, err = run("list", "--limit", "sju")
    assert code == 2
    assert err.splitlines()[0] == "Användning: casefile list [FLAGGOR]"
    assert "Skriv 'casefile list --help' för hjälp." in err
    assert "Fel: Ogiltigt värde för '--limit': 'sju' är inget heltal." in err
    code, _, err = run("list", "--limit", "sju", lang="en")
    assert code == 2 and err.startswith("Usage: casefile list [OPTIONS]")
    assert "Error: Invalid value for '--limit'" in err


def test_missing_option_and_help_page_are_swedish() -> None:
    code, _, err = run("cancel", "SFG 26-01.01")
    assert code == 2 and "Fel: Flagga saknas: '--reason'." in err
    code, out, _ = run("list", "--help")
    assert code == 0
    assert "Flaggor:" in out and "Visa den här hjälpen och avsluta." in out
    assert "[standard: 50" in out and "Options" not in out and "default" not in out


def test_every_swedish_click_message_keeps_clicks_placeholders() -> None:
    """A translation that named a placeholder click does not pass would fail when shown."""
    import string

    for msgid, swedish in CLICK_SV.items():
        given = {name for _, name, _, _ in string.Formatter().parse(msgid) if name}
        used = {name for _, name, _, _ in string.Formatter().parse(swedish) if name}
        assert used <= given, msgid


# --- --config before or after the command ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--json", "--limit", "1"],
        ["show", "SFG 26-01", "--json"],  # REF is read with the configuration's format
        ["overdue", "--json"],
    ],
)
def test_config_after_the_command_name_is_the_same_as_before(config: str, args: list[str]) -> None:
    before = run("--config", config, *args)
    after = run(*args, "--config", config)
    assert before[0] == 0 and before == after


def test_intake_takes_config_after_the_command_name(config: str) -> None:
    code, out, err = run("status", "--json", "--config", config, group=intake_cli)
    assert "No such option" not in err and "finns inte" not in err
    assert code in (0, 1) and "mailboxes" in json.loads(out)
    code, _, err = run("check", "--config", config, group=intake_cli)
    assert code != 2, err


# --- Swedish names ------------------------------------------------------------------------


def test_ratta_with_a_swedish_field_name_and_labels_in_the_history(config: str) -> None:
    code, out, err = run("--config", config, "rätta", "SFG 26-01.01", "beviljat", "120000")
    assert code == 0, err
    assert out.startswith("SFG 26-01.01: beviljat – → 120000")
    code, out, err = run("--config", config, "rätta", "SFG 26-01.01", "typ", "okänd")
    assert code == 0, err
    assert "typ slutrapport → okänd" in out and "unknown" not in out
    code, out, _ = run("--config", config, "visa", "SFG 26-01")
    assert "beviljat: – → 120000" in out and "typ: slutrapport → okänd" in out
    data = json.loads(run("--config", config, "show", "SFG 26-01", "--json")[1])
    fields = [e["detail"]["field"] for e in data["events"] if e["action"] == "field_corrected"]
    assert fields == ["granted_sek", "kind"]  # stored as codes


def test_an_unknown_field_lists_the_swedish_names(config: str) -> None:
    code, _, err = run("--config", config, "correct", "SFG 26-01.01", "färg", "blå")
    assert code == 1 and "beviljat (granted_sek)" in err


def test_every_correctable_field_has_a_swedish_name() -> None:
    # received_date (ankomstdatum) is corrected on its own, with a reason (issue 24)
    assert set(FIELD_LABELS) == {*CORRECTABLE, "received_date"}
    for code, (sv, en) in FIELD_LABELS.items():
        assert field_code(code) == field_code(sv) == field_code(en.upper()) == code


def test_swedish_command_names_are_listed_in_help() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "correct, rätta" in out and "list, lista" in out and "show, visa" in out


# --- Agreement and pipes ------------------------------------------------------------------


def test_count_agrees_with_the_number() -> None:
    assert count(1, "ärende försenat", "ärenden försenade") == "1 ärende försenat"
    assert count(2, "ärende försenat", "ärenden försenade") == "2 ärenden försenade"
    assert count(0, "fil", "filer") == "0 filer"


def test_a_closed_pipe_ends_quietly(config: str) -> None:
    # Given a reader that has already gone (`casefile list | head -1` after head exited)
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    program = [sys.executable, "-c", "from casefile.cli import main; main()"]
    child = subprocess.run(
        [*program, "--config", config, "list", "--limit", "0"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        env=env,
        check=False,
    )
    os.close(write_end)
    # Then nothing is said about it: no "fel: Broken pipe", no traceback
    assert child.stderr.decode() == ""
    assert child.returncode == 1  # click's exit for a closed pipe: the listing did not finish

"""Every failure of a command is one `fel: …` line (exit 1) or a usage error (exit 2), never a
traceback: databases that are missing, unreachable or not initialised, broken configuration
files, absurd numbers and undecodable arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli
from casefile.register import register_document
from intake.cli import cli as intake_cli
from tests.register.factories import new_report
from tests.support import toml


def run(
    *args: str, group: object = cli, env: dict[str, str | None] | None = None
) -> tuple[int, str, str]:
    result = CliRunner().invoke(group, list(args), env=env)  # type: ignore[arg-type]
    return result.exit_code, result.stdout, result.stderr


def one_line_failure(code: int, out: str, err: str, prefix: str = "fel: ") -> str:
    assert code == 1, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), err
    assert "Traceback" not in err
    return lines[0]


def write_config(tmp_path: Path, url: str) -> str:
    data = {"database": {"url": url}, "storage": {"path": str(tmp_path / "archive")}}
    return str(toml.write_config(tmp_path / "casefile.toml", data))


def test_list_before_init_says_to_run_init(db_url: str, tmp_path: Path) -> None:
    # Given a database that exists but was never initialised
    config = write_config(tmp_path, db_url)
    # When staff list the register
    line = one_line_failure(*run("--config", config, "list"))
    # Then they are told what to do
    assert "casefile init" in line


def test_database_behind_the_program_says_to_run_init(db_url: str, tmp_path: Path) -> None:
    # Given a register left at the schema before the program's newest (an upgrade without init)
    from alembic import command

    from casefile.db.migrate import alembic_config

    config = write_config(tmp_path, db_url)
    command.upgrade(alembic_config(db_url), "0007")
    # When staff look at the inbox (its query names a column the old schema lacks)
    line = one_line_failure(*run("--config", config, "inbox"))
    # Then they are told to upgrade the database, not shown a bare database error
    assert "äldre version" in line and "casefile init" in line


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    # Given a PostgreSQL URL where nothing listens (port 9 on loopback: discard, closed)
    config = write_config(tmp_path, "postgresql+psycopg2://casefile:hemligt@127.0.0.1:9/x")
    for command in ("list", "init"):  # init runs before every service start
        line = one_line_failure(*run("--config", config, command))
        assert line.startswith("fel: kan inte nå databasen: ")
        assert "hemligt" not in line


def test_missing_sqlite_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    # Given a database path under a file (its folder cannot be created)
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    config = write_config(tmp_path, f"sqlite:///{blocker}/sub/casefile.db")
    one_line_failure(*run("--config", config, "init"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nonsense", "database.url"),
        ("nosuchdb://x/y", "database.url"),
        ("postgresql://u:hemligt@h:notaport/db", "database.url"),
    ],
)
def test_bad_database_url_names_the_key(tmp_path: Path, url: str, expected: str) -> None:
    config = write_config(tmp_path, url)
    line = one_line_failure(*run("--config", config, "list"))
    assert expected in line and "hemligt" not in line


def test_a_psycopg3_url_says_which_url_to_write(tmp_path: Path) -> None:
    # Given a configuration from before the driver became psycopg2 (psycopg 3 is not installed)
    config = write_config(tmp_path, "postgresql+psycopg://casefile@127.0.0.1/casefile")
    # When staff run any command
    line = one_line_failure(*run("--config", config, "list"))
    # Then the one line names the key and the URL to write instead
    assert "database.url" in line and "postgresql://" in line


def test_config_that_is_a_folder(tmp_path: Path) -> None:
    line = one_line_failure(*run("--config", str(tmp_path), "list"))
    assert line == f"fel: {tmp_path}: är en mapp, inte en konfigurationsfil"


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('[registry]\noffice_name = "Samordningsförbundet"\n'.encode("latin-1"))
    line = one_line_failure(*run("--config", str(bad), "list"))
    assert "UTF-8" in line and str(bad) in line


def broken_config(tmp_path: Path) -> str:
    """A file that says registry.language = "en" and has a number written as a word."""
    return str(
        toml.write_config(
            tmp_path / "casefile.toml",
            {"registry": {"language": "en"}, "limits": {"max_pdf_pages": "många"}},
        )
    )


def test_configuration_errors_are_swedish_by_default(tmp_path: Path) -> None:
    # Given no CASEFILE_LANG, and a file whose own registry.language (en) is not read yet
    config = broken_config(tmp_path)
    # When staff run a command with it, or with a file that is not there
    bad = one_line_failure(*run("--config", config, "list", env={"CASEFILE_LANG": None}))
    gone = str(tmp_path / "saknas.toml")
    missing = one_line_failure(*run("--config", gone, "list", env={"CASEFILE_LANG": None}))
    # Then the problem is in Swedish; the file and the key stay as written
    assert bad == f"fel: {config}: limits.max_pdf_pages: ska vara ett heltal, inte 'många'"
    assert missing == f"fel: {gone}: konfigurationsfilen finns inte"


def test_configuration_errors_are_english_with_casefile_lang_en(tmp_path: Path) -> None:
    # Given CASEFILE_LANG=en
    config = broken_config(tmp_path)
    gone = str(tmp_path / "saknas.toml")
    # When staff run a command with a broken file, or with a file that is not there
    english = {"CASEFILE_LANG": "en"}
    bad = one_line_failure(*run("--config", config, "list", env=english), prefix="error: ")
    missing = one_line_failure(*run("--config", gone, "list", env=english), prefix="error: ")
    # Then the problem is in English, in the same one-line form, and so is its prefix
    assert bad == f"error: {config}: limits.max_pdf_pages: must be a whole number, not 'många'"
    assert missing == f"error: {gone}: configuration file not found"


def test_huge_limit_is_a_usage_error(app: App, tmp_path: Path) -> None:
    config = write_config(tmp_path, app.settings.database.url)
    code, out, err = run("--config", config, "list", "--limit", "99999999999999999999")
    assert code == 2 and out == "" and "--limit" in err and "Traceback" not in err


def test_huge_source_message_id_is_a_usage_error(app: App, tmp_path: Path) -> None:
    config = write_config(tmp_path, app.settings.database.url)
    code, _, err = run("--config", config, "retry", "99999999999999999999", group=intake_cli)
    assert code == 2 and "Traceback" not in err


def test_non_utf8_argument_is_a_usage_error(app: App, tmp_path: Path) -> None:
    # Given an argument with bytes that are not UTF-8 (Python hands them over as surrogates)
    config = write_config(tmp_path, app.settings.database.url)
    code, out, err = run("--config", config, "note", "SFG 26-01", "R\udce4ttelse")
    assert code == 2 and out == ""
    assert "UTF-8" in err and "Traceback" not in err


def test_intake_status_before_init_is_one_line(db_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, db_url)
    line = one_line_failure(*run("--config", config, "status", group=intake_cli))
    assert "casefile init" in line


def test_intake_check_with_a_url_no_driver_opens_is_one_failed_check(tmp_path: Path) -> None:
    # Given a database URL that parses but names no installed driver
    config = write_config(tmp_path, "nosuchdb://x/y")
    # When the operator runs intake check
    code, out, err = run("--config", config, "check", group=intake_cli, env={"CASEFILE_LANG": None})
    # Then it is the one failed configuration check, in Swedish, not an error beside the checks
    assert code == 1 and err == ""
    assert out.startswith(f"✗ konfiguration: {config}: database.url: databasen nosuchdb stöds inte")
    assert len(out.strip().splitlines()) == 1


def test_init_then_list_works(db_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, db_url)
    assert run("--config", config, "init")[0] == 0
    code, out, _ = run("--config", config, "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_read_only_database_is_one_line(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_kind: str
) -> None:
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report())
    if db_kind != "sqlite":
        # PostgreSQL: a read-only role; the same error path (a DBAPIError) as SQLite's.
        app.engine.dispose()
        monkeypatch.setenv("PGOPTIONS", "-c default_transaction_read_only=on")
        url = app.settings.database.url
    else:
        # Given an initialised SQLite database opened read-only
        monkeypatch.chdir(tmp_path)
        url = f"sqlite:///file:{app.settings.database.url.removeprefix('sqlite:///')}"
        url += "?mode=ro&uri=true"
    config = write_config(tmp_path, url)
    # When staff write to it
    line = one_line_failure(*run("--config", config, "due", "SFG 26-01", "2026-12-31"))
    # Then they read why, in one line
    assert "databas" in line and "read" in line

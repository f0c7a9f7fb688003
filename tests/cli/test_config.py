"""Operator details of the configuration: where a relative SQLite database lives, the database
password from the environment, number formats that stay unique, the configured language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from casefile.app import App
from casefile.cli import cli
from casefile.config import ConfigError, load_settings
from tests.support.postgres import create_database, drop_database


def run(*args: str, env: dict[str, str | None] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_relative_sqlite_url_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a configuration in etc/ naming a relative SQLite path, run from another folder
    config = write(tmp_path / "etc" / "casefile.toml", '[database]\nurl = "sqlite:///db/reg.db"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # When the database is created
    code, _, err = run("--config", config, "init")
    # Then it lies beside the configuration, and nothing appears in the working folder
    assert code == 0, err
    assert (tmp_path / "etc" / "db" / "reg.db").is_file()
    assert list(elsewhere.iterdir()) == []


def test_absolute_sqlite_url_is_kept(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", f'[database]\nurl = "sqlite:///{tmp_path}/abs.db"\n')
    assert load_settings(config).database.url == f"sqlite:///{tmp_path}/abs.db"


def test_database_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, url = create_database()
    try:
        config = write(
            tmp_path / "c.toml",
            f'[database]\nurl = "{url}"\npassword_env = "CASEFILE_DB_PASSWORD"\n'
            f'[storage]\npath = "{tmp_path}/archive"\n',
        )
        monkeypatch.setenv("CASEFILE_DB_PASSWORD", "s3cr@t/ord")
        # The password goes into the URL (quoted), and never onto the screen
        assert make_url(load_settings(config).database.url).password == "s3cr@t/ord"
        code, out, err = run("--config", config, "init", "--json")
        assert code == 0, err
        assert "s3cr" not in out and json.loads(out)["after"]
        # Without the variable: one line naming the key and the variable
        monkeypatch.delenv("CASEFILE_DB_PASSWORD")
        code, _, err = run("--config", config, "list")
        assert code == 1
        assert err.strip() == (
            f"fel: {config}: database.password_env: miljövariabeln "
            "CASEFILE_DB_PASSWORD är inte satt"
        )
    finally:
        drop_database(name)


def test_password_env_with_sqlite_is_refused(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[database]\nurl = "sqlite:///x.db"\npassword_env = "X"\n')
    with pytest.raises(ConfigError, match=r"database\.password_env"):
        load_settings(config)


def test_a_password_both_in_the_url_and_from_the_environment_is_refused(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.toml",
        '[database]\nurl = "postgresql://u:pw@h/db"\npassword_env = "CASEFILE_DB_PASSWORD"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value) == (
        f"{config}: database.password_env: URL:en har redan ett lösenord; "
        "ange det bara på ett ställe"
    )


@pytest.mark.parametrize(
    ("key", "fmt", "problem"),
    [
        ("case_format", "{prefix}-{case:03d}", "måste innehålla {yy} eller {yyyy}"),
        ("number_format", "{prefix}-{case:03d}.{doc:02d}", "måste innehålla {yy} eller {yyyy}"),
        ("number_format", "{prefix} {yy}-{case:02d}", "måste innehålla {doc}"),
        ("case_format", "{prefix} {yy}-{case:02d}.{doc}", "får inte innehålla {doc}"),
        ("case_format", "{prefix} {yy}-{serial}", "okänt fält {serial}"),
        ("case_format", "{prefix} {yy}-{case", "inget giltigt format"),
    ],
)
def test_number_formats_must_stay_unique(tmp_path: Path, key: str, fmt: str, problem: str) -> None:
    # Given a format whose numbers would repeat next year (or that cannot be read)
    config = write(tmp_path / "c.toml", f'[registry]\n{key} = "{fmt}"\n')
    # When any command loads it
    code, out, err = run("--config", config, "list")
    # Then one line names the file, the key and the problem
    assert code == 1 and out == ""
    assert err.startswith(f"fel: {config}: registry.{key}: ") and problem in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("address", ["studs@bollnäs.test", "studs", "studs @x.test"])
def test_envelope_from_must_be_an_ascii_address(tmp_path: Path, address: str) -> None:
    # Given a bounce address smtplib cannot put in MAIL FROM
    config = write(tmp_path / "c.toml", f'[mail]\nenvelope_from = "{address}"\n')
    # When any command loads it
    code, out, err = run("--config", config, "list")
    # Then it is refused at start, in one line naming the key, not found while sending
    assert code == 1 and out == ""
    assert err.startswith(f"fel: {config}: mail.envelope_from: ska vara en e-postadress i ASCII")
    assert len(err.strip().splitlines()) == 1


def test_an_ascii_envelope_from_is_taken(tmp_path: Path) -> None:
    from casefile.config import load_settings

    config = write(tmp_path / "c.toml", '[mail]\nenvelope_from = "studs@xn--bollns-cua.test"\n')
    assert load_settings(config).mail.envelope_from == "studs@xn--bollns-cua.test"


def test_registry_language_is_the_default_output_language(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("casefile.i18n._default", "sv")  # restored after the test
    config = write(
        tmp_path / "c.toml",
        f'[database]\nurl = "{app.settings.database.url}"\n[registry]\nlanguage = "en"\n',
    )
    code, out, _ = run("--config", config, "list", env={"CASEFILE_LANG": None})
    assert code == 0 and out.strip() == "no documents"
    # CASEFILE_LANG still wins for one person's terminal
    code, out, _ = run("--config", config, "list", env={"CASEFILE_LANG": "sv"})
    assert out.strip() == "inga dokument"


def test_every_configuration_problem_has_the_same_fields_in_both_languages() -> None:
    # Given the table of configuration problems (Swedish, English)
    import string

    from casefile.config import _PROBLEMS

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    # Then each English text fills the same named fields as its Swedish one, so neither
    # language can fail to format (or lose a detail) where the other works
    for sv, en in _PROBLEMS.values():
        assert fields(sv) == fields(en), (sv, en)
        assert sv != en

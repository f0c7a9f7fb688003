"""The commands' own words in the output's language: every help text (a command's page, its
line in the group's list, every option's help) and every placeholder has its English, the
one-line error's prefix is `error:` in English, and `intake check` and `intake status` label
their lines in English under CASEFILE_LANG=en. Swedish stays the default."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli
from casefile.help_en import ENGLISH, generated_english, paragraphs
from casefile.i18n import METAVARS, NEUTRAL_METAVARS
from intake.check_result import label
from intake.cli import cli as intake_cli
from tests.cli.test_terminal import command_paths
from tests.support.toml import write_config


def run(*args: str, group: click.Group = cli, lang: str = "sv") -> tuple[int, str, str]:
    env = {"CASEFILE_LANG": lang, "CASEFILE_USER": "AKH", "COLUMNS": "80"}
    name = "casefile" if group is cli else "intake"
    result = CliRunner().invoke(group, list(args), env=env, prog_name=name)
    return result.exit_code, result.stdout, result.stderr


def every_parameter() -> list[tuple[str, click.Command, click.Parameter, click.Context]]:
    """(where, command, parameter, context) of every parameter of both programs, the --config
    accepted after a command's name included, the help option left out (click's words)."""
    found = []
    for program, path, command in command_paths():
        parent = click.Context(cli if program == "casefile" else intake_cli, info_name=program)
        ctx = click.Context(command, parent=parent if path else None, info_name=program)
        help_option = command.get_help_option(ctx)
        for param in command.get_params(ctx):
            if param is not help_option:
                found.append((f"{program} {' '.join(path)} {param.name}", command, param, ctx))
    return found


def swedish_help_texts() -> dict[str, str]:
    """Every paragraph of help of both programs, as written, with where it is."""
    texts: dict[str, str] = {}
    for program, path, command in command_paths():
        where = f"{program} {' '.join(path)}".strip()
        for text in (command.help, command.short_help):
            for paragraph in paragraphs(text or ""):
                texts.setdefault(paragraph, where)
    for where, _command, param, _ctx in every_parameter():
        for paragraph in paragraphs(getattr(param, "help", None) or ""):
            texts.setdefault(paragraph, where)
    return texts


def test_every_help_text_has_its_english_and_no_english_is_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASEFILE_LANG", "sv")  # the commands as written
    texts = swedish_help_texts()
    assert len(texts) > 100  # the walk saw both programs
    known = {**generated_english(), **ENGLISH}
    missing = [f"{where}: {text!r}" for text, where in texts.items() if text not in known]
    assert missing == [], "no English in casefile/help_en.py for:\n" + "\n".join(missing)
    stale = [text for text in ENGLISH if text not in texts]
    assert stale == [], "English for Swedish that no command says any more:\n" + "\n".join(stale)
    assert all(english and english != swedish for swedish, english in ENGLISH.items())


def test_every_placeholder_has_a_swedish_and_an_english_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    english_only = {pair[1] for pair in METAVARS.values() if pair[0] != pair[1]}
    swedish_only = {pair[0] for pair in METAVARS.values() if pair[0] != pair[1]}
    problems = []
    for lang, foreign in (("sv", english_only), ("en", swedish_only)):
        monkeypatch.setenv("CASEFILE_LANG", lang)
        for where, _command, param, ctx in every_parameter():
            if isinstance(param, click.Option) and param.is_flag:
                continue
            if isinstance(param.type, click.Choice):
                continue  # the values themselves, as they are typed
            metavar = param.make_metavar(ctx)
            for word in re.findall(r"[A-ZÅÄÖ]+", metavar):
                if word in foreign or word not in {*METAVARS, *NEUTRAL_METAVARS}:
                    problems.append(f"{lang} {where}: {metavar}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("args", "group", "swedish", "english"),
    [
        (["register", "--help"], cli, "[FLAGGOR] FILER...", "[OPTIONS] FILES..."),
        (["requeue", "--help"], cli, "--by INITIALER", "--by INITIALS"),
        (["extract", "--help"], intake_cli, "[FLAGGOR] FIL\n", "[OPTIONS] FILE\n"),
        (["serve", "--help"], intake_cli, "--for SEKUNDER", "--for SECONDS"),
        (["search", "--help"], cli, "--limit N ", "--limit N "),
        (["export", "finsam", "--help"], cli, "--year N ", "--year N "),
    ],
)
def test_placeholders_follow_the_language(
    args: list[str], group: click.Group, swedish: str, english: str
) -> None:
    code, out, _ = run(*args, group=group)
    assert code == 0 and swedish in out
    code, out, _ = run(*args, group=group, lang="en")
    assert code == 0 and english in out


def test_help_pages_and_the_command_list_are_english_under_casefile_lang_en() -> None:
    code, out, _ = run("register", "--help", lang="en")
    assert code == 0
    assert "Register documents that did not come in by the mail intake" in out
    assert "--acknowledge                   Send an acknowledgement" in out
    assert "Registrera" not in out and "kvittens" not in out
    code, out, _ = run("--help", lang="en")
    assert "list, lista           Registered documents, newest first." in out
    assert "casefile – the register: cases and documents." in out
    code, out, _ = run("export", "--help", lang="en")
    assert "diary    The diary of a period." in out
    # The state options' values: codes first, the Swedish beside them
    code, out, _ = run("list", "--help", lang="en")
    assert "registered (registrerad)" in out and "Received on this date or later" in out
    code, out, _ = run("outbox", "--help", lang="en")
    assert "Only mail in this state: queued (i kö)" in out
    # And Swedish stays as written
    code, out, _ = run("register", "--help")
    assert "Registrera handlingar som inte kom in via e-postintaget" in out


def test_the_error_line_says_error_in_english(app: App, tmp_path: Path) -> None:
    s = app.settings
    config = str(
        write_config(
            tmp_path / "casefile.toml",
            {"database": {"url": s.database.url}, "storage": {"path": s.storage.path}},
        )
    )
    code, _, err = run("--config", config, "show", "SFG 26-99")
    assert code == 1 and err.startswith("fel: ") and err.count("\n") == 1
    code, _, err = run("--config", config, "show", "SFG 26-99", lang="en")
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1


def test_check_labels_follow_the_language(monkeypatch: pytest.MonkeyPatch) -> None:
    cases = {
        "konfiguration": "configuration",
        "databas": "database",
        "lagring": "storage",
        "SMTP (mapp)": "SMTP (folder)",
        "SMTP: anslutning": "SMTP: connection",
        "brevlåda kontakt: inloggning": "mailbox kontakt: login",
        "brevlåda mapp: mapp för hanterad post": "mailbox mapp: folder for handled mail",
        "brevlåda kontakt": "mailbox kontakt",
        "oauth2 m365: giltighet": "oauth2 m365: validity",
        "mall kvittens": "template kvittens",
    }
    monkeypatch.setenv("CASEFILE_LANG", "sv")
    assert [label(swedish) for swedish in cases] == list(cases)
    monkeypatch.setenv("CASEFILE_LANG", "en")
    assert [label(swedish) for swedish in cases] == list(cases.values())


def test_intake_check_and_status_label_their_lines_in_english(app: App, tmp_path: Path) -> None:
    s = app.settings
    config = str(
        write_config(
            tmp_path / "casefile.toml",
            {
                "database": {"url": s.database.url},
                "storage": {"path": s.storage.path},
                "smtp": {"transport": "folder", "folder": str(tmp_path / "ut")},
            },
        )
    )
    _, out, _ = run("check", "--config", config, group=intake_cli)
    assert out.startswith("✓ konfiguration: ") and "\n✓ databas: " in out
    _, out, _ = run("check", "--config", config, group=intake_cli, lang="en")
    assert out.startswith("✓ configuration: ") and "\n✓ database: " in out
    assert "\n✓ storage: " in out and "konfiguration" not in out
    _, out, _ = run("status", "--config", config, group=intake_cli)
    assert out.startswith("Tjänsten: ") and "\nUtkorg: " in out
    _, out, _ = run("status", "--config", config, group=intake_cli, lang="en")
    assert out.startswith("Service: ") and "\nOutbox: " in out and "Utkorg" not in out


def test_intake_extract_says_error_in_english(tmp_path: Path) -> None:
    broken = tmp_path / "trasig.docx"
    broken.write_bytes(b"inte en docx")
    code, _, err = run("extract", str(broken), group=intake_cli)
    assert code == 1 and err.startswith("fel: Filen trasig.docx")
    code, _, err = run("extract", str(broken), group=intake_cli, lang="en")
    assert code == 1 and err.startswith("error: Filen trasig.docx")

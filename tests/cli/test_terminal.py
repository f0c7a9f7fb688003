"""What a person sees in an 80-column terminal: every command's help, a usage error of every
command and the tables of the listing commands, run in a real pseudo-terminal of 80 columns,
in Swedish (CASEFILE_LANG unset) and in English (CASEFILE_LANG=en).

The commands are enumerated from the click groups themselves, so a new command is covered
without touching this file. One child process per language runs every invocation (as
`casefile …` / `intake …` would, through click's standalone mode) with the pseudo-terminal as
its stdin, stdout and stderr; each invocation's output is cut out by marker lines.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import click
import pytest

from casefile.app import App
from casefile.cli import cli as casefile_cli
from casefile.db.models import Case, OutboxMail, SourceMessage
from casefile.register import register_document
from intake.cli import cli as intake_cli
from tests.outgoing.conftest import register
from tests.register.factories import new_report
from tests.support.toml import write_config

WIDTH = 80
PROGRAMS: dict[str, click.Group] = {"casefile": casefile_cli, "intake": intake_cli}

# click's English frame words; none may reach a Swedish screen.
ENGLISH_FRAMES = (
    "Usage:",
    "Options",
    "Commands",
    "Error:",
    "Show this message",
    "Try '",
    "Missing",
    "Invalid value",
    "No such",
    "is not a valid",
    "is not in the range",
    "unexpected extra",
    "default:",
    "required]",
    "[OPTIONS]",
    "COMMAND [ARGS]",
)

# Common Swedish words that no English help page may say (the Swedish command names, listed
# beside the English ones, are taken out first), and the English placeholders that no Swedish
# page may show.
SWEDISH_WORDS = re.compile(
    r"\b(och|eller|ärende|ärenden|handling|handlingar|visa|datum|annars|inte|som|för|till|"
    r"Exempel|obligatorisk)\b",
    re.IGNORECASE,
)
ENGLISH_PLACEHOLDERS = re.compile(r"\b(FILES?|DIRECTORY|PATH|INITIALS|SECONDS|INTEGER|CASE)\b")
ALIASES = {alias for group in PROGRAMS.values() for alias in getattr(group, "aliases", {})}

LONG_TITLE = "Samverkan kring unga vuxna i arbetslivsinriktad rehabilitering i Gävleborg"
LONG_ORG = "Arbetsförmedlingen, Försäkringskassan och Region Gävleborg i samverkan"
LONG_NAME = "Slutrapport_insats_samverkan_unga_vuxna_Gavleborg_version_slutlig_2026.docx"


def command_paths() -> Iterator[tuple[str, list[str], click.Command]]:
    """Every command and group of both programs, as (program, path, command)."""

    def walk(
        program: str, path: list[str], group: click.Group, ctx: click.Context
    ) -> Iterator[tuple[str, list[str], click.Command]]:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            yield program, [*path, name], command
            if isinstance(command, click.Group):
                sub = click.Context(command, parent=ctx, info_name=name)
                yield from walk(program, [*path, name], command, sub)

    for program, group in PROGRAMS.items():
        yield program, [], group
        yield from walk(program, [], group, click.Context(group, info_name=program))


def invocations(config: str, message_id: int) -> list[tuple[str, list[str], str]]:
    """(program, argv, what): help and usage errors of every command, then the tables."""
    runs: list[tuple[str, list[str], str]] = []
    for program, path, command in command_paths():
        runs.append((program, [*path, "--help"], "help"))
        runs.append((program, ["--config", config, *path, "--no-such-flag"], "usage"))
        required = [p for p in command.params if p.required]
        if path and required and not isinstance(command, click.Group):
            runs.append((program, ["--config", config, *path], "usage"))
    bad_values = [
        ["list", "--limit", "sju"],
        ["list", "--status", "borta"],
        ["list", "--since", "igårkväll"],
        ["list", "--kind", "roman"],
        ["mail", "sju"],
        ["show", "SFG 26-01", "26-02"],
        ["outbox", "--state", "borta"],
    ]
    runs += [("casefile", ["--config", config, *args], "usage") for args in bad_values]
    tables = [
        ["list"],
        ["list", "--problems"],
        ["show", "SFG 26-01"],
        ["inbox"],
        ["inbox", "--all"],
        ["outbox"],
        ["remind", "--date", "2026-03-16"],
        ["overdue", "--date", "2026-03-16"],
        ["search", "Samverkan"],
        ["mail", str(message_id)],
    ]
    runs += [("casefile", ["--config", config, *args], "table") for args in tables]
    # --config after the command name, as operators write it
    runs.append(("casefile", ["list", "--config", config], "table"))
    return runs


DRIVER = """
import json, sys, traceback
from casefile.cli import cli as casefile_cli
from intake.cli import cli as intake_cli
groups = {"casefile": casefile_cli, "intake": intake_cli}
for i, (program, argv, _what) in enumerate(json.loads(sys.argv[1])):
    sys.stdout.write(f"\\x1eBEGIN {i}\\n"); sys.stdout.flush()
    code = 0
    try:
        groups[program].main(argv, prog_name=program, standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 99
    sys.stdout.flush(); sys.stderr.flush()
    sys.stdout.write(f"\\x1eEND {i} {code}\\n"); sys.stdout.flush()
"""


def run_in_terminal(runs: list[tuple[str, list[str], str]], env: dict[str, str]) -> list[str]:
    """Run the invocations in a child on a pseudo-terminal of WIDTH columns; the output of each
    (stdout and stderr as the terminal shows them) and its exit status, in order."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, WIDTH, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(runs)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert child.wait() == 0
    text = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
    outputs = []
    for i in range(len(runs)):
        begin, end = f"\x1eBEGIN {i}\n", f"\x1eEND {i} "
        start = text.index(begin) + len(begin)
        stop = text.index(end, start)
        code = text[stop + len(end) :].split("\n", 1)[0]
        outputs.append(f"{code}\n{text[start:stop]}")
    return outputs


@pytest.fixture
def seeded(app: App, tmp_path: Path) -> tuple[str, int]:
    """A small register: reports with long titles, an unsigned one, an overdue case, mail in
    the outbox and a message with a long reason and a long attachment name in the inbox."""
    s = app.settings
    config = str(
        write_config(
            tmp_path / "casefile.toml",
            {
                "database": {"url": s.database.url},
                "storage": {"path": s.storage.path},
                "smtp": {
                    "transport": "folder",
                    "folder": str(s.smtp.folder),
                    "from_address": s.smtp.from_address,
                },
            },
        )
    )
    register(app, title=LONG_TITLE, organisation=LONG_ORG)
    with app.sessions() as session, session.begin():
        session.query(OutboxMail).update(
            {"state": "suppressed", "last_error": "mottagaren har fått 5 brev det senaste dygnet "
             "(mail.max_per_recipient_per_day); skickas inte automatiskt"}
        )  # fmt: skip
    with app.sessions() as session, session.begin():
        register_document(session, s, new_report(title="Kärnhuset", signed=False))
        session.add(Case(number="SFG 25-07", year=2025, serial=7, title=LONG_TITLE,
                         organisation=LONG_ORG, confirmed_contact_email="k@bollnas.test",
                         due_date=dt.date(2026, 3, 16)))  # fmt: skip
        raw = EmailMessage()
        raw["From"] = "Anna Berg <anna.berg@bollnas.test>"
        raw["Subject"] = "Slutrapport med bilaga som inte gick att läsa och ett långt ämne"
        raw.set_content("Hej, här kommer vår slutrapport.")
        raw.add_attachment(b"PK\x03\x04trasig", maintype="application", subtype="zip",
                           filename=LONG_NAME)  # fmt: skip
        message = SourceMessage(
            mailbox="kontakt", folder="INBOX", uidvalidity=1, uid=1,
            raw_sha256=app.archive.put(raw.as_bytes()), size=len(raw.as_bytes()),
            internal_date=dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC),
            sender="anna.berg@bollnas.test", subject=str(raw["Subject"]), state="quarantined",
            reason=f"bilagan {LONG_NAME} kunde inte läsas: filen är skadad eller krypterad "
            "och kan inte öppnas av programmet",
        )  # fmt: skip
        session.add(message)
        session.add(
            SourceMessage(
                mailbox="kontakt", folder="INBOX", uidvalidity=1, uid=2, raw_sha256="1" * 64,
                size=10, internal_date=dt.datetime(2026, 2, 4, tzinfo=dt.UTC),
                sender="mailer-daemon@x.test", subject="Autosvar", state="automatic",
                reason="automatiskt brev (auto_submitted): ingen kvittens",
            )
        )  # fmt: skip
        session.flush()
        message_id = message.id
    return config, message_id


def _environment(lang: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "CASEFILE_LANG")}
    env["CASEFILE_USER"] = "AKH"
    env.pop("CASEFILE_CONFIG", None)
    if lang is not None:
        env["CASEFILE_LANG"] = lang
    return env


@pytest.mark.parametrize("lang", [None, "en"], ids=["sv", "en"])
def test_every_command_fits_80_columns_in_its_language(
    seeded: tuple[str, int], lang: str | None
) -> None:
    config, message_id = seeded
    runs = invocations(config, message_id)
    outputs = run_in_terminal(runs, _environment(lang))
    problems = []
    for (program, argv, what), output in zip(runs, outputs, strict=True):
        code, text = output.split("\n", 1)
        where = f"{program} {' '.join(argv)}"
        expected = {"help": "0", "usage": "2", "table": "0"}[what]
        if code != expected:
            problems.append(f"{where}: exit {code}, not {expected}\n{text}")
        if "Traceback" in text:
            problems.append(f"{where}: traceback\n{text}")
        for line in text.split("\n"):
            if len(line) > WIDTH:
                problems.append(f"{where}: {len(line)} columns: {line!r}")
        if lang is None:
            for word in ENGLISH_FRAMES:
                if word in text:
                    problems.append(f"{where}: English {word!r}\n{text}")
        if what == "help" and lang == "en":
            listed = re.sub(", (" + "|".join(map(re.escape, ALIASES)) + r")\b", "", text)
            for word in SWEDISH_WORDS.findall(listed):
                problems.append(f"{where}: Swedish {word!r}\n{text}")
        if what == "help" and lang is None:
            for word in ENGLISH_PLACEHOLDERS.findall(text):
                problems.append(f"{where}: English placeholder {word!r}\n{text}")
        if what == "table" and not text.strip():
            problems.append(f"{where}: printed nothing")
    assert problems == [], "\n".join(problems)
    # The runs saw what they were meant to: Swedish or English frames, and the seeded rows.
    joined = "\n".join(outputs)
    frame = "Användning:" if lang is None else "Usage:"
    assert joined.count(frame) > 2 * len(list(command_paths()))
    assert LONG_NAME[:20] in joined and "SFG 25-07" in joined
    if lang is None:  # labels, not codes; agreement; whole reasons
        assert "påminnelse" in joined and "paminnelse" not in joined
        assert "(märkt som automatiskt)" in joined and "auto_submitted" not in joined
        assert "1 ärende försenat per 2026-03-16." in joined
        assert "skickas inte automatiskt" in joined and "kunde inte läsas" in joined

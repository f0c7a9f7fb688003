"""The staff commands for outgoing mail, through click's runner against a real database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli_support import config_option
from casefile.commands.outgoing import outbox_command, remind_command, requeue_command
from casefile.db.models import Case, OutboxMail
from intake.commands.send import send_command
from tests.outgoing.conftest import outbox, register


@click.group()
@config_option
@click.pass_context
def root(ctx: click.Context, config_path: str | None) -> None:
    """Stands in for the `casefile`/`intake` groups the commands are attached to."""
    ctx.meta["config_path"] = config_path


for command in (remind_command, outbox_command, requeue_command, send_command):
    root.add_command(command)


@pytest.fixture
def config_file(app: App, tmp_path: Path) -> str:
    path = tmp_path / "casefile.toml"
    s = app.settings
    path.write_text(
        f'[database]\nurl = "{s.database.url}"\n'
        f'[storage]\npath = "{s.storage.path}"\n'
        f'[smtp]\ntransport = "folder"\nfolder = "{s.smtp.folder}"\n'
        f'from_address = "{s.smtp.from_address}"\n',
        encoding="utf-8",
    )
    return str(path)


def run(config: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(root, ["--config", config, *args])
    return result.exit_code, result.stdout, result.stderr


def test_remind_dry_run_then_for_real(app: App, config_file: str) -> None:
    with app.sessions() as s, s.begin():
        s.add(Case(number="SFG 25-07", year=2025, serial=7, title="SAFE", organisation="X",
                   confirmed_contact_email="k@bollnas.test",
                   due_date=dt.date(2026, 3, 16)))  # fmt: skip
    code, out, _ = run(config_file, "remind", "--dry-run", "--json", "--date", "2026-03-16")
    assert code == 0
    data = json.loads(out)
    assert data["dry_run"] is True
    [mail] = data["mails"]
    assert (mail["kind"], mail["case_number"], mail["step_days"]) == ("paminnelse", "SFG 25-07", 0)
    assert "sista dag 2026-03-16" in mail["why"]
    assert outbox(app) == []
    # Without --queue, remind only shows (what the README and its help say it does)
    code, out, _ = run(config_file, "remind", "--date", "2026-03-16")
    assert code == 0 and "Skulle köas 2026-03-16: 1 brev." in out and "--queue" in out
    assert "påminnelse" in out and "paminnelse" not in out
    assert outbox(app) == []
    code, out, _ = run(config_file, "remind", "--queue", "--date", "2026-03-16")
    assert code == 0
    assert "Köade 2026-03-16: 1 brev." in out and "k@bollnas.test" in out
    assert len(outbox(app)) == 1
    code, out, _ = run(config_file, "remind", "--queue", "--date", "2026-03-16")
    assert "Köade 2026-03-16: 0 brev." in out


def test_remind_digest_without_queue_is_a_usage_error(app: App, config_file: str) -> None:
    code, _, err = run(config_file, "remind", "--digest")
    assert code == 2 and "--queue" in err
    assert outbox(app) == []


def test_remind_bad_date_is_a_usage_error(config_file: str) -> None:
    code, _, err = run(config_file, "remind", "--date", "16/3")
    assert code == 2 and "ÅÅÅÅ-MM-DD" in err


def test_send_outbox_and_requeue(app: App, config_file: str) -> None:
    register(app)
    code, out, _ = run(config_file, "send", "--json")
    assert code == 0
    assert json.loads(out) == {"sent": 1, "retried": 0, "failed": 0, "uncertain": 0, "recovered": 0}
    with app.sessions() as s, s.begin():
        s.query(OutboxMail).update({"state": "uncertain", "last_error": "avbröts under sändning"})
    code, out, _ = run(config_file, "outbox", "--state", "uncertain")
    assert code == 0
    assert "osäkert" in out and "anna.berg@bollnas.test" in out and "avbröts" in out
    code, out, _ = run(config_file, "outbox", "--json")
    [row] = json.loads(out)
    assert row["state"] == "uncertain" and row["subject"].startswith("[SFG 26-01.01]")
    code, out, _ = run(config_file, "requeue", str(row["id"]), "--by", "akh")
    assert code == 0 and "ligger i kö igen (AKH)" in out
    code, out, _ = run(config_file, "send")
    assert "Skickade: 1," in out
    assert len(list(Path(app.settings.smtp.folder).glob("*.eml"))) == 1  # same file, no copy


def test_send_recover_marks_stuck_rows(app: App, config_file: str) -> None:
    register(app)
    with app.sessions() as s, s.begin():
        s.query(OutboxMail).update({"state": "sending"})
    code, out, _ = run(config_file, "send", "--recover", "--json")
    assert code == 0 and json.loads(out)["recovered"] == 1
    assert outbox(app)[0].state == "uncertain"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["requeue", "999", "--by", "AKH"], "det finns inget utgående brev nr 999"),
        (["requeue", "1", "--by", "AKH"], "bara osäkra, misslyckade och stoppade brev"),
    ],
)
def test_requeue_errors_are_one_line(
    app: App, config_file: str, args: list[str], message: str
) -> None:
    register(app)
    code, _, err = run(config_file, *args)
    assert code == 1
    assert message in err and err.count("\n") == 1

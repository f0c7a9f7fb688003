"""`intake retry ID` on mail it still cannot register says what staff can do next."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from casefile.app import App
from casefile.db.migrate import upgrade
from intake.cli import cli
from intake.mail.poll import poll_all
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.toml import write_config

WHEN = dt.datetime(2026, 2, 3, 9, 0, tzinfo=dt.UTC)


def quarantined(db_url: str, tmp_path: Path, account: Account) -> tuple[Path, int]:
    """A report quarantined by a tight attachment limit; the configuration keeps the limit."""
    docx = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
    account.append(bytes(message(attachments=[("slutrapport.docx", docx)])), WHEN)
    config = write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "smtp": {"transport": "folder", "folder": str(tmp_path / "outbox")},
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
            "limits": {"max_attachment_bytes": 1000},
            "mailboxes": [account.mailbox_settings()],
        },
    )
    app = App.from_config(str(config))
    upgrade(app.engine)
    [result] = poll_all(app)
    [outcome] = result.outcomes
    app.engine.dispose()
    assert outcome.state == "quarantined" and outcome.message_row is not None
    return config, outcome.message_row


def retry(config: Path, row: int, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), "retry", str(row), *extra])


def test_retry_of_a_quarantined_file_says_the_next_step(
    db_url: str, tmp_path: Path, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEFILE_LANG", "sv")
    config, row = quarantined(db_url, tmp_path, account)
    result = retry(config, row)
    assert result.exit_code == 1
    first, *steps = result.stdout.splitlines()
    reason = "bilagan kunde inte läsas: filen är för stor (40613 byte, gräns 1000)"
    assert first == f"post {row}: i karantän: {reason}"
    assert steps == [
        f"nästa steg: spara filerna med casefile mail {row} --save MAPP, registrera dem",
        f"med casefile register FIL --from …, eller casefile dismiss {row} --reason …",
    ]
    data = json.loads(retry(config, row, "--json").stdout)
    assert data["state"] == "quarantined"
    assert data["next_step"] == " ".join(steps)


def test_the_next_step_in_english(
    db_url: str, tmp_path: Path, account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEFILE_LANG", "en")
    config, row = quarantined(db_url, tmp_path, account)
    steps = retry(config, row).stdout.splitlines()[1:]
    assert steps[0].startswith(f"next step: save the files with casefile mail {row} --save DIR")

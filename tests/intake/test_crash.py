"""A crash at any moment loses no mail and registers nothing twice.

A real `intake poll --once` is killed with SIGKILL at each named point of the pipeline (see
casefile/faults.py); the next poll must register every message exactly once and mark it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from casefile.db.models import Document, SourceMessage
from tests.intake.conftest import build_app
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.toml import write_config

INTAKE = str(Path(sys.executable).parent / "intake")
WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)
FILES = ["r01_cell_iso_endash.docx", "r02_row_compact_nbsp.docx", "r03_right_sdt_overspent.docx"]


def _config(tmp_path: Path, db_url: str, account: Account) -> Path:
    return write_config(
        tmp_path / "casefile.toml",
        {
            "database": {"url": db_url},
            "storage": {"path": str(tmp_path / "archive")},
            "mailboxes": [account.mailbox_settings()],
            "smtp": {
                "transport": "folder",
                "folder": str(tmp_path / "outbox"),
                "from_address": "kontakt@finsam.test",
            },
            "service": {"lock_path": str(tmp_path / "casefile.lock")},
        },
    )


def _poll(config: Path, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CASEFILE_FAULT"}
    if fault:
        env["CASEFILE_FAULT"] = fault
    return subprocess.run(
        [INTAKE, "--config", str(config), "poll", "--once", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("fault", ["after_archive", "before_commit", "after_commit", "after_mark"])
def test_sigkill_then_poll_again_registers_each_message_once(
    db_url: str, tmp_path: Path, account: Account, fault: str
) -> None:
    for name in FILES:
        account.append(
            bytes(message(subject=name, attachments=[(name, (REPORTS / name).read_bytes())])), WHEN
        )
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    config = _config(tmp_path, db_url, account)

    crashed = _poll(config, fault)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr

    again = _poll(config)
    assert again.returncode == 0, again.stderr
    json.loads(again.stdout)
    with app.sessions() as s:
        numbers = s.scalars(select(Document.diarienummer).order_by(Document.id)).all()
        uids = s.scalars(select(SourceMessage.uid)).all()
    assert len(numbers) == len(FILES) == len(set(numbers))
    assert sorted(uids) == sorted(account.uids())
    assert all(b"$CasefileProcessed" in flags for flags in account.flags().values())
    # A third poll finds nothing new and changes nothing.
    assert _poll(config).returncode == 0
    with app.sessions() as s:
        assert len(s.scalars(select(Document.id)).all()) == len(FILES)


def test_poll_exit_code_and_json(db_url: str, tmp_path: Path, account: Account) -> None:
    account.append(
        bytes(message(attachments=[("r.docx", (REPORTS / FILES[0]).read_bytes())])), WHEN
    )
    config = _config(tmp_path, db_url, account)
    build_app(db_url, tmp_path, account.mailbox_settings())
    done = _poll(config)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    (box,) = report["mailboxes"]
    assert box["ok"] and box["messages"][0]["diarienummer"] == ["SFG 26-01.01"]
    assert "utfall=registered" in done.stderr  # one log line per message
    os.environ.pop(account.mailbox_settings()["password_env"], None)  # type: ignore[arg-type]
    broken = _poll(config)
    assert broken.returncode == 1
    assert "TEST_IMAP_PW" in broken.stderr

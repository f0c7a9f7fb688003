"""A register filled by the real intake path (a real Dovecot, polled), and the staff CLI on it.

The week's post, as `filled` leaves it:
  SFG 26-01.01  Kärnhuset 2.0 (DOCX) from anna.berg@bollnas.test, 3 February
  SFG 26-02.01  Hälsoslingan, unsigned (incomplete: a completion request is queued), 4 February
  SFG 26-03.01  SAFE, 5 February
  message 4     a newsletter without a report (inbox), 23:30 UTC on 5 February = 6 February
  SFG 26-04.01  Språkstegen, a delrapport, 7 February
  SFG 26-01.02  the Kärnhuset PDF with "[SFG 26-01]" in the subject, 9 February
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli
from tests.intake.conftest import build_app
from tests.support.dovecot import Account, DovecotServer, running_dovecot
from tests.support.mail import REPORTS, message
from tests.support.rows import poll
from tests.support.toml import write_config

STAFF = ["bo.ek@finsam.test"]
# Our receiving server, and what it writes on an officer's mail it verified (DMARC pass).
OURS = "mx.finsam.test"
STAFF_VERIFIED = {
    "Authentication-Results": f"{OURS}; dkim=pass header.d=finsam.test; "
    "dmarc=pass header.from=finsam.test"
}


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    yield from running_dovecot()


@pytest.fixture
def account(dovecot: DovecotServer) -> Account:
    return dovecot.add_account()


@pytest.fixture
def intake_app(db_url: str, tmp_path: Path, account: Account) -> Iterator[App]:
    app = build_app(
        db_url,
        tmp_path,
        account.mailbox_settings(),
        registry={"staff_addresses": STAFF},
        mail={"trusted_authserv_id": OURS},
    )
    yield app
    app.engine.dispose()


@pytest.fixture
def config_file(intake_app: App, tmp_path: Path) -> str:
    return str(write_config(tmp_path / "casefile.toml", intake_app.settings.to_dict()))


def report(name: str) -> bytes:
    return (REPORTS / name).read_bytes()


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 2, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture
def filled(intake_app: App, account: Account) -> App:
    post = [
        (message(attachments=[("slutrapport.docx", report("r01_cell_iso_endash.docx"))]), at(3)),
        (
            message(
                sender="Per Holm <per.holm@vastera.test>",
                attachments=[("rapport.docx", report("r04_row_blocksdt_unsigned_nfd.docx"))],
            ),
            at(4),
        ),
        (
            message(
                sender="Sara Lind <sara.lind@norrdala.test>",
                attachments=[("SAFE.docx", report("r02_row_compact_nbsp.docx"))],
            ),
            at(5),
        ),
        (
            message(
                sender="Nyheter <info@nyhetsbrev.test>",
                subject="Nyhetsbrev februari",
                body="Välkommen till vårt seminarium om samverkan.",
            ),
            at(5, 23, 30),
        ),
        (
            message(
                sender="Lisa Å <lisa@alvby.test>",
                attachments=[("delrapport.pdf", report("r08_row_delrapport.pdf"))],
            ),
            at(7),
        ),
        (
            message(
                subject="Slutrapport som PDF [SFG 26-01]",
                attachments=[("slutrapport.pdf", report("r01_cell_iso_endash.pdf"))],
            ),
            at(9),
        ),
    ]
    for msg, when in post:
        account.append(bytes(msg), when)
    poll(intake_app)
    return intake_app


def run(config: str, *args: str, columns: int | None = None) -> tuple[int, str, str]:
    env = {"CASEFILE_USER": "AKH"}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    result = CliRunner(env=env).invoke(cli, ["--config", config, *args])
    return result.exit_code, result.stdout, result.stderr

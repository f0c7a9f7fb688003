"""A register filled the way the office fills it: reports through the real intake path (Dovecot,
poll, extraction), a document registered by hand, a cancellation through `casefile cancel`, a
secrecy marking and a closed case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from casefile.app import App
from casefile.cli import cli
from casefile.db.models import Case, Document
from casefile.register import NewDocument, register_document
from intake.mail.poll import poll_all
from tests.intake.conftest import account, build_app, dovecot  # noqa: F401
from tests.support.dovecot import Account
from tests.support.mail import REPORTS, message
from tests.support.toml import dumps

# IMAP arrival times (UTC). The second one is 00:20 on 4 February in Stockholm.
ARRIVALS = {
    "r01_cell_iso_endash.docx": dt.datetime(2026, 2, 3, 9, 15, 7, tzinfo=dt.UTC),
    "r03_right_sdt_overspent.docx": dt.datetime(2026, 2, 3, 23, 20, 45, tzinfo=dt.UTC),
    "r04_row_blocksdt_unsigned_nfd.docx": dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC),
    "r08_row_delrapport.docx": dt.datetime(2026, 4, 1, 7, 30, tzinfo=dt.UTC),
}
# Luhn-valid: a real-looking personnummer that must never reach the public diary.
PERSONNUMMER = "19850709-9805"
SECRET_TITLE = "Utredning om Kalle Svensson"
PUBLIC_TITLE = "Utredning enligt OSL 26:1"


@dataclass
class Filled:
    app: App
    config: str
    account: Account
    numbers: list[str]


def run(config: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", config, *args])
    return result.exit_code, result.stdout, result.stderr


def write_config(app: App, tmp_path: Path) -> str:
    path = tmp_path / "casefile.toml"
    path.write_text(
        dumps(
            {
                "database": {"url": app.settings.database.url},
                "storage": {"path": app.settings.storage.path},
                "registry": {"office_name": app.settings.registry.office_name},
            }
        ),
        encoding="utf-8",
    )
    return str(path)


def fill(app: App, mailbox: Account, config: str) -> list[str]:
    for name, when in ARRIVALS.items():
        raw = bytes(
            message(
                subject=f"Slutrapport {name}", attachments=[(name, (REPORTS / name).read_bytes())]
            )
        )
        mailbox.append(raw, when)
    results = poll_all(app)
    assert all(r.ok for r in results), [r.error for r in results]
    with app.sessions() as s, s.begin():
        first = s.scalars(select(Case).order_by(Case.id)).first()
        assert first is not None
        first_number = first.number

        def by_hand(
            kind: str, day: int, title: str, direction: str, sender: str | None
        ) -> Document:
            """What `casefile register --case` does, without a file to store: staff name the
            case, so no matching (and no sender trust) is asked."""
            doc = register_document(
                s,
                app.settings,
                NewDocument(
                    kind=kind,
                    received_at=dt.datetime(2026, 2, day, 9, 0, tzinfo=dt.UTC),
                    sender=sender,
                    title=title,
                    organisation=first.organisation,
                ),
                actor="AKH",
                into=first,
            )
            doc.direction, doc.channel, doc.registered_by = direction, "other", "AKH"
            return doc

        by_hand("beslut", 20, "Beslut om slutredovisning", "out", "Exempelby kommun")
        by_hand("anteckning", 21, f"Samtal med deltagare {PERSONNUMMER}", "internal", None)
        wrong = by_hand("anteckning", 22, "Felregistrerad", "internal", None)
        secret = by_hand("skrivelse", 24, SECRET_TITLE, "in", "Kalle Svensson <kalle@example.test>")
        wrong_number, secret_number = wrong.diarienummer, secret.diarienummer
    for args in (
        ("cancel", wrong_number, "--reason", "Fel ärende"),
        (
            "secrecy",
            secret_number,
            "--provision",
            "OSL 26 kap. 1 §",
            "--public-title",
            PUBLIC_TITLE,
        ),
        ("close", first_number, "--reason", "Slutrapporten är godkänd"),
    ):
        code, _, err = run(config, *args, "--by", "AKH")
        assert code == 0, (args, err)
    with app.sessions() as s:
        return list(s.scalars(select(Document.diarienummer).order_by(Document.id)))


@pytest.fixture
def filled(
    db_url: str,
    tmp_path: Path,
    account: Account,  # noqa: F811
) -> Iterator[Filled]:
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    config = write_config(app, tmp_path)
    numbers = fill(app, account, config)
    yield Filled(app, config, account, numbers)
    app.engine.dispose()

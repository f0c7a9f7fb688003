"""`casefile mail ID` reads a stored message as the poll does: a header block the poll refused is
not parsed, and headers the standard parser cannot take (group addresses with a comment) are
shown as written, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli
from casefile.db.models import SourceMessage
from tests.support.toml import write_config


@pytest.fixture
def config(app: App, tmp_path: Path) -> str:
    s = app.settings
    path = write_config(
        tmp_path / "casefile.toml",
        {"database": {"url": s.database.url}, "storage": {"path": s.storage.path}},
    )
    return str(path)


def _stored(app: App, raw: bytes) -> int:
    digest = app.archive.put(raw)
    with app.sessions() as s, s.begin():
        message = SourceMessage(
            mailbox="kontakt", folder="INBOX", uidvalidity=1, uid=1, raw_sha256=digest,
            size=len(raw), internal_date=dt.datetime(2026, 2, 3, 10, 0, tzinfo=dt.UTC),
            state="failed",
        )  # fmt: skip
        s.add(message)
        s.flush()
        return message.id


def _mail(config: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", config, "mail", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def test_a_header_block_over_the_poll_s_limit_is_not_parsed(app: App, config: str) -> None:
    """Given a stored message whose header block is 400 KB (the poll refused it: a 400 KB block
    took up to 54 s and 4 GB to parse), when staff read it, then its headers, text and
    attachments are not read and a note says why, with the size and the limit."""
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"a" * 90) for i in range(4000))
    raw = b"From: anna@bollnas.test\r\nSubject: Rapport\r\n" + filler + b"\r\nHej\r\n"
    size = raw.index(b"\r\n\r\n")
    ident = _stored(app, raw)
    code, out, _ = _mail(config, str(ident), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["headers"] == {} and data["text"] == "" and data["attachments"] == []
    limit = app.settings.limits.max_header_bytes
    assert data["notes"] == [
        f"brevets huvud är för stort ({size} byte, gräns {limit}) och lästes inte; "
        "originalet finns kvar i arkivet"
    ]
    code, out, _ = _mail(config, str(ident))
    assert code == 0 and f"Obs: brevets huvud är för stort ({size} byte" in out


def test_group_addresses_are_shown_as_written(app: App, config: str) -> None:
    """Given To: `unlisted-recipients:; (no To-header on input)` (the standard parser raised
    AttributeError on it) and an empty group in Cc, then both are shown, with the text."""
    raw = (
        b"From: Anna Berg <anna@bollnas.test>\r\n"
        b"To: unlisted-recipients:; (no To-header on input)\r\n"
        b"Cc: undisclosed-recipients:;\r\n"
        b"Subject: Slutrapport\r\n\r\nHej, rapporten kommer.\r\n"
    )
    ident = _stored(app, raw)
    code, out, err = _mail(config, str(ident))
    assert code == 0, err
    assert "Till: unlisted-recipients:; (no To-header on input)" in out
    assert "Kopia: undisclosed-recipients:;" in out
    assert "Från: Anna Berg <anna@bollnas.test>" in out and "rapporten kommer" in out
    code, out, _ = _mail(config, str(ident), "--json")
    assert json.loads(out)["headers"]["To"] == "unlisted-recipients:; (no To-header on input)"

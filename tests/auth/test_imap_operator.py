"""Operator details of the IMAP source: ca_file named, processed folder created, trace flag."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from casefile.cli_support import setup_logging
from intake.mail.poll import poll_mailbox
from tests.intake.conftest import build_app
from tests.support.dovecot import DovecotServer
from tests.support.mail import message

WHEN = dt.datetime(2026, 2, 3, 9, 15, tzinfo=dt.UTC)


def test_missing_ca_file_is_named_not_a_network_error(
    db_url: str,
    tmp_path: Path,
    dovecot: DovecotServer,
) -> None:
    account = dovecot.add_account()
    box = account.mailbox_settings(
        security="ssl", port=dovecot.tls_port, ca_file=str(tmp_path / "saknas.pem")
    )
    app = build_app(db_url, tmp_path, box)
    result = poll_mailbox(app, app.settings.mailboxes[0])
    assert not result.ok
    assert "ca_file" in (result.error or "") and "saknas.pem finns inte" in (result.error or "")
    assert "kan inte nå" not in (result.error or "")


def test_processed_folder_is_created_when_missing(
    db_url: str,
    tmp_path: Path,
    dovecot: DovecotServer,
) -> None:
    """Given processed_folder names a folder that does not exist, when a message is taken,
    then the folder is created and the message moved there."""
    account = dovecot.add_account()
    account.append(bytes(message()), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings(processed_folder="Hanterad"))
    result = poll_mailbox(app, app.settings.mailboxes[0])
    assert result.ok, result.error
    assert account.uids("INBOX") == []
    assert len(account.uids("Hanterad")) == 1


@pytest.mark.parametrize("trace", [False, True])
def test_protocol_dump_only_with_the_trace_flag(
    db_url: str,
    tmp_path: Path,
    dovecot: DovecotServer,
    caplog: pytest.LogCaptureFixture,
    trace: bool,
) -> None:
    """Given log level DEBUG, then the IMAP protocol is in the log only with `intake --trace`,
    and an OAuth2 or password login is never in it."""
    account = dovecot.add_account()
    account.append(bytes(message(body="Hemlig brödtext i protokollet")), WHEN)
    app = build_app(db_url, tmp_path, account.mailbox_settings())
    caplog.set_level(logging.DEBUG)
    setup_logging("DEBUG", trace=trace)
    caplog.clear()
    assert poll_mailbox(app, app.settings.mailboxes[0]).ok
    protocol = [r.getMessage() for r in caplog.records if r.name == "imapclient.imaplib"]
    assert any("SELECT" in line for line in protocol) is trace
    assert account.password not in caplog.text

"""The Maildir source reads only the files delivered into it, never what a link points at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from casefile.config import MailboxSettings
from intake.sources.base import SourceError
from intake.sources.maildir import MaildirSource
from tests.support.mail import message


def _maildir(tmp_path: Path) -> Path:
    root = tmp_path / "maildir"
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    return root


def _source(root: Path) -> MaildirSource:
    return MaildirSource(MailboxSettings(name="kontakt", type="maildir", path=str(root)), set)


def test_symbolic_links_are_not_followed(tmp_path: Path) -> None:
    # Given a Maildir with one delivered message and a link to a file outside it
    root = _maildir(tmp_path)
    (root / "new" / "1.kontakt").write_bytes(message(subject="Äkta").as_bytes())
    secret = tmp_path / "secret.txt"
    secret.write_text("hemlig", encoding="utf-8")
    os.symlink(secret, root / "new" / "2.kontakt")
    os.symlink(root / "new" / "1.kontakt", root / "cur" / "3.kontakt:2,S")
    source = _source(root)
    # When intake lists and fetches the mailbox
    source.open()
    envelopes = source.envelopes(0)
    fetched = list(source.fetch([e.uid for e in envelopes]))
    # Then only the delivered file is read
    assert len(fetched) == 1
    assert b"hemlig" not in fetched[0].raw
    assert fetched[0].raw == (root / "new" / "1.kontakt").read_bytes()


def test_a_file_replaced_by_a_link_after_listing_is_refused(tmp_path: Path) -> None:
    root = _maildir(tmp_path)
    delivered = root / "new" / "1.kontakt"
    delivered.write_bytes(message().as_bytes())
    source = _source(root)
    source.open()
    [envelope] = source.envelopes(0)
    # Given the file is swapped for a link between listing and reading
    secret = tmp_path / "secret.txt"
    secret.write_text("hemlig", encoding="utf-8")
    delivered.unlink()
    os.symlink(secret, delivered)
    # Then reading it fails as a source error, and the link's target is not read
    with pytest.raises(SourceError):
        list(source.fetch([envelope.uid]))

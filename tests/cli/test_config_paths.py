"""Relative paths in the configuration are relative to the configuration file's folder, all of
them (database, archive, Maildir, outbox folder, lock, forms, templates, key files, CA files),
so a command run from another working folder finds the same archive and mailbox."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from pathlib import Path

from casefile.config import Settings, load_settings, settings_from_dict
from tests.support.mail import REPORTS, message

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
[database]
url = "sqlite:///var/casefile.db"

[storage]
path = "var/archive"

[[mailboxes]]
name = "kontakt"
type = "maildir"
path = "var/maildir"

[smtp]
transport = "folder"
folder = "var/outbox"
from_address = "kontakt@finsam.test"

[service]
lock_path = "var/casefile.lock"
"""


def command(program: str, config: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`casefile …` or `intake …` as the console script would run it, from `cwd`."""
    script = f"from {program}.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", script, "--config", str(config), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "CASEFILE_LANG": "sv"},
    )


def test_commands_from_other_folders_use_the_archive_and_maildir_beside_the_config(
    tmp_path: Path,
) -> None:
    # Given a configuration in etc/ with only relative paths, and a report in its Maildir
    etc = tmp_path / "etc"
    (etc / "var").mkdir(parents=True)
    config = etc / "casefile.toml"
    config.write_text(CONFIG, encoding="utf-8")
    report = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
    mailbox.Maildir(etc / "var" / "maildir").add(
        message(attachments=[("slutrapport.docx", report)]).as_bytes()
    )
    here, there, elsewhere = (tmp_path / name for name in ("here", "there", "elsewhere"))
    for folder in (here, there, elsewhere):
        folder.mkdir()
    # When the database is created from one folder and the mailbox polled from another
    init = command("casefile", config, "init", cwd=here)
    assert init.returncode == 0, init.stderr
    poll = command("intake", config, "poll", "--once", cwd=there)
    assert poll.returncode == 0, poll.stderr
    assert "1 registrerad " in poll.stdout
    # Then the mail is read back from a third folder: it is in the archive beside the config
    mail = command("casefile", config, "mail", "1", cwd=elsewhere)
    assert mail.returncode == 0, mail.stderr
    assert "slutrapport.docx" in mail.stdout
    assert (etc / "var" / "archive").is_dir()
    assert list((etc / "var" / "outbox").glob("*.eml")), "the kvittens is in the outbox folder"
    # and nothing was created in the working folders
    assert [list(f.iterdir()) for f in (here, there, elsewhere)] == [[], [], []]


def test_every_path_setting_is_anchored_at_the_config_folder(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "casefile.toml"
    config.parent.mkdir()
    config.write_text(
        """
[storage]
path = "archive"
[[mailboxes]]
name = "imap"
host = "127.0.0.1"
ca_file = "certs/ca.pem"
[[mailboxes]]
name = "lokal"
type = "maildir"
path = "../maildir"
[smtp]
ca_file = "certs/smtp-ca.pem"
folder = "outbox"
[oauth2.m365]
provider = "microsoft"
tenant = "t"
client_id = "c"
certificate_file = "keys/cert.pem"
private_key_file = "keys/key.pem"
[oauth2.google]
provider = "google"
key_file = "keys/google.json"
[mail]
templates_dir = "templates"
[service]
lock_path = "run/casefile.lock"
[extraction]
forms = ["forms/a.toml", "/abs/b.toml"]
""",
        encoding="utf-8",
    )
    etc = str(config.parent)
    s = load_settings(config)
    assert s.storage.path == f"{etc}/archive"
    assert s.mailboxes[0].ca_file == f"{etc}/certs/ca.pem"
    assert s.mailboxes[1].path == f"{tmp_path}/maildir"
    assert s.smtp.ca_file == f"{etc}/certs/smtp-ca.pem"
    assert s.smtp.folder == f"{etc}/outbox"
    assert s.oauth2["m365"].certificate_file == f"{etc}/keys/cert.pem"
    assert s.oauth2["m365"].private_key_file == f"{etc}/keys/key.pem"
    assert s.oauth2["google"].key_file == f"{etc}/keys/google.json"
    assert s.mail.templates_dir == f"{etc}/templates"
    assert s.service.lock_path == f"{etc}/run/casefile.lock"
    assert s.extraction.forms == [f"{etc}/forms/a.toml", "/abs/b.toml"]
    # Unset paths stay unset; defaults the file does not name follow the file too
    assert s.mailboxes[1].ca_file is None and s.mailboxes[0].path == ""
    assert s.database.url == f"sqlite:///{etc}/var/casefile.db"


def test_settings_without_a_file_keep_their_paths_as_written() -> None:
    settings = settings_from_dict({"storage": {"path": "var/archive"}})
    assert settings.storage.path == "var/archive"
    assert Settings().service.lock_path == "var/casefile.lock"


def test_the_shipped_configurations_mean_what_they_say() -> None:
    demo = load_settings(ROOT / "config" / "demo.toml")
    var = ROOT / "var" / "demo"
    assert demo.storage.path == str(var / "archive")
    assert demo.mailboxes[0].path == str(var / "maildir")
    assert demo.smtp.folder == str(var / "outbox")
    assert demo.service.lock_path == str(var / "casefile.lock")
    assert demo.database.url == f"sqlite:///{var / 'casefile.db'}"
    example = load_settings(ROOT / "config" / "casefile.example.toml")
    assert example.storage.path == "/var/lib/casefile/archive"
    assert example.service.lock_path == "/var/lib/casefile/casefile.lock"

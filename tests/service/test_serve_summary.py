"""`intake serve` at the demo's log level (WARNING) still says what it does: one line at
start (mailboxes, intervals), one per poll that found mail, the outbox's, one at stop; the
per-message lines stay at INFO."""

from __future__ import annotations

import mailbox
from pathlib import Path

from intake.mail.outcome import Outcome
from tests.service.support import migrated_app, run_intake, write_config
from tests.support.mail import REPORTS, message


def test_serve_at_the_demos_level_says_start_polls_and_stop(db_url: str, tmp_path: Path) -> None:
    # Given a demo-like configuration (Maildir, mail written to a folder, log level WARNING)
    # and two new messages: a report and a note without one
    box = mailbox.Maildir(tmp_path / "maildir")
    report = (REPORTS / "r01_cell_iso_endash.docx").read_bytes()
    box.add(message(attachments=[("slutrapport.docx", report)]).as_bytes())
    box.add(message(subject="Fråga", body="Hej, när kommer beslutet?").as_bytes())
    config = write_config(
        tmp_path,
        db_url,
        [
            {
                "name": "kontakt",
                "type": "maildir",
                "path": str(tmp_path / "maildir"),
                "poll_interval_seconds": 3,
            }
        ],
        {"transport": "folder", "folder": str(tmp_path / "outbox")},
        service={"log_level": "WARNING"},
    )
    migrated_app(config).engine.dispose()
    # When the service runs one cycle
    run = run_intake(config, "serve", "--cycles", "1", timeout=120)
    # Then it said what it serves, what the poll found, what the outbox did, and that it stopped
    assert run.returncode == 0, run.stderr
    lines = [line.split(": ", 1)[1] for line in run.stderr.splitlines()]
    assert any(
        line.startswith("intake serve startar")
        and line.endswith(": brevlådor kontakt var 3 s; utkorgen var 2 s")
        for line in lines
    ), run.stderr
    assert (
        "brevlåda kontakt: 2 nya meddelanden; utfall: ingen rapport 1, registrerad 1; "
        "diarienummer SFG 26-01.01" in lines
    ), run.stderr
    assert any(line.startswith("utkorg: 1 skickade") for line in lines), run.stderr
    assert lines[-1] == "intake serve har stannat efter 1 hämtning", run.stderr
    # and no per-message line: those need INFO
    assert "brevlåda=" not in run.stderr


def test_the_poll_summary_line() -> None:
    from intake.service.jobs import poll_summary

    outcomes = [
        Outcome(uid=i, state="registered", numbers=[f"SFG 26-{i:02d}.01"]) for i in range(12)
    ]
    line = poll_summary("kontakt", [*outcomes, Outcome(uid=99, state="quarantined")], waiting=3)
    assert line == (
        "brevlåda kontakt: 13 nya meddelanden; utfall: i karantän 1, registrerad 12; "
        "diarienummer " + ", ".join(f"SFG 26-{i:02d}.01" for i in range(10)) + " …; "
        "3 väntar till nästa hämtning"
    )
    assert poll_summary("kontakt", [Outcome(uid=1, state="no_report")]) == (
        "brevlåda kontakt: 1 nytt meddelande; utfall: ingen rapport 1"
    )

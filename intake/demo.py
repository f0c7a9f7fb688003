"""Fill a Maildir with sample mail for the demo: reports of every kind, and the awkward cases.

Run as `python -m intake.demo MAILDIR [REPORTS]`; REPORTS defaults to the repository's
invented fixture reports (tests/fixtures/reports).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def _message(
    sender: str,
    subject: str,
    body: str,
    when: dt.datetime,
    files: list[Path] = [],  # noqa: B006 - read only
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "kontakt@finsam-demo.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain="demo.example")
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    for path in files:
        maintype, subtype = ("application", "pdf") if path.suffix == ".pdf" else DOCX
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return msg


def seed(maildir: Path, reports: Path) -> int:
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    stockholm_midnight = dt.datetime(2026, 2, 2, 23, 20, tzinfo=dt.UTC)
    base = dt.datetime(2026, 2, 3, 8, 0, tzinfo=dt.UTC)
    mails = [
        (
            _message(
                "Maja Eklind Sjöberg <maja.eklind-sjoberg@exempelby.example>",
                "Slutrapport Kärnhuset 2.0",
                "Hej! Bifogar vår slutrapport.",
                stockholm_midnight,
                [reports / "r01_cell_iso_endash.docx", reports / "r01_cell_iso_endash.pdf"],
            ),
            stockholm_midnight,
        ),
        (
            _message(
                "Per Holm <per.holm@ovanby.example>",
                "Slutrapport",
                "Slutrapporten för vår insats.",
                base,
                [reports / "r04_row_blocksdt_unsigned_nfd.docx"],
            ),
            base,
        ),
        (
            _message(
                "Lena Ström <lena.strom@region.example>",
                "Rapport",
                "Här är rapporten som PDF.",
                base + dt.timedelta(hours=1),
                [reports / "r03_right_sdt_overspent.pdf"],
            ),
            base + dt.timedelta(hours=1),
        ),
        (
            _message(
                "Ola Nord <ola.nord@kommun.example>",
                "Delrapport",
                "Delrapport bifogad.",
                base + dt.timedelta(hours=2),
                [reports / "r08_row_delrapport.docx"],
            ),
            base + dt.timedelta(hours=2),
        ),
        (
            _message(
                "Frida Ek <frida.ek@kommun.example>",
                "Fråga om ansökan",
                "Hej, när är nästa ansökningsomgång?",
                base + dt.timedelta(hours=3),
            ),
            base + dt.timedelta(hours=3),
        ),
        (
            _message(
                "Per Holm <per.holm@ovanby.example>",
                "Automatiskt svar: Slutrapport",
                "Jag är på semester till den 10 februari.",
                base + dt.timedelta(hours=4),
                headers={"Auto-Submitted": "auto-replied"},
            ),
            base + dt.timedelta(hours=4),
        ),
    ]
    broken = maildir / "tmp" / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 this is not a real Word file")
    mails.append(
        (
            _message(
                "Kim Lund <kim.lund@kommun.example>",
                "Slutrapport (trasig fil)",
                "Bifogar rapporten.",
                base + dt.timedelta(hours=5),
                [broken],
            ),
            base + dt.timedelta(hours=5),
        )
    )
    broken.unlink()
    for i, (msg, when) in enumerate(mails, 1):
        path = maildir / "new" / f"{int(when.timestamp())}.demo{i}.casefile"
        path.write_bytes(bytes(msg))
        # Maildir arrival time is the file's delivery time.
        os.utime(path, (when.timestamp(), when.timestamp()))
    return len(mails)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m intake.demo MAILDIR [REPORTS]", file=sys.stderr)
        return 2
    here = Path(__file__).resolve().parent.parent
    reports = Path(argv[1]) if len(argv) > 1 else here / "tests" / "fixtures" / "reports"
    count = seed(Path(argv[0]), reports)
    print(f"{count} exempelbrev lagda i {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

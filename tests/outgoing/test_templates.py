"""Every template rendered with real register data: numbers, dates and missing items are there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from casefile.app import App
from casefile.config import settings_from_dict
from casefile.db.models import Case, OutboxMail, SourceMessage
from casefile.register import set_due_date
from intake.outgoing import queue_digest, queue_reminders
from intake.outgoing.sender import open_transport
from intake.outgoing.transport import FolderTransport, SmtpTransport
from tests.conftest import make_settings
from tests.outgoing.conftest import build_app, outbox, register
from tests.outgoing.mailparts import html_of, parse, text_of

UNSIGNED_MISSING = [
    {"code": "unsigned", "message": "Avsnitt 8, Uppgiftslämnare, saknar datum och namn."},
    {
        "code": "missing_field",
        "message": "Obligatoriskt fält saknas: E-postadress.",
        "field": "contact_email",
    },
    {
        "code": "missing_field",
        "message": "Obligatoriskt fält saknas: Beviljade medel.",
        "field": "granted_sek",
    },
]


def test_kvittens_names_number_date_title_and_public_record(app: App) -> None:
    """Given a registered slutrapport, the kvittens states all a kvittens must state."""
    register(app, title="Kärnhuset 2.0", organisation="Hudiksvalls kommun")
    [row] = outbox(app)
    msg = parse(row.raw)
    assert msg["Subject"].startswith("[SFG 26-01.01] Kvittens:")
    assert "Kärnhuset 2.0" not in msg["Subject"]  # no sender text in a subject (issue 12)
    for body in (text_of(msg), html_of(msg)):
        assert "SFG 26-01.01" in body
        assert "SFG 26-01" in body
        assert "2026-02-03" in body  # the arrival date
        assert "Kärnhuset 2.0" in body
        assert "Hudiksvalls kommun" in body
        assert "allmän handling" in body
        assert "personuppgifter" in body
        assert "Samordningsförbund Gävleborg" in body  # the signature block
    assert "behöver kompletteras" not in text_of(msg)


def test_komplettering_lists_exactly_what_is_missing(app: App) -> None:
    """Given an unsigned report without e-mail and granted amount, the request names just those."""
    register(app, signed=False, findings=UNSIGNED_MISSING)
    kvittens, komplettering = outbox(app)
    assert kvittens.kind == "kvittens" and komplettering.kind == "komplettering"
    assert "behöver kompletteras" in text_of(parse(kvittens.raw))
    msg = parse(komplettering.raw)
    assert msg["Subject"].startswith("[SFG 26-01.01] Komplettering behövs:")
    text = text_of(msg)
    missing = [line.strip()[2:] for line in text.splitlines() if line.startswith("  - ")]
    assert missing == [
        "Beviljade medel för insatsen (avsnitt 1)",
        "E-postadress (avsnitt 2)",
        "Datum och namn under Uppgiftslämnare (avsnitt 8): rapporten är inte undertecknad",
    ]
    assert "Behåll [SFG 26-01] i ämnesraden" in " ".join(text.split())
    assert "Skriv datum och namn under avsnitt 8" in " ".join(text.split())
    assert "\n  2. Svara på det här meddelandet" in text
    assert "2026-02-03" in text
    html = html_of(msg)
    assert "<li>E-postadress (avsnitt 2)</li>" in html
    assert "Insatsens namn" not in text


def test_paminnelse_names_case_due_date_and_days(app: App) -> None:
    """Given a case due in 14 days, the reminder says when and where to send the report."""
    today = dt.date(2026, 3, 2)
    with app.sessions() as s, s.begin():
        case = Case(
            number="SFG 25-07",
            year=2025,
            serial=7,
            title="SAFE",
            organisation="Bollnäs kommun",
            contact_email="anna.berg@bollnas.test",
            period_end=dt.date(2025, 12, 31),
        )
        s.add(case)
        s.flush()
        set_due_date(s, app.settings, "SFG 25-07", dt.date(2026, 3, 16), "AKH")
        [row] = queue_reminders(s, app.settings, today)
        raw, subject = row.raw, row.subject
    assert subject.startswith("[SFG 25-07] Påminnelse:")
    text = text_of(parse(raw))
    assert "senast 2026-03-16, om 14 dagar" in " ".join(text.split())
    assert "SFG 25-07" in text and "2025-12-31" in text
    assert "kontakt@finsam.test" in text
    assert "2026-03-16" in html_of(parse(raw))


def test_digest_lists_unsigned_quarantined_overdue_and_failed_mail(
    db_url: str, tmp_path: Path
) -> None:
    """Given one of each thing staff must handle, the digest lists each with its number."""
    app = build_app(db_url, tmp_path, reminders={"staff_address": "registrator@finsam.test"})
    register(app, title="SAFE")
    today = dt.date(2026, 3, 2)
    with app.sessions() as s, s.begin():
        s.add(
            Case(
                number="SFG 25-03",
                year=2025,
                serial=3,
                title="Steg för steg",
                organisation="Ljusdals kommun",
                due_date=dt.date(2026, 2, 2),
            )
        )
        s.add(
            SourceMessage(
                mailbox="kontakt",
                folder="INBOX",
                uidvalidity=1,
                uid=7,
                raw_sha256="0" * 64,
                internal_date=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
                sender="okand@exempel.test",
                subject="Rapport?",
                state="quarantined",
                reason="bilagan kunde inte läsas",
            )
        )
        s.query(OutboxMail).update(
            {"state": "failed", "last_error": "RCPT TO: 550 Mailbox unavailable"}
        )
        row = queue_digest(s, app.settings, today)
        assert row is not None
        raw, recipient = row.raw, row.recipient
    assert recipient == "registrator@finsam.test"
    msg = parse(raw)
    assert "Daglig sammanställning 2026-03-02" in msg["Subject"]
    text = text_of(msg)
    assert "SFG 26-01.01" in text and "inkom 2026-02-03" in text
    assert "okand@exempel.test" in text and "bilagan kunde inte läsas" in text
    assert "SFG 25-03" in text and "senast 2026-02-02 (28 dagar sedan)" in text
    assert "misslyckat" in text and "550 Mailbox unavailable" in text
    assert "SFG 25-03" in html_of(msg)


def test_html_is_escaped_and_text_is_not(app: App) -> None:
    """A title with markup is shown as text in HTML and unchanged in the plain part."""
    register(app, title="<b>Steg</b> & <script>alert(1)</script>")
    [row] = outbox(app)
    msg = parse(row.raw)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_of(msg)
    assert "<script>" not in html_of(msg)
    assert "<b>Steg</b> & <script>alert(1)</script>" in text_of(msg)


def test_operator_override_folder_wins_and_defaults_fill_in(db_url: str, tmp_path: Path) -> None:
    """An override for one file changes that file only; the rest come from the package."""
    folder = tmp_path / "mallar"
    folder.mkdir()
    (folder / "kvittens.subject.txt").write_text(
        "Mottagen: {{ subject_title }}\n", encoding="utf-8"
    )
    app = build_app(db_url, tmp_path, mail={"templates_dir": str(folder)})
    register(app)
    [row] = outbox(app)
    assert row.subject == "[SFG 26-01.01] Mottagen: SFG 26-01.01"
    assert "allmän handling" in text_of(parse(row.raw))


def test_broken_override_falls_back_to_the_shipped_template(db_url: str, tmp_path: Path) -> None:
    """A template error in an override must not roll back the registration."""
    folder = tmp_path / "mallar"
    folder.mkdir()
    (folder / "kvittens.txt").write_text("{{ no_such_thing.field }}\n", encoding="utf-8")
    app = build_app(db_url, tmp_path, mail={"templates_dir": str(folder)})
    register(app)
    [row] = outbox(app)
    assert "SFG 26-01.01" in text_of(parse(row.raw))


def test_signature_block_from_config(db_url: str, tmp_path: Path) -> None:
    app = build_app(
        db_url,
        tmp_path,
        mail={"signature": "Anna Registrator\nSamordningsförbund Gävleborg\n026-10 00 00"},
    )
    register(app)
    [row] = outbox(app)
    text = text_of(parse(row.raw))
    assert text.rstrip().endswith("Anna Registrator\nSamordningsförbund Gävleborg\n026-10 00 00")
    assert "\n-- \n" in text


def test_configured_mail_goes_by_smtp_with_starttls_and_to_a_folder_only_when_asked(
    tmp_path: Path,
) -> None:
    """The product's default (not the tests' helper): SMTP on 587 with STARTTLS; the folder
    transport only when the configuration names it."""
    default = settings_from_dict({"smtp": {"from_address": "kontakt@finsam.test"}})
    assert (default.smtp.transport, default.smtp.port, default.smtp.security) == (
        "smtp",
        587,
        "starttls",
    )
    assert isinstance(open_transport(default), SmtpTransport)
    folder = open_transport(make_settings("sqlite://", tmp_path))
    assert isinstance(folder, FolderTransport)
    assert folder.folder == tmp_path / "outbox"


def test_komplettering_for_a_signed_report_with_a_missing_field(app: App) -> None:
    """Only a missing field: the request names it and says nothing about the signature."""
    finding = {"code": "missing_field", "message": "Saknas: Postnummer.", "field": "postal_code"}
    register(app, signed=True, findings=[finding])
    [_, komplettering] = outbox(app)
    text = text_of(parse(komplettering.raw))
    assert "  - Postnummer (avsnitt 2)\n" in text
    assert "avsnitt 8" not in text and "Uppgiftslämnare" not in text

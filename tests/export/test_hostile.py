"""Every export over a register seeded with hostile titles, names, file names and personnummer
spellings (issue 24): no traceback, and nothing that may not leave the office in the public ones
(the diary --public, the board's list, the Finsam sheet, the archive's public titles)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
import re
import signal
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from casefile.db.models import Document
from casefile.register import NewDocument, register_document
from intake.mail.poll import poll_all
from tests.export.conftest import SECRET_TITLE, Filled, run
from tests.support.mail import REPORTS, message

CASEFILE = str(Path(sys.executable).parent / "casefile")
ERMS = "{https://DILCIS.eu/XML/ERMS}"

# Nine spellings of nine people's numbers (distinct dates, so each can be looked for alone).
SPELLINGS = {
    "hyphen": "460312-2217",
    "plus": "120315+1232",
    "en dash": "530827\u20134474",
    "none": "6104153318",
    "space": "750522 9914",
    "dots": "82.09.30-44.33",
    "zero-width": "9\u200b0\u200b1\u200b1\u200b2\u200b2-5585",
    "twelve": "199806147712",
    "luhn fails": "031224-0000",
}
SECRET_REPORT = "Hemlig insats för Lisa Lund"
CANCELLED_SECRET_SENDER = "Greta Gömd <greta@gomd.test>"
NEVER_PUBLIC = ("Lisa Lund", "Greta", "gomd.test", SECRET_TITLE, "Kalle")
HOSTILE_TITLES = [
    r"$\frac{1}{$",  # matplotlib mathtext that does not parse
    "$x^2$ och $$ och \\",
    ' =HYPERLINK("http://evil.test","Klicka")',
    "\n@SUM(1+1)",
    "\t-2+3",
    "\u202eexe.pdf",  # right-to-left override
    "报告" * 150,
]
CJK_NAME = "报" * 130 + ".docx"
NONCHAR_NAME = "Rapport\ufffe\uffff\x07.docx"


def date_parts(spelling: str) -> str:
    digits = "".join(c for c in spelling if c.isdigit())
    return digits[2:8] if len(digits) == 12 else digits[:6]


# A number's date part with anything but letters and digits (or nothing) between its digits.
LEAK_PATTERNS = {
    name: re.compile(r"[^\w]{0,3}".join(date_parts(s))) for name, s in SPELLINGS.items()
}


@dataclass
class Hostile:
    filled: Filled
    mail_id: int
    cases: list[str]


def _report(
    s: object, filled: Filled, title: str, organisation: str, sender: str | None
) -> Document:
    return register_document(
        s,  # type: ignore[arg-type]
        filled.app.settings,
        NewDocument(
            kind="slutrapport",
            received_at=dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC),
            sender=sender,
            title=title,
            organisation=organisation,
            fields={
                "granted_sek": 100000,
                "spent_sek": 90000,
                "period_start": "2026-01-01",
                "period_end": "2026-04-30",
            },
        ),
        actor="AKH",
    )


@pytest.fixture
def hostile(filled: Filled) -> Hostile:
    """The office's register (conftest) plus: a report per personnummer spelling (in its title,
    organisation and sender), reports with hostile titles, a secret report with no public title,
    a cancelled secret document, and a mail whose report attachments have a name with
    non-characters and one of 130 Chinese characters."""
    cases: list[str] = []
    with filled.app.sessions() as s, s.begin():
        for i, (name, spelling) in enumerate(SPELLINGS.items()):
            doc = _report(s, filled, f"Insats för {spelling}", f"Förening {spelling} ({name})",
                          f"Person {spelling} <p{i}@ex{i}.test>")  # fmt: skip
            cases.append(doc.case.number)
        for title in HOSTILE_TITLES:
            # No sender: the diary shows the organisation as the party, a cell of its own.
            _report(s, filled, title, title, None)
        secret = _report(s, filled, SECRET_REPORT, "Hemliga kommunen", "lisa@lund.test")
        cancelled = register_document(
            s,
            filled.app.settings,
            NewDocument(
                kind="skrivelse",
                received_at=dt.datetime(2026, 5, 5, 8, 0, tzinfo=dt.UTC),
                sender=CANCELLED_SECRET_SENDER,
                title="Gretas skrivelse",
                organisation="",
            ),
            actor="AKH",
        )
        secret_ref, cancelled_ref = secret.diarienummer, cancelled.diarienummer
        cases.append(secret.case.number)
    for args in (
        ("secrecy", secret_ref, "--provision", "OSL 26 kap. 1 §"),
        ("secrecy", cancelled_ref, "--provision", "OSL 26 kap. 1 §", "--public-title", "Skrivelse"),
        ("cancel", cancelled_ref, "--reason", "Registrerad två gånger"),
    ):
        code, _, err = run(filled.config, *args, "--by", "AKH")
        assert code == 0, (args, err)
    raw = bytes(
        message(
            sender="Olle Okänd <olle@udda.test>",
            subject="Två rapporter",
            attachments=[
                (NONCHAR_NAME, (REPORTS / "r02_row_compact_nbsp.docx").read_bytes()),
                (CJK_NAME, (REPORTS / "r05_cell_missing_section8_underspent.docx").read_bytes()),
            ],
        )
    )
    filled.account.append(raw, dt.datetime(2026, 5, 6, 9, 0, tzinfo=dt.UTC))
    assert all(r.ok for r in poll_all(filled.app))
    with filled.app.sessions() as s:
        doc = s.scalars(select(Document).where(Document.sender.like("%olle@udda.test%"))).first()
        assert doc is not None and doc.source_message_id is not None
        cases.append(doc.case.number)
        return Hostile(filled, doc.source_message_id, cases)


def texts_of(path: Path) -> str:
    """Every text an output holds: a plain file, every member of a DOCX/XLSX/zip, every file of
    a folder; decoded, XML and HTML entities resolved, invisible characters removed."""
    blobs: list[bytes] = []
    if path.is_dir():
        blobs = [p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()]
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            blobs = [z.read(n) for n in z.namelist()]
    else:
        blobs = [path.read_bytes()]
    text = "\n".join(html.unescape(b.decode("utf-8", "ignore")) for b in blobs)
    return "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn"))


def assert_no_leak(text: str, where: str) -> None:
    for name, pattern in LEAK_PATTERNS.items():
        assert not pattern.search(text), (where, name)
    for secret in NEVER_PUBLIC:
        assert secret not in text, (where, secret)


def assert_no_formula(cells: list[str]) -> None:
    for cell in cells:
        rest = cell.lstrip()
        if rest[:1] in ("=", "+", "-", "@") and not re.fullmatch(r"[-+]?\d+([.,]\d+)?", rest):
            assert cell.startswith("'"), cell


EXPORTS = [
    ("diary", "csv", True),
    ("diary", "xlsx", True),
    ("diary", "json", True),
    ("diary", "csv", False),
    ("diary", "xlsx", False),
    ("diary", "json", False),
    ("board", "docx", True),
    ("board", "html", True),
    ("finsam", "csv", True),
    ("finsam", "xlsx", True),
]


@pytest.mark.parametrize(("kind", "fmt", "public"), EXPORTS)
def test_every_export_survives_hostile_text_and_leaks_nothing(
    hostile: Hostile, tmp_path: Path, kind: str, fmt: str, public: bool
) -> None:
    """Given the hostile register, when the export runs, then it exits 0 with one line, and a
    public one holds no personnummer in any of the nine spellings, no secret title and not the
    sender of a cancelled secret document; CSV cells never start a formula."""
    out = tmp_path / f"ut.{fmt}"
    period = ["--year", "2026"] if kind == "finsam" else ["--from", "2026-01-01", "--to",
                                                          "2026-12-31"]  # fmt: skip
    extra = ["--public"] if kind == "diary" and public else []
    code, stdout, err = run(hostile.filled.config, "export", kind, *period, *extra, "--output",
                            str(out))  # fmt: skip
    assert code == 0, err
    assert "Traceback" not in err and stdout.count("\n") == 1
    text = texts_of(out)
    if public:
        assert_no_leak(text, f"{kind} {fmt}")
    if fmt == "csv":
        data = out.read_bytes().decode("utf-8-sig")
        cells = [v for r in csv.reader(io.StringIO(data, newline="")) for v in r]
        assert any("HYPERLINK" in c for c in cells)
        assert_no_formula(cells)
        if not public:  # the office's own listing holds everything, as before
            assert SPELLINGS["hyphen"] in text and SECRET_REPORT in text
    if kind == "diary" and fmt == "json":
        assert len(json.loads(out.read_text(encoding="utf-8"))) > 20


@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_archive_takes_any_file_name_and_keeps_public_titles_public(
    hostile: Hostile, tmp_path: Path, suffix: str
) -> None:
    """Given attachments named with U+FFFE and with 130 Chinese characters, when their case is
    archived (folder and zip), then the export succeeds, every file name is at most 100 bytes
    of UTF-8 with its extension and no non-character, each original name is in erms.xml, and
    no public title holds a personnummer or a secret title."""
    out = tmp_path / f"paket{suffix}"
    code, _, err = run(hostile.filled.config, "export", "archive", *hostile.cases, "--output",
                       str(out))  # fmt: skip
    assert code == 0, err
    if suffix:
        with zipfile.ZipFile(out) as z:
            names = z.namelist()
            erms = etree.parse(io.BytesIO(z.read(next(n for n in names if n.endswith("erms.xml")))))
    else:
        names = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
        erms = etree.parse(str(out / "metadata" / "descriptive" / "erms.xml"))
    files = [n.rsplit("/", 1)[-1] for n in names]
    assert all(len(f.encode("utf-8")) <= 100 for f in files), files
    assert not any("\ufffe" in f or "\uffff" in f for f in files)
    docx = [f for f in files if f.endswith(".docx")]
    assert len(docx) == 2 and any(f.startswith("报") for f in docx)
    originals = {a.get("name") for a in erms.iter(f"{ERMS}appendix")}
    # As intake stored them (its text cleaning turned the bell into a space).
    assert CJK_NAME in originals
    assert any(n and n.startswith("Rapport") and n.endswith(".docx") for n in originals)
    public = " ".join(
        t.text or "" for t in erms.iter(f"{ERMS}otherTitle") if t.get("titleType") == "public_title"
    )
    assert "Sekretess" in public  # the secret report, which has no public title
    assert_no_leak(public, "archive public titles")


def test_mail_save_takes_any_file_name(hostile: Hostile, tmp_path: Path) -> None:
    """Given the same mail, when its attachments are saved, then both are saved (no "File name
    too long") under safe names with their contents unchanged."""
    folder = tmp_path / "sparat"
    code, out, err = run(hostile.filled.config, "mail", str(hostile.mail_id), "--save",
                         str(folder), "--json")  # fmt: skip
    assert code == 0, err
    saved = [Path(a["saved_as"]) for a in json.loads(out)["attachments"]]
    assert len(saved) == 2
    assert all(p.parent == folder and len(p.name.encode("utf-8")) <= 100 for p in saved)
    assert (
        saved[1].read_bytes()
        == (REPORTS / "r05_cell_missing_section8_underspent.docx").read_bytes()
    )


def _killed_export(config: str, *args: str, fault: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEFILE_FAULT": fault}
    return subprocess.run(
        [CASEFILE, "--config", config, "export", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sigkill_during_a_folder_export_leaves_no_package(filled: Filled, tmp_path: Path) -> None:
    """Given an archive export killed (SIGKILL) after its data files and before METS.xml, then
    the output folder is not there (or still empty): a package without METS.xml never exists;
    the export run again succeeds."""
    new, empty = tmp_path / "paket", tmp_path / "tom"
    empty.mkdir()
    for out in (new, empty):
        killed = _killed_export(filled.config, "archive", "SFG 26-01", "--output", str(out),
                                fault="export_archive_before_mets")  # fmt: skip
        assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not new.exists()
    assert list(empty.iterdir()) == []
    for out in (new, empty):
        code, _, err = run(filled.config, "export", "archive", "SFG 26-01", "--output", str(out))
        assert code == 0, err
        assert (out / "METS.xml").is_file()


def test_sigkill_before_a_diary_file_is_in_place_keeps_the_old_one(
    filled: Filled, tmp_path: Path
) -> None:
    """Given last month's diary.xlsx, when a new export is killed after writing and before the
    rename, then the old file is there unchanged, whole."""
    out = tmp_path / "diarium.xlsx"
    out.write_bytes(b"old listing")
    killed = _killed_export(filled.config, "diary", "--from", "2026-01-01", "--to", "2026-12-31",
                            "--output", str(out), fault="export_before_replace")  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert out.read_bytes() == b"old listing"


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_chart_labels_are_plain_text(title: str) -> None:
    """Given an insats named with mathtext that does not parse, then the chart is drawn."""
    from casefile.export.board import BoardReport, BoardRow, chart_png

    report = BoardReport("Kontoret", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    row = BoardRow("SFG 26-01.01", dt.date(2026, 2, 3), "slutrapport", title, "Org", "", 10, 5,
                   True, False)  # fmt: skip
    report.rows.append(row)
    assert chart_png(report).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "cell", [" =1+1", "\n=HYPERLINK(1)", "\r\n+SUM(A1)", "  -2+3", "\t@x", "\u200b=1", "\uff1d1"]
)
def test_formula_after_leading_whitespace_is_guarded(cell: str) -> None:
    from casefile.export.common import spreadsheet_safe

    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (CJK_NAME, "报" * 31 + ".docx"),  # 31 × 3 + 5 = 98 bytes; one more would be 101
        (NONCHAR_NAME, "Rapport.docx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\CON.txt", "_CON.txt"),
        ("\u202egpj.exe", "gpj.exe"),
        ("  . ", "fallback"),
        ("a" * 300, "a" * 100),
        ("rapport." + "x" * 40, "rapport." + "x" * 40),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    from casefile.filenames import safe_filename

    got = safe_filename(name, "fallback")
    assert len(got.encode("utf-8")) <= 100
    assert got == expected

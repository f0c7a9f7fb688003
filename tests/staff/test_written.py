"""What the office writes (`casefile register --direction out|internal`), the files of every
registered document (`casefile file`, the e-archive package), and the files `register` refuses:
on a register that the real intake path filled (see conftest)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from lxml import etree
from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Document, OutboxMail, StoredFile
from intake.outgoing.reminders import plan_reminders
from tests.export.schemas import erms_schema
from tests.staff.conftest import REPORTS, run

ERMS = "{https://DILCIS.eu/XML/ERMS}"


def letter(path: Path) -> Path:
    """The office's own letter about a report: its first lines read like a report's title."""
    document = docx.Document()
    document.add_paragraph("Exempelby samordningsförbund")
    document.add_paragraph("Angående slutrapporten för Språkstegen")
    document.add_paragraph("Vi har tagit del av er delrapport. Slutrapporten ska in senast 1 mars.")
    document.save(str(path))
    return path


# The paper Eva Ek handed in for SFG 26-03, and the office's letter back to her.
PAPER_FROM_EVA = ("--from", "Eva Ek", "--received", "2026-02-11", "--case", "SFG 26-03")
LETTER_TO_EVA = (
    "--direction", "out", "--to", "Eva Ek", "--date", "2026-02-12", "--case", "SFG 26-03",
)  # fmt: skip


def registered(config_file: str, path: Path, *args: str) -> Path:
    """`casefile register <path> <args>`, which must succeed; returns the path."""
    code, _, err = run(config_file, "register", str(path), *args)
    assert code == 0, err
    return path


def outbox(app: App) -> list[tuple[str, str | None]]:
    with app.sessions() as s:
        return [
            (o.kind, o.recipient) for o in s.scalars(select(OutboxMail).order_by(OutboxMail.id))
        ]


def test_outgoing_letter_about_the_slutrapport_is_not_read_as_one(
    config_file: str, filled: App, tmp_path: Path
) -> None:
    """Given SFG 26-04 overdue on 2027-03-02 (a delrapport only), when the office registers its
    own letter that mentions "slutrapporten" as outgoing into the case, then the letter is a
    beslut with no fields and no findings, the case stays overdue with no "Slutrapporten har
    kommit in", and no reminder run queues a completion request about it; no mail is queued."""
    before = outbox(filled)
    code, out, err = run(
        config_file,
        "register",
        str(letter(tmp_path / "beslut.docx")),
        "--direction",
        "out",
        "--kind",
        "beslut",
        "--to",
        "Lisa Å <lisa@alvby.test>",
        "--date",
        "2026-02-12",
        "--case",
        "SFG 26-04",
        "--title",
        "Beslut om slutredovisning",
        "--json",
    )
    assert code == 0, err
    (result,) = json.loads(out)
    assert (result["diarienummer"], result["kind"], result["queued_mail"]) == (
        "SFG 26-04.02",
        "beslut",
        None,
    )
    with filled.sessions() as s:
        doc = s.scalars(select(Document).where(Document.diarienummer == "SFG 26-04.02")).one()
        assert (doc.direction, doc.fields, doc.findings, doc.status) == (
            "out",
            {},
            [],
            "registered",
        )
        assert doc.sender == "lisa@alvby.test"
        assert doc.received_date == dt.date(2026, 2, 12)
        planned = plan_reminders(s, filled.settings, dt.date(2027, 3, 2))
    mine = [(p.kind, p.document_number) for p in planned if p.case_number == "SFG 26-04"]
    assert mine == [("paminnelse", None)]
    code, out, _ = run(config_file, "overdue", "--date", "2027-03-02", "--json")
    assert [row["case"] for row in json.loads(out)] == ["SFG 26-04"]
    _code, out, _ = run(config_file, "show", "SFG 26-04")
    assert "Slutrapporten har kommit in" not in out and "beslut" in out
    assert outbox(filled) == before


def test_internal_note_is_a_tjansteanteckning_and_demands_to_and_date(
    config_file: str, filled: App, tmp_path: Path
) -> None:
    paper = letter(tmp_path / "anteckning.docx")
    code, out, err = run(
        config_file,
        "register",
        str(paper),
        "--direction",
        "internal",
        "--to",
        "Akten",
        "--date",
        "idag",
        "--case",
        "SFG 26-01",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)[0]["kind"] == "tjansteanteckning"
    _code, out, _ = run(config_file, "show", "SFG 26-01")
    assert "tjänsteanteckning" in out
    refused = {
        "no --to": ("--direction", "out", "--date", "idag"),
        "no --date": ("--direction", "out", "--to", "Bollnäs kommun"),
        "--from for out": ("--direction", "out", "--to", "X", "--date", "idag", "--from", "Y"),
        "--acknowledge for out": (
            "--direction",
            "out",
            "--to",
            "a@b.test",
            "--date",
            "idag",
            "--acknowledge",
        ),
        "a report kind": (
            "--direction",
            "out",
            "--to",
            "X",
            "--date",
            "idag",
            "--kind",
            "slutrapport",
        ),
        "--to for in": ("--from", "X", "--received", "idag", "--to", "Y"),
        "no --from for in": ("--received", "idag"),
    }
    for why, args in refused.items():
        code, _, err = run(config_file, "register", str(paper), *args)
        assert code == 2, why
        assert "Traceback" not in err
    code, _, err = run(config_file, "register", str(paper), "--direction", "out", "--date", "idag")
    assert "--to behövs" in err
    code, _, err = run(
        config_file,
        "register",
        str(paper),
        "--direction",
        "out",
        "--to",
        "X",
        "--date",
        "idag",
        "--from",
        "Y",
    )
    assert "--from gäller bara inkommande handlingar" in err


def _register_in_child(
    config_file: str, path: str, memory: int
) -> subprocess.CompletedProcess[str]:
    """`casefile register PATH` in a child process whose address space is capped: reading a
    huge file whole would fail there, not take the test machine's memory."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from casefile.cli import main; main()",
            "--config",
            config_file,
            "register",
            path,
            "--from",
            "Eva",
            "--received",
            "idag",
            "--title",
            "Post",
        ],
        capture_output=True,
        text=True,
        preexec_fn=cap,
        env={**os.environ, "CASEFILE_USER": "AKH", "CASEFILE_LANG": "sv"},
        check=False,
    )


def test_register_refuses_what_is_not_a_regular_file(
    config_file: str, filled: App, tmp_path: Path
) -> None:
    """A FIFO (which would hang), a folder and a device are refused with one Swedish line."""
    fifo = tmp_path / "rör"
    os.mkfifo(fifo)
    for path, words in (
        (fifo, "ingen vanlig fil"),
        (tmp_path, "är en mapp"),
        (tmp_path / "borta.pdf", "finns inte"),
    ):
        code, out, err = run(
            config_file,
            "register",
            str(path),
            "--from",
            "Eva",
            "--received",
            "idag",
            "--title",
            "Post",
        )
        assert code == 1 and out == ""
        assert err.startswith("fel: ") and words in err and len(err.strip().splitlines()) == 1
    with filled.sessions() as s:
        assert s.scalar(select(Document.id).where(Document.title == "Post")) is None


def test_register_checks_the_size_before_reading(
    config_file: str, filled: App, tmp_path: Path
) -> None:
    """Given a 2 GB sparse file and /dev/zero, when registered by a process that cannot hold
    1 GB, then the file is refused as too large and the device as not a regular file: neither
    is read."""
    sparse = tmp_path / "stor.pdf"
    with sparse.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    done = _register_in_child(config_file, str(sparse), 1024**3)
    assert done.returncode == 1, done.stderr
    assert "för stor" in done.stderr and "Traceback" not in done.stderr
    done = _register_in_child(config_file, "/dev/zero", 1024**3)
    assert done.returncode == 1 and "ingen vanlig fil" in done.stderr, done.stderr


def test_every_registered_file_can_be_listed_and_saved(
    config_file: str, filled: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given a report by mail, a paper report registered by hand and an outgoing letter, when
    `casefile file` lists and saves them, then each shows its name, size, SHA-256 prefix and way
    in; each is a row of stored_files with that size; the saved copies equal what was registered,
    and saving again never overwrites."""
    paper = tmp_path / "Steget vidare.docx"
    paper.write_bytes((REPORTS / "r03_right_sdt_overspent.docx").read_bytes())
    registered(config_file, paper, *PAPER_FROM_EVA, "--channel", "hand")
    registered(config_file, letter(tmp_path / "brev till Eva.docx"), *LETTER_TO_EVA)
    code, out, err = run(config_file, "file", "SFG 26-03", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["diarienummer"], r["part"], r["way_in"]) for r in rows] == [
        ("SFG 26-03.01", "message", "e-post (brevet)"),
        ("SFG 26-03.01", "attachment", "e-post (bilaga)"),
        ("SFG 26-03.02", "file", "personligen"),
        ("SFG 26-03.03", "file", "utgående"),
    ]
    assert rows[1]["name"] == "SAFE.docx" and rows[2]["name"] == "Steget vidare.docx"
    assert rows[2]["sha256"] == hashlib.sha256(paper.read_bytes()).hexdigest()
    with filled.sessions() as s:
        for r in rows:
            assert s.get(StoredFile, r["sha256"]).size == r["size"]  # type: ignore[union-attr]

    code, out, err = run(config_file, "file", "SFG 26-03.02", columns=80)
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert rows[2]["sha256"][:12] in out and f"{paper.stat().st_size} byte" in out
    assert "personligen" in out and "SFG 26-03.03" not in out
    monkeypatch.setenv("CASEFILE_LANG", "en")
    code, out, _ = run(config_file, "file", "SFG 26-03.02")
    assert out.splitlines()[0].split() == ["Document", "File", "Size", "SHA-256", "Way", "in"]
    assert "by hand" in out
    monkeypatch.delenv("CASEFILE_LANG")

    target = tmp_path / "hämtat"
    for _ in range(2):
        code, out, err = run(config_file, "file", "SFG 26-03.02", "--save", str(target), "--json")
        assert code == 0, err
    assert sorted(p.name for p in target.iterdir()) == [
        "Steget vidare (2).docx",
        "Steget vidare.docx",
    ]
    assert (target / "Steget vidare.docx").read_bytes() == paper.read_bytes()
    code, _, err = run(config_file, "file", "SFG 26-03.09")
    assert code == 1 and "SFG 26-03.09" in err
    blob = filled.archive.path_for(rows[2]["sha256"])
    blob.chmod(0o640)
    blob.write_bytes(b"not the paper")
    code, _, err = run(config_file, "file", "SFG 26-03.02", "--save", str(tmp_path / "igen"))
    assert code == 1 and err.strip() == (
        f"fel: arkivfilen {rows[2]['sha256']} är skadad; inget mer sparades"
    )


def test_archive_package_holds_files_registered_by_hand_and_checks_them(
    config_file: str, filled: App, tmp_path: Path
) -> None:
    """Given a case with a report by mail and a paper registered by hand, when it is exported as
    an e-archive package, then every file is in the package and an appendix of its ERMS record
    (and the outgoing letter's); when a stored file is changed on disk, the export fails with
    one line naming it and leaves no package."""
    paper = tmp_path / "post.docx"
    paper.write_bytes((REPORTS / "r03_right_sdt_overspent.docx").read_bytes())
    registered(config_file, paper, *PAPER_FROM_EVA)
    output = tmp_path / "paket"
    code, out, err = run(config_file, "export", "archive", "SFG 26-03", "--output", str(output))
    assert code == 0, err
    assert "1 ärende och 3 filer" in out
    data = output / "representations" / "rep1" / "data" / "SFG 26-03"
    assert (data / "SFG 26-03.02" / "post.docx").read_bytes() == paper.read_bytes()
    erms = etree.parse(str(output / "metadata" / "descriptive" / "erms.xml"))
    appendices = {
        record.findtext(f"{ERMS}objectId"): [a.get("name") for a in record.iter(f"{ERMS}appendix")]
        for record in erms.iter(f"{ERMS}record")
    }
    assert appendices["SFG 26-03.02"] == ["post.docx"]
    registered(config_file, letter(tmp_path / "brev.docx"), *LETTER_TO_EVA)

    digest = hashlib.sha256(paper.read_bytes()).hexdigest()
    blob = filled.archive.path_for(digest)
    blob.chmod(0o640)
    blob.write_bytes(paper.read_bytes() + b"changed")
    again = tmp_path / "paket2"
    code, out, err = run(config_file, "export", "archive", "SFG 26-03", "--output", str(again))
    assert code == 1 and out == ""
    assert err.strip() == f"fel: arkivfilen {digest} är skadad"
    assert not again.exists() or not any(again.iterdir())
    blob.write_bytes(paper.read_bytes())
    code, out, err = run(config_file, "export", "archive", "SFG 26-03", "--output", str(again))
    assert code == 0 and "1 ärende och 4 filer" in out, err
    assert (again / data.relative_to(output) / "SFG 26-03.03" / "brev.docx").exists()
    erms = etree.parse(str(again / "metadata" / "descriptive" / "erms.xml"))
    assert erms_schema().validate(erms), erms_schema().error_log

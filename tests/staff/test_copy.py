"""`casefile copy REF`: a registration copy (diarienummer, arrival date, the officer's
signature) of a document registered by hand, in a new file; the archived original unchanged."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pdfminer.high_level import extract_text
from sqlalchemy import select

from casefile.app import App
from casefile.cli import cli
from casefile.db.models import Document
from intake.extract.api import DEFAULT_LIMITS, extract_path
from tests.support.mail import REPORTS
from tests.support.toml import write_config


@pytest.fixture
def config(app: App, tmp_path: Path) -> str:
    s = app.settings
    return str(
        write_config(
            tmp_path / "casefile.toml",
            {"database": {"url": s.database.url}, "storage": {"path": s.storage.path}},
        )
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """The current folder, where a copy without --output goes."""
    folder = tmp_path / "arbete"
    folder.mkdir()
    before = Path.cwd()
    os.chdir(folder)
    yield folder
    os.chdir(before)


def run(config: str, *args: str, lang: str | None = None) -> tuple[int, str, str]:
    env = {"CASEFILE_USER": "AKH", "CASEFILE_LANG": lang}
    result = CliRunner(env=env).invoke(cli, ["--config", config, *args])
    return result.exit_code, result.stdout, result.stderr


def register(config: str, path: Path, received: str, *extra: str) -> str:
    code, out, err = run(
        config,
        "register",
        str(path),
        "--from",
        "anna.berg@bollnas.test",
        "--received",
        received,
        "--json",
        *extra,
    )
    assert code == 0, err
    (result,) = json.loads(out)
    return str(result["diarienummer"])


def archived(app: App, config: str, number: str) -> Path:
    """The archive's file of the document registered by hand (an e-signed one also has its
    validation report beside it)."""
    code, out, err = run(config, "file", number, "--json")
    assert code == 0, err
    (stored,) = [f for f in json.loads(out) if f["part"] == "file"]
    return app.archive.path_for(stored["sha256"])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def signed_date(app: App, number: str) -> str:
    with app.sessions() as s:
        doc = s.scalars(select(Document).where(Document.diarienummer == number)).one()
        assert doc.signed_at is not None
        return doc.signed_at.astimezone(app.settings.registry.zone).date().isoformat()


def registration_read_back(path: Path) -> tuple[str, str, str]:
    """The registration box's three values as the intake extractor reads the copy."""
    from intake.extract import extract_bytes

    fields = extract_bytes(path.read_bytes(), path.name).fields
    return fields["reference"], fields["received_date"], fields["registrar_signature"]


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_signed_pdf_copy_has_the_registration_and_leaves_the_original(
    app: App, config: str, workdir: Path
) -> None:
    """Given a PDF report registered by hand on 2026-02-03 and signed by AKH, when the office
    makes a registration copy twice, then each copy is a new file in the current folder whose
    first page reads the diarienummer, the arrival date and "AKH <date>" (also as the extractor
    reads the registration box back), the second copy does
    not overwrite the first, and the archived original is byte-identical."""
    number = register(config, REPORTS / "r01_cell_iso_endash.pdf", "2026-02-03")
    original = archived(app, config, number)
    before = sha256(original)
    code, _, err = run(config, "sign", number)
    assert code == 0, err

    code, out, err = run(config, "copy", number)
    assert code == 0, err
    first = workdir / f"{number}-registreringskopia.pdf"
    assert out == f"registreringskopia: {first}\n"
    text = extract_text(str(first), page_numbers=[0])
    assert number in text
    assert "Ankomstdatum: 2026-02-03" in text
    assert f"Signatur: AKH {signed_date(app, number)}" in text
    assert registration_read_back(first) == (
        number,
        "2026-02-03",
        f"AKH {signed_date(app, number)}",
    )

    code, out, err = run(config, "copy", number)
    assert code == 0, err
    second = workdir / f"{number}-registreringskopia-2.pdf"
    assert out == f"registreringskopia: {second}\n"
    assert extract_text(str(second), page_numbers=[0]) == text
    assert first.read_bytes() != second.read_bytes()  # each its own revision
    assert sha256(original) == before == sha256(REPORTS / "r01_cell_iso_endash.pdf")


def test_docx_copy_fills_the_empty_registration_box(
    app: App, config: str, workdir: Path, tmp_path: Path
) -> None:
    """Given an unsigned DOCX report whose registration box is empty, when the office makes a
    copy with --output, then the box's cells (and the extractor reading the copy) hold the
    diarienummer, the arrival date and "ej signerad", nothing else is added at the top, the
    original is unchanged, and --output never overwrites an existing file."""
    source = REPORTS / "r07_cell_unregistered_inconsistent.docx"
    number = register(config, source, "2026-02-04")
    original = archived(app, config, number)
    target = tmp_path / "kopia.docx"

    code, out, err = run(config, "copy", number, "--output", str(target), "--json")
    assert code == 0, err
    assert json.loads(out)["in_registration_box"] is True
    box = [c.text for c in docx.Document(str(target)).tables[0].rows[0].cells]
    assert box == [
        f"Diarienummer\n{number}",
        "Signatur\nej signerad",
        "Ankomstdatum\n2026-02-04",
    ]
    assert docx.Document(str(target)).paragraphs[0].text == "Slutrapport"
    assert registration_read_back(target) == (number, "2026-02-04", "ej signerad")
    assert sha256(original) == sha256(source)

    code, out, err = run(config, "copy", number, "--output", str(target))
    assert (code, out) == (1, "")
    assert err == f"fel: {target} finns redan; skriver inte över\n"


def test_docx_with_a_filled_box_keeps_it_and_says_it_at_the_top(
    app: App, config: str, workdir: Path
) -> None:
    """Given a DOCX report whose registration box holds the sender's old values, when the
    office makes a copy, then those values stay and the registration is the first paragraph."""
    number = register(config, REPORTS / "r01_cell_iso_endash.docx", "2026-02-05")
    code, out, err = run(config, "copy", number)
    assert code == 0, err
    path = workdir / f"{number}-registreringskopia.docx"
    assert out == f"registreringskopia: {path}\n"
    assert docx.Document(str(path)).paragraphs[0].text == (
        f"Diarienummer: {number}   Ankomstdatum: 2026-02-05   Signatur: ej signerad"
    )
    assert "Diarienummer\nSFG 24-08.04" in docx_text(path)


def test_e_signed_pdf_copy_says_the_signature_is_not_carried(
    app: App, config: str, workdir: Path, tmp_path: Path
) -> None:
    """Given a PAdES-signed PDF registered by hand, when the office makes a copy, then the
    output line says the copy does not carry the original's e-signature (in English under
    CASEFILE_LANG=en) and the original's bytes are unchanged."""
    from tools.fixtures.make_signed import make_pki, sign

    pki = make_pki()
    signed = tmp_path / "signerad.pdf"
    signed.write_bytes(
        sign((REPORTS / "r01_cell_iso_endash.pdf").read_bytes(), pki.person, [pki.root])
    )
    number = register(config, signed, "2026-02-06")
    original = archived(app, config, number)
    code, out, err = run(config, "copy", number)
    assert code == 0, err
    path = workdir / f"{number}-registreringskopia.pdf"
    assert out == f"registreringskopia: {path} (kopian bär inte originalets e-underskrift)\n"
    code, out, err = run(config, "copy", number, lang="en")
    assert code == 0, err
    assert out.endswith("(the copy does not carry the original's e-signature)\n")
    assert original.read_bytes() == signed.read_bytes()
    # ... and still validates: intact, trusted, unchanged since signing.
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki.root.pem())
    limits = dataclasses.replace(DEFAULT_LIMITS, trust_roots=(str(roots),))
    assert extract_path(original, limits).signature_status == "e_signed"
    # Registered by hand, the signature was checked too; its report is kept beside it.
    code, out, err = run(config, "file", number, "--json")
    assert code == 0, err
    [report] = [f for f in json.loads(out) if f["part"] == "validation_report"]
    assert report["name"] == "signerad.valideringsrapport.json"
    checked = json.loads(app.archive.get(report["sha256"]))
    assert checked["document_sha256"] == sha256(signed)
    assert [s["signer"] for s in checked["signatures"]] == ["Katarina Gröndahl"]
    # `show` names the kept report: a line per document, and a key in --json.
    case = number.rsplit(".", 1)[0]
    code, out, err = run(config, "show", case, "--json")
    assert code == 0, err
    [shown] = [d for d in json.loads(out)["documents"] if d["diarienummer"] == number]
    kept_report = shown["validation_report"]
    assert (kept_report["filename"], kept_report["sha256"]) == (report["name"], report["sha256"])
    assert kept_report["checked_at"] == checked["checked_at"]
    line = f"valideringsrapport sparad: {report['name']} ({report['sha256'][:12]})"
    code, out, err = run(config, "show", case)
    assert code == 0, err
    assert f"  {number}: {line}" in out.splitlines()
    code, out, err = run(config, "show", case, lang="en")
    assert code == 0, err
    assert f"validation report kept: {report['name']}" in out
    # ... and travels with it into the e-archive package.
    package = tmp_path / "paket"
    code, out, err = run(config, "export", "archive", case, "--output", str(package))
    assert code == 0, err
    kept = [p for p in package.rglob("*.valideringsrapport.json")]
    assert len(kept) == 1 and kept[0].read_bytes() == app.archive.get(report["sha256"])


def test_other_file_types_give_one_line(
    app: App, config: str, workdir: Path, tmp_path: Path
) -> None:
    """Given a plain text file registered by hand, when the office asks for a copy, then one
    Swedish line says a copy can be made of PDF and DOCX, and no file is written."""
    note = tmp_path / "anteckning.txt"
    note.write_text("Samtal med Anna Berg om slutrapporten.\n", encoding="utf-8")
    number = register(config, note, "2026-02-07", "--title", "Telefonsamtal")
    code, out, err = run(config, "copy", number)
    assert (code, out) == (1, "")
    assert err == ("fel: en registreringskopia kan bara göras av PDF och DOCX (anteckning.txt)\n")
    assert list(workdir.iterdir()) == []


def test_a_value_in_a_content_control_is_never_overwritten() -> None:
    """Given a form whose registration box holds its values in content controls (python-docx's
    cell text does not show them), when the copy is made, then no box cell gets a second value
    and the registration goes to the top instead."""
    from casefile.registration_copy import Registration, fill_docx

    source = (REPORTS / "r03_right_sdt_overspent.docx").read_bytes()
    reg = Registration("SFG 26-02.01", "2026-02-04", "ej signerad")
    data, in_box = fill_docx(source, reg)
    assert in_box is False
    document = docx.Document(io.BytesIO(data))
    assert document.paragraphs[0].text == reg.line()
    assert "SFG 26-02.01" not in "".join(
        c.text for t in document.tables for row in t.rows for c in row.cells
    )

"""E-signatures on reports (issue 29): every PDF signature validated offline in the isolated
worker, the typed section 8 as evidence, one `signature_status` from the strongest.

The PKI and the signed reports are made at test time (tools/fixtures/make_signed.py, into a
temporary folder, certificates valid 2020–2120), so nothing here expires."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import FIXTURES

from intake.commands.extract import run_extract
from intake.extract.api import DEFAULT_LIMITS, extract_path
from intake.extract.model import Extraction
from intake.extract.signatures import describe, signer_kind, status_of

REPO = Path(__file__).resolve().parents[2]
UNSIGNED_REPORT = FIXTURES / "r04_row_blocksdt_unsigned_nfd.pdf"


def load_make_signed() -> ModuleType:
    path = REPO / "tools" / "fixtures" / "make_signed.py"
    spec = importlib.util.spec_from_file_location("make_signed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_signed"] = module
    spec.loader.exec_module(module)
    return module


make_signed = load_make_signed()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Signed variants of the report whose section 8 is empty (r04)."""
    paths: dict[str, Path] = make_signed.write_all(
        UNSIGNED_REPORT, tmp_path_factory.mktemp("signed")
    )
    return paths


def extract(path: Path, roots: tuple[Path, ...] = ()) -> Extraction:
    """Through the isolated worker, as intake runs it."""
    limits = dataclasses.replace(DEFAULT_LIMITS, trust_roots=tuple(str(r) for r in roots))
    return extract_path(path, limits)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("person.pdf", "e_signed"),
        ("person_no_ts.pdf", "e_signed"),
        ("seal.pdf", "e_signed"),
        ("two.pdf", "e_signed"),
        ("field_filled.pdf", "e_signed"),
        ("untrusted.pdf", "e_signed_unverified"),
        ("tampered.pdf", "e_signature_broken"),
        ("changed.pdf", "e_signature_broken"),
    ],
)
def test_each_signed_variant_has_its_status(
    signed: dict[str, Path], name: str, status: str
) -> None:
    """Given the report signed in one way and the test root trusted, when it is extracted,
    then the status is the spec's, and only an e-signed one counts as signed by the sender."""
    got = extract(signed[name], (signed["roots.pem"],))
    assert got.signature_status == status
    assert got.submitter_signed is (status in ("e_signed", "e_signed_unverified"))
    codes = {f.code for f in got.findings}
    # Section 8 is empty, but no e-signed variant asks the sender to type a name.
    assert not codes & {"unsigned"}
    if status == "e_signature_broken":
        assert "e_signature_broken" in codes
    if status == "e_signed_unverified":
        assert "e_signature_unverified" in codes


def test_a_valid_personal_signature_in_the_spec_shape(signed: dict[str, Path]) -> None:
    got = extract(signed["person.pdf"], (signed["roots.pem"],)).to_json()
    assert got["signatures"] == [
        {
            "kind": "digital",
            "intact": True,
            "trusted": True,
            "changed_after_signing": False,
            "signer": "Katarina Gröndahl",
            "signer_kind": "person",
            "issuer": "Casefile Test Root CA",
            # The time-stamp's time, in the registry's zone.
            "signed_at": "2026-01-29T10:12:03+01:00",
            "timestamped": True,
        }
    ]
    assert got["signature_status"] == "e_signed"
    # The certificate's serialNumber is a personnummer: it is never carried.
    text = json.dumps(got, ensure_ascii=False)
    assert make_signed.PERSONNUMMER not in text and "1212121212" not in text


def test_the_seal_and_two_signatures_in_document_order(signed: dict[str, Path]) -> None:
    seal = extract(signed["seal.pdf"], (signed["roots.pem"],)).signatures
    assert [(s["signer"], s["signer_kind"]) for s in seal] == [("Exempel Signering AB", "seal")]
    two = extract(signed["two.pdf"], (signed["roots.pem"],)).signatures
    assert [(s["signer_kind"], s["changed_after_signing"]) for s in two] == [
        ("person", False),  # a later signature is an allowed change
        ("seal", False),
    ]
    # A signature field that was empty when the first signer signed, filled afterwards: an
    # allowed change, so neither signature counts as changed after signing.
    filled = extract(signed["field_filled.pdf"], (signed["roots.pem"],)).signatures
    assert [(s["signer"], s["intact"], s["changed_after_signing"]) for s in filled] == [
        ("Katarina Gröndahl", True, False),
        ("Exempel Signering AB", True, False),
    ]


def test_tampered_and_changed_say_why(signed: dict[str, Path]) -> None:
    roots = (signed["roots.pem"],)
    [tampered] = extract(signed["tampered.pdf"], roots).signatures
    assert tampered["intact"] is False
    [changed] = extract(signed["changed.pdf"], roots).signatures
    assert changed["intact"] is True and changed["changed_after_signing"] is True


def test_a_signer_below_an_intermediate_ca_is_trusted_through_the_embedded_chain(
    signed: dict[str, Path],
) -> None:
    """Given a signer whose certificate an intermediate CA issued (root -> intermediate ->
    signer) and only the root among the trust roots, when the signature embeds the
    intermediate, then it is trusted, and the validation report names the whole path; without
    the intermediate no path can be built offline: intact, but not trusted."""
    roots = (signed["roots.pem"],)
    got = extract(signed["intermediate.pdf"], roots)
    assert got.signature_status == "e_signed"
    [entry] = got.signatures
    assert (entry["signer"], entry["issuer"], entry["trusted"]) == (
        "Per Lindqvist",
        "Casefile Test Issuing CA",
        True,
    )
    assert got.signature_report is not None
    [checked] = got.signature_report["signatures"]
    assert [c["subject"] for c in checked["chain"]] == [
        "Casefile Test Root CA",
        "Casefile Test Issuing CA",
        "Per Lindqvist",
    ]
    missing = extract(signed["intermediate_missing.pdf"], roots)
    assert missing.signature_status == "e_signed_unverified"
    assert [(s["intact"], s["trusted"]) for s in missing.signatures] == [(True, False)]


def test_without_trust_roots_an_intact_signature_is_unverified(signed: dict[str, Path]) -> None:
    """The same file with no trust roots configured: intact, but not trusted."""
    got = extract(signed["person.pdf"])
    assert got.signature_status == "e_signed_unverified"
    assert [s["trusted"] for s in got.signatures] == [False]


def test_typed_and_none_from_section_8() -> None:
    typed = extract(FIXTURES / "r01_cell_iso_endash.pdf")
    assert typed.signature_status == "typed" and typed.submitter_signed
    assert typed.signatures == [
        {"kind": "typed", "name": "Maja Eklind Sjöberg", "date": "2025-02-03"}
    ]
    unsigned = extract(UNSIGNED_REPORT)
    assert unsigned.signature_status == "none" and not unsigned.submitter_signed
    assert unsigned.signatures == []
    assert "unsigned" in {f.code for f in unsigned.findings}


def test_intake_extract_json_reads_trust_roots_relative_to_the_config(
    signed: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "roots").mkdir()
    (tmp_path / "roots" / "office.pem").write_bytes(signed["roots.pem"].read_bytes())
    config = tmp_path / "casefile.toml"
    config.write_text('[signatures]\ntrust_roots = ["roots/office.pem"]\n', encoding="utf-8")
    assert run_extract(str(signed["person.pdf"]), True, str(config)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["signature_status"] == "e_signed"
    assert [s["signer"] for s in out["signatures"]] == ["Katarina Gröndahl"]


def test_the_strongest_evidence_wins() -> None:
    typed = {"kind": "typed", "name": "A", "date": "2025-01-01"}
    good = {"kind": "digital", "intact": True, "trusted": True, "changed_after_signing": False}
    broken = {**good, "changed_after_signing": True}
    untrusted = {**good, "trusted": False}
    assert status_of([typed, untrusted]) == "e_signed_unverified"
    assert status_of([typed, broken, untrusted]) == "e_signature_broken"
    assert status_of([broken, good]) == "e_signed"
    assert status_of([{"kind": "handwritten", "page": 7}, typed]) == "handwritten"
    assert status_of([]) == "none"


def test_signer_kind_rule() -> None:
    assert signer_kind({"common_name": "Katarina Gröndahl", "given_name": "Katarina"}) == "person"
    assert signer_kind({"common_name": "X AB", "organization_identifier": "NTRSE-1"}) == "seal"
    assert signer_kind({"common_name": "X AB", "organization_name": "X AB"}) == "seal"
    assert signer_kind({"common_name": "Katarina Gröndahl"}) == "person"


def test_the_show_line() -> None:
    entry = {
        "kind": "digital",
        "intact": True,
        "trusted": True,
        "changed_after_signing": False,
        "signer": "Katarina Gröndahl",
        "signer_kind": "person",
        "signed_at": "2026-01-29T10:12:03+01:00",
    }
    assert describe(entry) == "e-underskrift: Katarina Gröndahl, giltig, betrodd, 2026-01-29 10:12"
    broken = {**entry, "intact": False, "trusted": False}
    assert describe(broken) == (
        "e-underskrift: Katarina Gröndahl, bruten, ej betrodd utfärdare, 2026-01-29 10:12"
    )
    assert describe({"kind": "typed", "name": "A B", "date": "2025-02-04"}) == (
        "namn och datum ifyllda: A B, 2025-02-04"
    )
    hand = {"kind": "handwritten", "page": 5, "confidence": 0.9}
    assert describe(hand) == "handskriven underskrift (skannad, sidan 5)"
    assert describe(hand, "en") == "handwritten signature (scanned, page 5)"


def test_an_unreadable_trust_root_is_a_one_line_error(
    signed: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "casefile.toml"
    config.write_text('[signatures]\ntrust_roots = ["saknas.pem"]\n', encoding="utf-8")
    assert run_extract(str(signed["person.pdf"]), True, str(config)) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "signatures.trust_roots" in err[0] and "saknas.pem" in err[0]

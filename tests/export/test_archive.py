"""casefile export archive: an E-ARK CSIP/SIP package with CITS ERMS, checked against the vendored
schemas, its fileSec and the archive store."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from casefile.blobstore import Archive
from tests.export.conftest import ARRIVALS, PUBLIC_TITLE, Filled, run
from tests.export.schemas import content_types, erms_schema, mets_schema

METS = "{http://www.loc.gov/METS/}"
XLINK = "{http://www.w3.org/1999/xlink}"
CSIP = "{https://DILCIS.eu/XML/METS/CSIPExtensionMETS}"
ERMS = "{https://DILCIS.eu/XML/ERMS}"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def export(filled: Filled, output: Path, *args: str) -> dict[str, object]:
    code, out, err = run(filled.config, "export", "archive", *args, "--output", str(output),
                         "--json")  # fmt: skip
    assert code == 0, err
    result: dict[str, object] = json.loads(out)
    return result


def package_root(output: Path, tmp_path: Path) -> Path:
    if output.suffix != ".zip":
        return output
    target = tmp_path / "unzipped"
    with zipfile.ZipFile(output) as z:
        z.extractall(target)
    (root,) = [p.parent for p in target.rglob("METS.xml")]
    return root


@pytest.fixture(params=["folder", "zip"])
def package(request: pytest.FixtureRequest, filled: Filled, tmp_path: Path) -> Path:
    output = tmp_path / ("paket.zip" if request.param == "zip" else "paket")
    # `casefile close` closed SFG 26-01 today; the bound leaves room for any time zone.
    bound = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    result = export(filled, output, "SFG 26-02", "--closed-before", bound)
    assert result["cases"] == ["SFG 26-01", "SFG 26-02"]
    return package_root(output, tmp_path)


def test_metadata_validates_against_the_shared_schemas(package: Path) -> None:
    """Given the package, then erms.xml is valid CITS ERMS and METS.xml valid METS."""
    erms = etree.parse(str(package / "metadata" / "descriptive" / "erms.xml"))
    assert erms_schema().validate(erms), erms_schema().error_log
    mets = etree.parse(str(package / "METS.xml"))
    assert mets_schema().validate(mets), mets_schema().error_log
    root = mets.getroot()
    assert root.get("OBJID", "").startswith("casefile-")
    assert root.get(f"{CSIP}CONTENTINFORMATIONTYPE") == "citserms_v2_1"
    assert root.get(f"{CSIP}CONTENTINFORMATIONTYPE") in content_types()
    assert (package / "metadata" / "preservation" / "premis.xml").is_file()


def test_every_data_file_is_in_the_filesec_and_identical_to_the_store(
    package: Path, filled: Filled
) -> None:
    mets = etree.parse(str(package / "METS.xml")).getroot()
    listed = {}
    for f in mets.iter(f"{METS}file"):
        (loc,) = f.iter(f"{METS}FLocat")
        listed[unquote(loc.get(f"{XLINK}href", ""))] = f
    data = package / "representations" / "rep1" / "data"
    on_disk = sorted(p.relative_to(package).as_posix() for p in data.rglob("*") if p.is_file())
    assert on_disk and sorted(listed) == on_disk
    store = Archive(filled.app.settings.storage.path)
    for path, f in listed.items():
        content = (package / path).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        assert f.get("CHECKSUMTYPE") == "SHA-256"
        assert f.get("CHECKSUM") == digest
        assert f.get("SIZE") == str(len(content))
        assert store.get(digest) == content
    emls = [p for p in on_disk if p.endswith(".eml")]
    docx = [p for p in on_disk if p.endswith(".docx")]
    assert len(emls) == 2 and len(docx) == 2  # the two reports of the two cases
    for md in mets.iter(f"{METS}mdRef"):
        content = (package / unquote(md.get(f"{XLINK}href", ""))).read_bytes()
        assert md.get("CHECKSUM") == hashlib.sha256(content).hexdigest()
        assert md.get("SIZE") == str(len(content))


def records(package: Path) -> dict[str, etree._Element]:
    erms = etree.parse(str(package / "metadata" / "descriptive" / "erms.xml"))
    return {r.findtext(f"{ERMS}objectId"): r for r in erms.iter(f"{ERMS}record")}


def test_received_time_is_the_imap_arrival_in_the_registry_zone(package: Path) -> None:
    recs = records(package)
    for number, name in (("SFG 26-01.01", "r01_cell_iso_endash.docx"),
                         ("SFG 26-02.01", "r03_right_sdt_overspent.docx")):  # fmt: skip
        (date,) = recs[number].iterfind(f"{ERMS}dates/{ERMS}date[@dateType='received']")
        received = dt.datetime.fromisoformat(date.text or "")
        assert received == ARRIVALS[name]
        assert received.utcoffset() == ARRIVALS[name].astimezone(STOCKHOLM).utcoffset()
    (late,) = recs["SFG 26-02.01"].iterfind(f"{ERMS}dates/{ERMS}date[@dateType='received']")
    assert late.text == "2026-02-04T00:20:45+01:00"


def test_cases_and_records_carry_the_register(package: Path) -> None:
    erms = etree.parse(str(package / "metadata" / "descriptive" / "erms.xml"))
    cases = {a.findtext(f"{ERMS}objectId"): a for a in erms.iter(f"{ERMS}aggregation")}
    assert set(cases) == {"SFG 26-01", "SFG 26-02"}
    closed = cases["SFG 26-01"]
    assert closed.get("aggregationType") == "caseFile"
    assert closed.find(f"{ERMS}status").get("value") == "closed"  # type: ignore[union-attr]
    types = {d.get("dateType") for d in closed.iterfind(f"{ERMS}dates/{ERMS}date")}
    assert types == {"opened", "closed"}
    recs = records(package)
    assert len([r for r in recs if r.startswith("SFG 26-01.")]) == 5
    directions = {
        n: r.find(f"{ERMS}direction").get("directionDefinition")  # type: ignore[union-attr]
        for n, r in recs.items()
    }
    assert directions["SFG 26-01.01"] == "incoming"
    assert directions["SFG 26-01.02"] == "outgoing"
    assert directions["SFG 26-01.03"].startswith("internal")
    secret = recs["SFG 26-01.05"]
    restriction = secret.find(f"{ERMS}restriction")
    assert restriction is not None and restriction.get("restrictionType") == "confidential"
    assert restriction.findtext(f"{ERMS}regulation") == "OSL 26 kap. 1 §"
    assert secret.findtext(f"{ERMS}otherTitle") == PUBLIC_TITLE
    assert recs["SFG 26-01.04"].find(f"{ERMS}status").get("value") == "obliterated"  # type: ignore[union-attr]
    appendices = recs["SFG 26-01.01"].findall(f".//{ERMS}appendix")
    assert {a.get("name", "").rsplit(".", 1)[-1] for a in appendices} == {"eml", "docx"}


def test_premis_holds_the_event_log(package: Path) -> None:
    premis = etree.parse(str(package / "metadata" / "preservation" / "premis.xml"))
    ns = "{http://www.loc.gov/premis/v3}"
    types = [e.findtext(f"{ns}eventType") for e in premis.iter(f"{ns}event")]
    assert "document_registered" in types and "document_cancelled" in types
    assert "case_opened" in types


def test_archive_needs_a_case(filled: Filled, tmp_path: Path) -> None:
    code, _, err = run(filled.config, "export", "archive", "--output", str(tmp_path / "x"))
    assert code == 2
    code, _, err = run(filled.config, "export", "archive", "--closed-before", "2026-01-01",
                       "--output", str(tmp_path / "x.zip"))  # fmt: skip
    assert code == 1 and err.startswith("fel: ")
    assert not (tmp_path / "x.zip").exists()


def test_content_type_can_be_chosen(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "v3"
    export(filled, out, "SFG 26-02", "--content-type", "citserms_v3_0")
    root = etree.parse(str(out / "METS.xml")).getroot()
    assert root.get(f"{CSIP}CONTENTINFORMATIONTYPE") == "citserms_v3_0"


def test_content_type_can_be_configured(filled: Filled, tmp_path: Path) -> None:
    config = Path(filled.config)
    config.write_text(
        config.read_text("utf-8") + '\n[export]\ncontent_information_type = "citserms_v3_0"\n',
        encoding="utf-8",
    )
    out = tmp_path / "configured"
    export(filled, out, "SFG 26-02")
    root = etree.parse(str(out / "METS.xml")).getroot()
    assert root.get(f"{CSIP}CONTENTINFORMATIONTYPE") == "citserms_v3_0"


def test_a_document_number_selects_its_case(filled: Filled, tmp_path: Path) -> None:
    result = export(filled, tmp_path / "one.zip", "SFG 26-03.01")
    assert result["cases"] == ["SFG 26-03"]
    with zipfile.ZipFile(tmp_path / "one.zip") as z:
        names = z.namelist()
    assert all(n.startswith("one/") for n in names)
    assert "one/METS.xml" in names
    assert any("/SFG 26-03.01/" in n and n.endswith(".docx") for n in names)


def test_a_folder_that_is_not_empty_is_refused(filled: Filled, tmp_path: Path) -> None:
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    code, _, err = run(filled.config, "export", "archive", "SFG 26-02", "--output", str(out))
    assert code == 1 and err.startswith("fel: ") and "inte tom" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]

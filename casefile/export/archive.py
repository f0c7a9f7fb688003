"""An e-archive package of cases: E-ARK CSIP/SIP 2.x shape (Riksarkivet's FGS Paketstruktur 2.0)
with the cases in CITS ERMS (FGS Ärendehantering 2.0).

    METS.xml                                  the package: OBJID, metadata references, fileSec
    metadata/descriptive/erms.xml             cases (aggregation caseFile) and documents (record)
    metadata/preservation/premis.xml          the event log as PREMIS events
    representations/rep1/data/<case>/<doc>/   every raw message (.eml) and attachment, unchanged

Files are copied from the content-addressed store in chunks and hashed on the way, so the package
is checked against the store's digests and a large case never sits in memory. A `.zip` output is
one zip holding the package folder; any other output is the folder itself.

One format, kept whole: the package's METS, ERMS and PREMIS documents refer to each other's
identifiers and checksums, so they are written together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from lxml import etree
from sqlalchemy import Connection, RowMapping, select

from casefile.atomic import put_in_place, temporary_sibling
from casefile.blobstore import Archive
from casefile.config import Settings
from casefile.db.schema import cases, documents, events
from casefile.errors import RegisterError
from casefile.export.common import before_replace, secret_titles, xml_text
from casefile.export.disclosure import Disclosure
from casefile.faults import checkpoint
from casefile.filenames import safe_filename, unique_name
from casefile.states import CaseStatus

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
ERMS_NS = "https://DILCIS.eu/XML/ERMS"
PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
DEFAULT_CONTENT_TYPE = "citserms_v2_1"
DATA_DIR = "representations/rep1/data"
ERMS_PATH = "metadata/descriptive/erms.xml"
PREMIS_PATH = "metadata/preservation/premis.xml"
CHUNK = 1 << 20
# The crash tests kill an export here: the data files written, METS.xml not yet.
FAULT_BEFORE_METS = "export_archive_before_mets"

ERMS_DIRECTIONS = {"in": "incoming", "out": "outgoing", "internal": "internal_memo_for_follow-up"}
ERMS_CASE_STATUS = {CaseStatus.OPEN.value: "open", CaseStatus.CLOSED.value: "closed"}


def _m(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


def _e(tag: str) -> str:
    return f"{{{ERMS_NS}}}{tag}"


def _p(tag: str) -> str:
    return f"{{{PREMIS_NS}}}{tag}"


@dataclass
class PackageFile:
    """One file of the package: where it is, what it holds, and what it belongs to."""

    path: str  # relative to the package root, with forward slashes
    sha256: str
    size: int
    mime: str
    document_id: int | None = None
    file_id: str = ""
    original_name: str = ""  # as the sender named it; the path holds a safe name


@dataclass
class Package:
    objid: str
    created: dt.datetime
    files: list[PackageFile] = field(default_factory=list)
    metadata: dict[str, PackageFile] = field(default_factory=dict)


# --- choosing the cases ----------------------------------------------------------------------


def select_cases(
    conn: Connection, settings: Settings, refs: Iterable[str], closed_before: dt.date | None
) -> list[RowMapping]:
    """The named cases (REF may name a case or one of its documents), or every case closed
    before a date (in the registry's zone), in number order."""
    from casefile.queries import case_row

    chosen: dict[int, RowMapping] = {}
    for ref in refs:
        row = case_row(conn, settings, ref)
        chosen[row["id"]] = row
    if closed_before is not None:
        zone = settings.registry.zone
        limit = dt.datetime.combine(closed_before, dt.time(), tzinfo=zone).astimezone(dt.UTC)
        for row in conn.execute(
            select(cases).where(
                cases.c.status == CaseStatus.CLOSED,
                cases.c.closed_at.is_not(None),
                cases.c.closed_at < limit,
            )
        ).mappings():
            chosen[row["id"]] = row
    if not chosen:
        raise RegisterError("inga ärenden att arkivera")
    return sorted(chosen.values(), key=lambda r: (r["year"], r["serial"]))


# --- writing into a folder or a zip ------------------------------------------------------------


class Sink:
    """The package's destination: a folder, or one zip with the package folder inside. Either is
    written under a temporary name next to the output and renamed into place when complete, so
    a crash (even SIGKILL) never leaves a package without its METS.xml."""

    def __init__(self, output: Path, root_name: str) -> None:
        self.output = output
        self.is_zip = output.suffix.lower() == ".zip"
        self.tmp = temporary_sibling(output)
        if self.is_zip:
            self.zip: zipfile.ZipFile | None = zipfile.ZipFile(
                self.tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True
            )
            self.prefix = root_name + "/"
        else:
            if output.exists() and (not output.is_dir() or any(output.iterdir())):
                raise RegisterError(f"{output} finns redan och är inte tom")
            self.tmp.mkdir()
            self.zip = None
            self.prefix = ""

    def open(self, path: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(self.prefix + path, "w", force_zip64=True)
        target = self.tmp / path
        target.parent.mkdir(parents=True, exist_ok=True)
        return open(target, "wb")

    def write_bytes(self, path: str, data: bytes) -> None:
        with self.open(path) as handle:
            handle.write(data)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()
        # A folder replaces an empty one of the same name in the same rename (POSIX).
        put_in_place(self.tmp, self.output, before_replace)

    def abort(self) -> None:
        if self.zip is not None:
            self.zip.close()
            self.tmp.unlink(missing_ok=True)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def copy_blob(store: Archive, digest: str, out: IO[bytes]) -> int:
    """Copy one stored blob unchanged, in chunks, checking it against its digest."""
    hasher = hashlib.sha256()
    size = 0
    with open(store.path_for(digest), "rb") as src:
        while chunk := src.read(CHUNK):
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if hasher.hexdigest() != digest:
        raise RegisterError(f"arkivfilen {digest} är skadad")
    return size


# --- the descriptive metadata (CITS ERMS) -----------------------------------------------------


def _text(parent: etree._Element, tag: str, value: str, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrib)
    el.text = xml_text(value)
    return el


def _agent(parent: etree._Element, kind: str, name: str, tag: str | None = None) -> None:
    agent = etree.SubElement(parent, tag or _e("agent"), agentType=kind)
    _text(agent, _e("name"), name)


def _stamp(value: dt.datetime, zone: Any) -> str:
    """xs:dateTime in the registry's zone, with its offset, to the second."""
    return value.astimezone(zone).replace(microsecond=0).isoformat()


def erms_record(
    doc: RowMapping,
    files: list[PackageFile],
    names: dict[str, str],
    zone: Any,
    disclosure: Disclosure | None = None,
) -> etree._Element:
    record = etree.Element(
        _e("record"),
        systemIdentifier=f"document-{doc['id']}",
        recordType=doc["kind"],
        recordPhysicalOrDigital="digital" if doc["channel"] == "email" else "physical_and_digital",
    )
    _text(record, _e("objectId"), doc["diarienummer"])
    _text(record, _e("title"), doc["title"] or doc["subject"] or doc["kind"])
    # The public title is what may be handed out: the disclosure rule's wording of the title.
    rule = disclosure or Disclosure()
    title = doc["title"] or ""
    public = rule.title(title, bool(doc["secrecy_provision"]), doc["secrecy_public_title"])
    if doc["secrecy_provision"] or public != title:
        _text(record, _e("otherTitle"), public, titleType="public_title")
    etree.SubElement(record, _e("status"), value="obliterated" if doc["cancelled"] else "received")
    _text(record, _e("runningNumber"), str(doc["serial"]))
    if doc["secrecy_provision"]:
        restriction = etree.SubElement(record, _e("restriction"), restrictionType="confidential")
        _text(restriction, _e("explanatoryText"), "Sekretessmarkering enligt OSL 5 kap. 5 §")
        _text(restriction, _e("regulation"), doc["secrecy_provision"])
        if doc["secrecy_by"]:
            _agent(restriction, "authorising_person", doc["secrecy_by"], _e("agent"))
        if doc["secrecy_at"]:
            dates = etree.SubElement(restriction, _e("dates"))
            _text(dates, _e("date"), _stamp(doc["secrecy_at"], zone), dateType="created")
    direction = doc["direction"]
    _text(
        record,
        _e("direction"),
        "",
        directionDefinition=ERMS_DIRECTIONS.get(direction, "other"),
    )
    agents = etree.SubElement(record, _e("agents"))
    party = doc["sender"] or doc["organisation"] or ""
    if party:
        _agent(agents, "sender" if direction == "in" else "recipient", party)
    if doc["organisation"] and doc["organisation"] != party:
        _agent(agents, "counterpart", doc["organisation"])
    registrar = doc["registered_by"] or names.get("bot", "casefile")
    _agent(agents, "receiver" if direction == "in" else "creator", registrar)
    if doc["signature"]:
        _agent(agents, "responsible_person", doc["signature"])
    if not len(agents):
        record.remove(agents)
    dates = etree.SubElement(record, _e("dates"))
    date_type = "received" if direction == "in" else "created"
    _text(dates, _e("date"), _stamp(doc["received_at"], zone), dateType=date_type)
    _text(
        dates,
        _e("date"),
        _stamp(doc["registered_at"], zone),
        dateType="other",
        otherDateType="registered",
    )
    if doc["cancelled"]:
        notes = etree.SubElement(record, _e("notes"))
        _text(notes, _e("note"), f"Makulerad: {doc['cancel_reason'] or ''}", noteType="cancelled")
    if files:
        info = etree.SubElement(record, _e("additionalInformation"))
        for f in files:
            etree.SubElement(
                info,
                _e("appendix"),
                name=xml_text(f.original_name) or f.path.rsplit("/", 1)[-1],
                path=f.path,
                fileFormat=f.mime,
            )
    return record


def erms_case(case: RowMapping, zone: Any, disclosure: Disclosure | None = None) -> etree._Element:
    agg = etree.Element(
        _e("aggregation"), systemIdentifier=f"case-{case['id']}", aggregationType="caseFile"
    )
    _text(agg, _e("objectId"), case["number"])
    _text(agg, _e("title"), case["title"])
    public = (disclosure or Disclosure()).text(case["title"])
    _text(agg, _e("otherTitle"), public, titleType="public_title")
    etree.SubElement(agg, _e("status"), value=ERMS_CASE_STATUS.get(case["status"], "open"))
    if case["organisation"]:
        agents = etree.SubElement(agg, _e("agents"))
        _agent(agents, "counterpart", case["organisation"])
    dates = etree.SubElement(agg, _e("dates"))
    _text(dates, _e("date"), _stamp(case["opened_at"], zone), dateType="opened")
    if case["closed_at"] is not None:
        _text(dates, _e("date"), _stamp(case["closed_at"], zone), dateType="closed")
    if case["close_reason"]:
        notes = etree.SubElement(agg, _e("notes"))
        _text(notes, _e("note"), case["close_reason"], noteType="close_reason")
    return agg


def erms_root(settings: Settings, objid: str, created: dt.datetime) -> etree._Element:
    root = etree.Element(_e("erms"), nsmap={None: ERMS_NS})
    control = etree.SubElement(root, _e("control"))
    _text(control, _e("identification"), objid, identificationType="package")
    maintenance = etree.SubElement(control, _e("maintenanceInformation"))
    etree.SubElement(maintenance, _e("maintenanceStatus"), value="created")
    agency = etree.SubElement(maintenance, _e("maintenanceAgency"))
    _text(agency, _e("agencyName"), settings.registry.office_name)
    history = etree.SubElement(maintenance, _e("maintenanceHistory"))
    event = etree.SubElement(history, _e("maintenanceEvent"))
    etree.SubElement(event, _e("eventType"), value="created")
    _text(event, _e("eventDateTime"), _stamp(created, settings.registry.zone))
    _agent(event, "creator", "casefile")
    return root


# --- the preservation metadata (PREMIS events) ------------------------------------------------


def premis_events(conn: Connection, case_ids: list[int], zone: Any) -> bytes:
    import json

    root = etree.Element(_p("premis"), nsmap={"premis": PREMIS_NS}, version="3.0")
    numbers = dict(
        conn.execute(
            select(documents.c.id, documents.c.diarienummer).where(
                documents.c.case_id.in_(case_ids)
            )
        ).all()
    )
    case_numbers = dict(
        conn.execute(select(cases.c.id, cases.c.number).where(cases.c.id.in_(case_ids))).all()
    )
    actors: set[str] = set()
    stmt = select(events).where(events.c.case_id.in_(case_ids)).order_by(events.c.at, events.c.id)
    for e in conn.execute(stmt.execution_options(yield_per=1000)).mappings():
        ev = etree.SubElement(root, _p("event"))
        ident = etree.SubElement(ev, _p("eventIdentifier"))
        _text(ident, _p("eventIdentifierType"), "local")
        _text(ident, _p("eventIdentifierValue"), f"event-{e['id']}")
        _text(ev, _p("eventType"), e["action"])
        _text(ev, _p("eventDateTime"), _stamp(e["at"], zone))
        if e["detail"]:
            info = etree.SubElement(ev, _p("eventDetailInformation"))
            _text(info, _p("eventDetail"), json.dumps(e["detail"], ensure_ascii=False))
        agent = etree.SubElement(ev, _p("linkingAgentIdentifier"))
        _text(agent, _p("linkingAgentIdentifierType"), "local")
        _text(agent, _p("linkingAgentIdentifierValue"), e["actor"])
        actors.add(e["actor"])
        target = numbers.get(e["document_id"]) or case_numbers.get(e["case_id"])
        if target:
            obj = etree.SubElement(ev, _p("linkingObjectIdentifier"))
            _text(obj, _p("linkingObjectIdentifierType"), "diarienummer")
            _text(obj, _p("linkingObjectIdentifierValue"), target)
    for actor in sorted(actors):
        agent = etree.SubElement(root, _p("agent"))
        ident = etree.SubElement(agent, _p("agentIdentifier"))
        _text(ident, _p("agentIdentifierType"), "local")
        _text(ident, _p("agentIdentifierValue"), actor)
        _text(agent, _p("agentName"), actor)
        _text(agent, _p("agentType"), "software" if actor == "casefile" else "person")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# --- the package (METS) -----------------------------------------------------------------------


def _md_ref(parent: etree._Element, md: PackageFile, mdtype: str, created: str) -> None:
    attrib = {
        "LOCTYPE": "URL",
        f"{{{XLINK_NS}}}type": "simple",
        f"{{{XLINK_NS}}}href": quote(md.path),
        "MDTYPE": mdtype,
        "MIMETYPE": "text/xml",
        "SIZE": str(md.size),
        "CREATED": created,
        "CHECKSUM": md.sha256,
        "CHECKSUMTYPE": "SHA-256",
    }
    if mdtype == "OTHER":
        attrib["OTHERMDTYPE"] = "ERMS"
    etree.SubElement(parent, _m("mdRef"), attrib)


def mets_document(settings: Settings, package: Package, content_type: str, label: str) -> bytes:
    created = _stamp(package.created, settings.registry.zone)
    csip = f"{{{CSIP_NS}}}"
    root = etree.Element(
        _m("mets"),
        {
            "OBJID": package.objid,
            "LABEL": label,
            "TYPE": "Mixed",
            "PROFILE": CSIP_PROFILE,
            f"{csip}CONTENTINFORMATIONTYPE": content_type,
        },
        nsmap={"mets": METS_NS, "xlink": XLINK_NS, "csip": CSIP_NS, "xsi": XSI_NS},
    )
    hdr = etree.SubElement(
        root,
        _m("metsHdr"),
        {"CREATEDATE": created, "RECORDSTATUS": "NEW", f"{csip}OAISPACKAGETYPE": "SIP"},
    )
    agent = etree.SubElement(hdr, _m("agent"), ROLE="CREATOR", TYPE="ORGANIZATION")
    _text(agent, _m("name"), settings.registry.office_name)
    software = etree.SubElement(
        hdr, _m("agent"), ROLE="CREATOR", TYPE="OTHER", OTHERTYPE="SOFTWARE"
    )
    _text(software, _m("name"), "casefile")
    note = etree.SubElement(software, _m("note"), {f"{csip}NOTETYPE": "SOFTWARE VERSION"})
    note.text = _version()
    dmd = etree.SubElement(root, _m("dmdSec"), ID="dmd-erms", CREATED=created, STATUS="CURRENT")
    _md_ref(dmd, package.metadata["erms"], "OTHER", created)
    amd = etree.SubElement(root, _m("amdSec"))
    digiprov = etree.SubElement(amd, _m("digiprovMD"), ID="digiprov-premis", STATUS="CURRENT")
    _md_ref(digiprov, package.metadata["premis"], "PREMIS", created)
    file_sec = etree.SubElement(root, _m("fileSec"), ID="filesec")
    group = etree.SubElement(
        file_sec, _m("fileGrp"), ID="filegrp-rep1", USE="Representations/rep1/Data"
    )
    for f in package.files:
        el = etree.SubElement(
            group,
            _m("file"),
            ID=f.file_id,
            MIMETYPE=f.mime,
            SIZE=str(f.size),
            CREATED=created,
            CHECKSUM=f.sha256,
            CHECKSUMTYPE="SHA-256",
        )
        etree.SubElement(
            el,
            _m("FLocat"),
            {
                "LOCTYPE": "URL",
                f"{{{XLINK_NS}}}type": "simple",
                f"{{{XLINK_NS}}}href": quote(f.path),
            },
        )
    struct = etree.SubElement(
        root, _m("structMap"), ID="structmap-csip", TYPE="PHYSICAL", LABEL="CSIP"
    )
    top = etree.SubElement(struct, _m("div"), ID="div-root", LABEL=package.objid)
    etree.SubElement(
        top,
        _m("div"),
        ID="div-metadata",
        LABEL="Metadata",
        DMDID="dmd-erms",
        ADMID="digiprov-premis",
    )
    if package.files:
        rep = etree.SubElement(top, _m("div"), ID="div-rep1", LABEL="Representations/rep1")
        for f in package.files:
            etree.SubElement(rep, _m("fptr"), FILEID=f.file_id)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("casefile")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


# --- putting it together ----------------------------------------------------------------------


FileRef = tuple[str, str, str | None]  # (media type, sha256, file name)


def case_files(conn: Connection, docs: list[RowMapping]) -> dict[int, list[FileRef]]:
    """Per document of one case: every stored file, whatever its way in (casefile.files): the
    raw message (.eml) and its attachments, and the files registered by hand (post, outgoing,
    internal)."""
    from casefile.files import document_files

    return {
        doc_id: [(f.media_type, f.sha256, f.name) for f in files]
        for doc_id, files in document_files(conn, docs).items()
    }


def export_archive(
    conn: Connection,
    settings: Settings,
    case_rows: list[RowMapping],
    output: Path,
    content_type: str = DEFAULT_CONTENT_TYPE,
) -> Package:
    zone = settings.registry.zone
    store = Archive(settings.storage.path)
    created = dt.datetime.now(dt.UTC)
    objid = f"casefile-{uuid.uuid4()}"
    package = Package(objid=objid, created=created)
    root_name = safe_filename(
        output.stem if output.suffix.lower() == ".zip" else output.name, objid
    )
    disclosure = Disclosure(secret_titles(conn))
    sink = Sink(output, root_name)
    try:
        erms = erms_root(settings, objid, created)
        aggregations = etree.SubElement(erms, _e("aggregations"))
        for case in case_rows:
            agg = erms_case(case, zone, disclosure)
            aggregations.append(agg)
            case_dir = safe_filename(case["number"], f"case-{case['id']}")
            docs = list(
                conn.execute(
                    select(documents)
                    .where(documents.c.case_id == case["id"])
                    .order_by(documents.c.serial)
                ).mappings()
            )
            files_of = case_files(conn, docs)
            for doc in docs:
                doc_name = safe_filename(doc["diarienummer"], str(doc["id"]))
                doc_dir = f"{DATA_DIR}/{case_dir}/{doc_name}"
                taken: set[str] = set()
                doc_files: list[PackageFile] = []
                for mime, digest, name in files_of[doc["id"]]:
                    fname = unique_name(safe_filename(name, f"bilaga-{digest[:12]}"), taken)
                    path = f"{doc_dir}/{fname}"
                    with sink.open(path) as handle:
                        size = copy_blob(store, digest, handle)
                    pf = PackageFile(path, digest, size, mime, doc["id"], original_name=name or "")
                    pf.file_id = f"file-{len(package.files) + 1}"
                    package.files.append(pf)
                    doc_files.append(pf)
                names = {"bot": settings.registry.bot_actor}
                agg.append(erms_record(doc, doc_files, names, zone, disclosure))
        erms_bytes = bytes(
            etree.tostring(erms, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )
        del erms
        premis_bytes = premis_events(conn, [c["id"] for c in case_rows], zone)
        for key, path, data in (
            ("erms", ERMS_PATH, erms_bytes),
            ("premis", PREMIS_PATH, premis_bytes),
        ):
            sink.write_bytes(path, data)
            package.metadata[key] = PackageFile(
                path, hashlib.sha256(data).hexdigest(), len(data), "text/xml"
            )
        checkpoint(FAULT_BEFORE_METS)
        label = f"{settings.registry.office_name}: " + ", ".join(c["number"] for c in case_rows[:5])
        if len(case_rows) > 5:
            label += f" m.fl. ({len(case_rows)} ärenden)"
        sink.write_bytes("METS.xml", mets_document(settings, package, content_type, label))
        sink.close()
    except BaseException:
        sink.abort()
        raise
    return package

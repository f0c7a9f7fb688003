"""Signature evidence on a report (issue 29): PDF signatures validated with pyHanko, offline,
and the date and name typed in the form's signature section; one status from the strongest.

Runs in the isolated extraction worker (parse.py), so a hostile signature meets the same memory
and time limits as the rest of the file. Nothing from the certificate beyond the names below is
kept: its serialNumber may be a personnummer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from intake.extract.model import SIGNED as SIGNED  # its public name here too
from intake.extract.model import Finding

if TYPE_CHECKING:
    from intake.extract.model import Extraction

# Strongest evidence first, as the spec orders them.
STATUSES = (
    "e_signed",
    "e_signature_broken",
    "e_signed_unverified",
    "handwritten",
    "typed",
    "none",
)
# The rule as data: the `unsigned` finding (which asks the sender for a completion) stands only
# under these statuses; a report signed in any other way is never asked to type a name.
UNSIGNED_STANDS = frozenset({"none"})
# Findings for staff under a status; never a reason to write to the sender.
STAFF_FINDINGS: dict[str, tuple[str, str]] = {
    "e_signature_broken": (
        "e_signature_broken",
        "Den elektroniska underskriften håller inte: dokumentet är ändrat efter underskriften "
        "eller underskriften är skadad.",
    ),
    "e_signed_unverified": (
        "e_signature_unverified",
        "Den elektroniska underskriften är hel, men utfärdaren finns inte bland de betrodda "
        "rotcertifikaten.",
    ),
}
STAFF_CODES = frozenset(code for code, _ in STAFF_FINDINGS.values())
# The flag a broken signature puts on the registered document (shown to staff only).
BROKEN_FLAG = "den elektroniska underskriften är bruten"
# Changes after signing that leave the signed content as it was (pyHanko's ModificationLevel
# names): more signatures, time-stamps and validation data, form filling, annotations.
ALLOWED_CHANGES = frozenset({"NONE", "LTA_UPDATES", "FORM_FILLING", "ANNOTATIONS"})
# A signature that covers the whole file, or the whole revision it signed (later revisions are
# then judged by the modification level).
WHOLE_COVERAGE = frozenset({"ENTIRE_FILE", "ENTIRE_REVISION"})
# The keys a registered document keeps its evidence under, in its `fields` JSON.
STORED_ENTRIES = "signatures"
STORED_STATUS = "signature_status"
# X.520 organizationIdentifier: an organisation's certificate (an e-seal) carries it.
ORGANIZATION_IDENTIFIER = "organization_identifier"


def status_of(entries: Iterable[Mapping[str, Any]]) -> str:
    """The strongest status the evidence supports (the order of STATUSES)."""
    found = {entry_status(e) for e in entries}
    return next(s for s in STATUSES if s in found or s == "none")


def entry_status(entry: Mapping[str, Any]) -> str:
    kind = entry.get("kind")
    if kind == "digital":
        if not entry.get("intact") or entry.get("changed_after_signing"):
            return "e_signature_broken"
        return "e_signed" if entry.get("trusted") else "e_signed_unverified"
    if kind == "handwritten":
        return "handwritten"
    if kind == "typed":
        return "typed"
    return "none"


def typed_entry(fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """Section 8's date and name, when both are there (the rule `unsigned` checks)."""
    name, date = fields.get("submitter_name"), fields.get("submitter_date")
    if not name or not date:
        return None
    return {"kind": "typed", "name": name, "date": date}


def signer_kind(subject: Mapping[str, Any]) -> str:
    """`person` or `seal` from a certificate subject (asn1crypto's native names).

    A personal name (givenName or surname) makes it a person's certificate; otherwise an
    organizationIdentifier, or a common name that is the organisation's own name, makes it an
    organisation's seal (ETSI EN 319 412-3). Anything else counts as a person."""
    if subject.get("given_name") or subject.get("surname"):
        return "person"
    if subject.get(ORGANIZATION_IDENTIFIER):
        return "seal"
    org, cn = subject.get("organization_name"), subject.get("common_name")
    if org and cn and str(org).strip() == str(cn).strip():
        return "seal"
    return "person"


def judge(extraction: Extraction, digital: Sequence[Mapping[str, Any]] = ()) -> Extraction:
    """`extraction` with its signature evidence, status and findings. Idempotent: the typed
    entry is read again from the fields, other evidence (handwriting) is kept."""
    earlier = extraction.signatures
    if digital:
        earlier = [dict(e) for e in digital] + [e for e in earlier if e.get("kind") != "digital"]
    entries, status, found = weigh(extraction.fields, earlier, extraction.findings)
    return dataclasses.replace(
        extraction, signatures=entries, signature_status=status, findings=found
    )


def weigh(
    fields: Mapping[str, Any],
    evidence: Iterable[Mapping[str, Any]],
    findings: Iterable[Finding],
) -> tuple[list[dict[str, Any]], str, list[Finding]]:
    """(entries, status, findings): the evidence with the typed entry read again from
    `fields`, the status it gives, and the findings under the rule (UNSIGNED_STANDS,
    STAFF_FINDINGS). Used at extraction and again when staff correct a field."""
    entries = [dict(e) for e in evidence if e.get("kind") != "typed"]
    typed = typed_entry(fields)
    if typed is not None:
        entries.append(typed)
    status = status_of(entries)
    found = [f for f in findings if f.code not in STAFF_CODES]
    if status not in UNSIGNED_STANDS:
        found = [f for f in found if not _about_signing(f)]
    if status in STAFF_FINDINGS:
        found.append(Finding(*STAFF_FINDINGS[status]))
    return entries, status, found


def stored(extraction: Extraction) -> dict[str, Any]:
    """What a registered document keeps beside its fields (in its `fields` JSON)."""
    if not extraction.signature_status:
        return {}
    return {STORED_ENTRIES: extraction.signatures, STORED_STATUS: extraction.signature_status}


def register_view(fields: Mapping[str, Any], submitter_signed: bool) -> dict[str, Any]:
    """`signatures` and `signature_status` of a registered document; one registered before
    signatures were judged has the status its section 8 gave."""
    status = fields.get(STORED_STATUS)
    if not status:
        return {"signatures": [], "signature_status": "typed" if submitter_signed else "none"}
    return {"signatures": list(fields.get(STORED_ENTRIES) or []), "signature_status": status}


def _about_signing(finding: Finding) -> bool:
    """`unsigned`, or a required date or name of the signature section reported missing."""
    if finding.code == "unsigned":
        return True
    return finding.code == "missing_field" and finding.field in (
        "submitter_date",
        "submitter_name",
    )


def has_signature(data: bytes) -> bool:
    """A cheap look before pyHanko is imported: every PDF signature has a /ByteRange."""
    return b"/ByteRange" in data


def read_digital(
    data: bytes, trust_roots: Sequence[str] = (), timezone: str = "Europe/Stockholm"
) -> list[dict[str, Any]]:
    """Every PDF signature in `data`, in document order, validated offline against the PEM
    bundles in `trust_roots`. A signature pyHanko cannot even read counts as broken."""
    return check_digital(data, trust_roots, timezone)[0]


# The validation report's format name: what a reader of an archived report looks up.
REPORT_FORMAT = "casefile-signaturvalidering/1"


def check_digital(
    data: bytes, trust_roots: Sequence[str] = (), timezone: str = "Europe/Stockholm"
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(entries, report): read_digital's entries, and the validation report kept with the
    document (what was checked, by what, when, against which roots; see `_report`). No
    signature: ([], None)."""
    if not has_signature(data):
        return [], None
    # pyHanko logs whole tracebacks for an untrusted chain or a suspicious revision; the
    # verdict is in the status we return, and the worker's stderr is not a log.
    # Imported here: reading a DOCX (which judges its typed signature) starts without them.
    import io
    import logging
    import warnings

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        # pyHanko imports cryptography's DSA, which warns that DSA is deprecated; not ours.
        warnings.simplefilter("ignore")
        import pyhanko.sign.validation  # noqa: F401
        from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        signatures = list(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
    except Exception:  # a PDF pdfminer read but pyHanko cannot: no signature we can judge
        return [], None
    checked_at = dt.datetime.now(dt.UTC)
    roots = _load_roots(trust_roots)
    zone = _zone(timezone)
    out: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    for sig in signatures:
        try:
            entry, detail = _validate(sig, roots, zone)
        except Exception as exc:  # malformed CMS, unknown algorithm: it proves nothing
            entry, detail = _unreadable(), {"error": type(exc).__name__}
        out.append(entry)
        details.append({"field": _field_name(sig), **entry, **detail})
    return out, _report(data, checked_at, trust_roots, roots, details)


def _field_name(sig: Any) -> str | None:
    try:
        return str(sig.field_name)
    except Exception:
        return None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for package in ("casefile", "pyHanko", "pyhanko-certvalidator"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "?"
    return out


def _fingerprint(cert: Any) -> str:
    import hashlib

    return hashlib.sha256(cert.dump()).hexdigest()


def _report(
    data: bytes,
    checked_at: dt.datetime,
    paths: Sequence[str],
    roots: Sequence[Any],
    details: list[dict[str, Any]],
) -> dict[str, Any]:
    """The validation report: the file checked (its SHA-256), when (UTC), by what (the
    programs and their versions, offline), against which roots (each root's name and SHA-256
    fingerprint, and the bundles they came from), and per signature the verdict with what it
    rests on (pyHanko's coverage, modification level, DocMDP, the certificates' fingerprints).
    Certificates' serial numbers are left out: a personal certificate's may be a
    personnummer."""
    import hashlib

    return {
        "format": REPORT_FORMAT,
        "document_sha256": hashlib.sha256(data).hexdigest(),
        "checked_at": checked_at.isoformat(timespec="seconds"),
        "validator": {
            **_versions(),
            "method": "PAdES/CMS, offline (no OCSP, CRL or AIA fetching); "
            "changes after signing by pyHanko's difference analysis",
        },
        "trust_roots": {
            "files": list(paths),
            "certificates": [
                {"subject": _name(dict(c.subject.native)), "sha256": _fingerprint(c)} for c in roots
            ],
        },
        "signatures": details,
    }


def _unreadable() -> dict[str, Any]:
    return {
        "kind": "digital",
        "intact": False,
        "trusted": False,
        "changed_after_signing": False,
        "signer": None,
        "signer_kind": None,
        "issuer": None,
        "signed_at": None,
        "timestamped": False,
    }


def _validate(sig: Any, roots: list[Any], zone: dt.tzinfo) -> tuple[dict[str, Any], dict[str, Any]]:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    def context() -> ValidationContext:
        return ValidationContext(trust_roots=roots, allow_fetching=False)

    status = validate_pdf_signature(sig, context(), ts_validation_context=context())
    cert = status.signing_cert
    path = getattr(status, "validation_path", None)
    chain = [c for c in path] if path is not None else [cert]
    subject: dict[str, Any] = dict(cert.subject.native)
    issuer: dict[str, Any] = dict(cert.issuer.native)
    coverage = getattr(status.coverage, "name", str(status.coverage))
    level = getattr(status.modification_level, "name", str(status.modification_level))
    changed = (
        coverage not in WHOLE_COVERAGE or level not in ALLOWED_CHANGES or status.docmdp_ok is False
    )
    stamp = status.timestamp_validity
    when = stamp.timestamp if stamp is not None else status.signer_reported_dt
    entry = {
        "kind": "digital",
        "intact": bool(status.intact and status.valid),
        "trusted": bool(status.trusted),
        "changed_after_signing": changed,
        "signer": _name(subject),
        "signer_kind": signer_kind(subject),
        "issuer": _name(issuer),
        "signed_at": when.astimezone(zone).isoformat(timespec="seconds") if when else None,
        "timestamped": stamp is not None,
    }
    detail = {
        "coverage": coverage,
        "modification_level": level,
        "docmdp_ok": status.docmdp_ok,
        "bottom_line": bool(status.bottom_line),
        "digest_algorithm": status.md_algorithm,
        "signing_certificate_sha256": _fingerprint(cert),
        "chain": [
            {"subject": _name(dict(c.subject.native)), "sha256": _fingerprint(c)} for c in chain
        ],
        "timestamp_signer": _name(dict(stamp.signing_cert.subject.native)) if stamp else None,
    }
    return entry, detail


def _name(name: Mapping[str, Any]) -> str | None:
    """A certificate name as people say it: its common name, else its organisation."""
    for key in ("common_name", "organization_name"):
        value = name.get(key)
        if isinstance(value, list):  # a repeated attribute
            value = value[0] if value else None
        if value:
            return str(value)
    return None


def _load_roots(paths: Sequence[str]) -> list[Any]:
    """The certificates in the PEM (or DER) bundles; a file that cannot be read adds nothing
    (`intake extract` names it: unreadable_roots)."""
    from pyhanko.keys import load_certs_from_pemder

    roots: list[Any] = []
    for path in paths:
        try:
            roots.extend(load_certs_from_pemder([path]))  # type: ignore[no-untyped-call]
        except Exception:
            continue
    return roots


def unreadable_roots(paths: Sequence[str]) -> list[str]:
    """One Swedish line per `[signatures] trust_roots` file that holds no certificate."""
    from pyhanko.keys import load_certs_from_pemder

    out: list[str] = []
    for path in paths:
        try:
            if list(load_certs_from_pemder([path])):  # type: ignore[no-untyped-call]
                continue
            why = "inga certifikat i filen"
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
        except Exception as exc:  # a bundle that is not PEM or DER
            why = f"inte PEM eller DER ({type(exc).__name__})"
        out.append(f"signatures.trust_roots: {path} kan inte läsas ({why})")
    return out


def _zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


SHOW_WORDS = {
    "sv": {
        "digital": "e-underskrift",
        "seal": "e-sigill",
        "handwritten": "handskriven underskrift",
        "typed": "namn och datum ifyllda",
        "valid": "giltig",
        "broken": "bruten",
        "changed": "ändrad efter underskrift",
        "trusted": "betrodd",
        "untrusted": "ej betrodd utfärdare",
        "page": "sidan",
        "scanned": "skannad",
        "unknown": "okänd",
    },
    "en": {
        "digital": "e-signature",
        "seal": "e-seal",
        "handwritten": "handwritten signature",
        "typed": "name and date filled in",
        "valid": "valid",
        "broken": "broken",
        "changed": "changed after signing",
        "trusted": "trusted",
        "untrusted": "issuer not trusted",
        "page": "page",
        "scanned": "scanned",
        "unknown": "unknown",
    },
}


def describe(entry: Mapping[str, Any], lang: str = "sv") -> str:
    """One line for `casefile show`, e.g. "e-underskrift: Katarina Gröndahl, giltig, betrodd,
    2026-01-29 10:12"."""
    w = SHOW_WORDS.get(lang, SHOW_WORDS["sv"])
    kind = entry.get("kind")
    if kind == "digital":
        label = w["seal"] if entry.get("signer_kind") == "seal" else w["digital"]
        parts = [str(entry.get("signer") or w["unknown"])]
        if not entry.get("intact"):
            parts.append(w["broken"])
        elif entry.get("changed_after_signing"):
            parts.append(w["changed"])
        else:
            parts.append(w["valid"])
        parts.append(w["trusted"] if entry.get("trusted") else w["untrusted"])
        when = entry.get("signed_at")
        if when:
            parts.append(str(when)[:16].replace("T", " "))
        return f"{label}: {', '.join(parts)}"
    if kind == "handwritten":
        page = entry.get("page")
        where = [w["scanned"], *([f"{w['page']} {page}"] if page else [])]
        return f"{w['handwritten']} ({', '.join(where)})"
    if kind == "typed":
        return f"{w['typed']}: {entry.get('name')}, {entry.get('date')}"
    return str(kind)

"""The shared E-ARK schemas, read from `<repo>/../shared/schemas` (where CI has them), never copied
into the project. mets.xsd imports XLink from the web; it is pointed at our own small schema."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
LOCAL_XLINK = Path(__file__).resolve().parent / "schemas" / "xlink.xsd"
XSD_NS = "http://www.w3.org/2001/XMLSchema"


def shared_schemas() -> Path:
    # A worktree under <dir>/wt/<name> sees the same folder one level further up.
    for base in (ROOT.parent, ROOT.parent.parent):
        candidate = base / "shared" / "schemas" / "e-ark"
        if candidate.is_dir():
            return candidate
    raise AssertionError(f"the shared schemas are missing: expected {ROOT.parent}/shared/schemas")


@cache
def erms_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_schemas() / "ERMS_v3.xsd")))


@cache
def mets_schema() -> etree.XMLSchema:
    tree = etree.parse(str(shared_schemas() / "mets.xsd"))
    for imp in tree.getroot().iter(f"{{{XSD_NS}}}import"):
        if imp.get("namespace") == "http://www.w3.org/1999/xlink":
            imp.set("schemaLocation", LOCAL_XLINK.as_uri())
    return etree.XMLSchema(tree)


def content_types() -> set[str]:
    """The CSIP vocabulary of content information types (citserms_v2_1, …)."""
    tree = etree.parse(str(shared_schemas() / "CSIPVocabularyContentInformationType.xml"))
    return {el.text for el in tree.iter() if etree.QName(el).localname == "Term" and el.text}

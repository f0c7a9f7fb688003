"""The E-ARK schemas the export tests validate against, vendored in tests/export/schemas/ with
their licences (see its README.md): a clone needs nothing outside the repository. mets.xsd
imports XLink from the web; it is pointed at our own small schema."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parent / "schemas"
E_ARK = SCHEMAS / "e-ark"
LOCAL_XLINK = SCHEMAS / "xlink.xsd"
XSD_NS = "http://www.w3.org/2001/XMLSchema"


@cache
def erms_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(E_ARK / "ERMS_v3.xsd")))


@cache
def mets_schema() -> etree.XMLSchema:
    tree = etree.parse(str(E_ARK / "mets.xsd"))
    for imp in tree.getroot().iter(f"{{{XSD_NS}}}import"):
        if imp.get("namespace") == "http://www.w3.org/1999/xlink":
            imp.set("schemaLocation", LOCAL_XLINK.as_uri())
    return etree.XMLSchema(tree)


def content_types() -> set[str]:
    """The CSIP vocabulary of content information types (citserms_v2_1, …)."""
    tree = etree.parse(str(E_ARK / "CSIPVocabularyContentInformationType.xml"))
    return {el.text for el in tree.iter() if etree.QName(el).localname == "Term" and el.text}

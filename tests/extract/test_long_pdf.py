"""A long PDF (issue 25): the form's pages followed by ~100 pages of appendix text is read with
every field under the default limits (the 30 s parse limit is the check, no stopwatch), and the
appendix text is kept for search (`sections["bilagor"]`): only the first pages are laid out."""

from __future__ import annotations

from functools import cache

from conftest import FIXTURES
from longpdf import with_appendix

from casefile.app import App
from casefile.register import register_document
from casefile.search import search
from intake.extract import Extraction, ExtractLimits, extract_bytes, extract_isolated
from intake.extract.form import APPENDIX_KEY
from tests.register.factories import new_report

FORM = FIXTURES / "r01_cell_iso_endash.pdf"  # five pages
LAST_WORDS = "Slutord om bilagorna"
# On the first page read as plain text (the 31st): early enough for the search index, which
# keeps the first 100,000 characters of a document.
MARK = "Kvarnströmsmetoden prövades först i Ockelbo"


def words(text: str) -> list[str]:
    return text.split()


@cache
def long_report() -> Extraction:
    data = with_appendix(FORM.read_bytes(), 115, LAST_WORDS, {26: MARK})  # 120 pages in all
    return extract_isolated(data, "slutrapport-med-bilagor.pdf", ExtractLimits())


def test_a_120_page_report_is_read_with_every_field_within_the_default_limits() -> None:
    form_alone = extract_bytes(FORM.read_bytes(), FORM.name)
    result = long_report()
    assert result.document_type == form_alone.document_type == "slutrapport"
    assert result.fields == form_alone.fields
    # Word for word: the appendix pages laid out with the form may change where a line break
    # is read as a paragraph (the wrap statistics are the document's).
    assert {k: words(v) for k, v in result.sections.items() if k != APPENDIX_KEY} == {
        k: words(v) for k, v in form_alone.sections.items()
    }
    assert [f.code for f in result.findings] == [f.code for f in form_alone.findings]


def test_the_appendix_pages_are_kept_as_text() -> None:
    appendix = long_report().sections[APPENDIX_KEY]
    assert "Bilaga 26: underlag till slutrapporten" in appendix  # the first page not laid out
    assert MARK in appendix
    assert "Bilaga 115: underlag till slutrapporten" in appendix
    assert appendix.rstrip().endswith(LAST_WORDS)


def test_the_appendix_text_is_found_by_search(app: App) -> None:
    result = long_report()
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report(title="Lång", sections=result.sections))
    with app.engine.connect() as conn:
        hits = search(conn, "Kvarnströmsmetoden")
    assert [h["ref"] for h in hits] == ["SFG 26-01.01"]

"""The form interpreter on hand-made layouts (no file format involved)."""

from __future__ import annotations

from intake.extract.forms import default_form
from intake.extract.interpret import RawFields, find_headings, sections
from intake.extract.interpret import fields as read_fields
from intake.extract.layout import Cell, Layout, Para

FORM = default_form()


def fields(layout: Layout) -> RawFields:
    return read_fields(layout, FORM, find_headings(layout, FORM))


STRIDE = 100_000.0


def _layout(cells: list[Cell], extra: list[Para] | None = None) -> Layout:
    paras = [
        Para("Slutrapport", 0.0),
        Para("1 Allmänna uppgifter", 10.0),
        Para("2 Ansvarig för genomförande av insatsen", STRIDE + 500.0),
        *(extra or []),
    ]
    return Layout(sorted(paras, key=lambda p: p.y), cells, tol=2.0, pages=2, page_stride=STRIDE)


def test_value_row_on_the_next_page() -> None:
    """Given the label row at the foot of page 1 and the value row at the top of page 2,
    then the value is still found."""
    cells = [
        Cell(80, 700, 300, 720, ["Insatsens namn"]),
        Cell(80, STRIDE + 72, 300, STRIDE + 90, ["Lotsen"]),
    ]
    layout = _layout(cells)
    assert fields(layout).values["title"] == "Lotsen"


def test_no_cross_page_value_when_the_column_continues() -> None:
    """If a cell follows the label on its own page, the next page is not consulted."""
    cells = [
        Cell(80, 600, 300, 620, ["Insatsens namn"]),
        Cell(80, 640, 300, 660, ["Utnyttjade medel 100 kr"]),
        Cell(80, STRIDE + 72, 300, STRIDE + 90, ["Fel"]),
    ]
    layout = _layout(cells)
    assert fields(layout).values["title"] is None


def test_label_with_colon_and_value_in_same_cell() -> None:
    cells = [Cell(80, 100, 300, 120, ["Utnyttjade medel: 2 913 559 kr"])]
    layout = _layout(cells)
    assert fields(layout).values["spent_sek"] == 2913559


def test_unparsed_amount_is_kept_aside() -> None:
    cells = [Cell(80, 100, 300, 120, ["Beviljade medel för insatsen", "ca 2 miljoner"])]
    layout = _layout(cells)
    raw = fields(layout)
    assert raw.values["granted_sek"] is None
    assert raw.unparsed == {"granted_sek": "ca 2 miljoner"}


def test_sections_cut_at_headings_and_helpers_removed() -> None:
    """Answers run from their heading to the next; the form's helper question is dropped."""
    paras = [
        Para("Slutrapport", 0),
        Para("4.1 Syfte och bakgrund till insatsen", 1),
        Para("Svar ett.", 2),
        Para("4.2 Målgrupp för insatsen", 3),
        Para("Vilka personer har insatsen vänt sig till och hur många har deltagit?", 4),
        Para("Unga vuxna.", 5),
    ]
    layout = Layout(paras, [], tol=0.01)
    out = sections(layout, FORM, find_headings(layout, FORM))
    assert out["4.1"] == "Svar ett."
    assert out["4.2"] == "Unga vuxna."
    assert out["5.1"] == ""

"""Whose value is it: the funder's own contacts printed on a form (its staff, a support
address) are never taken as the submitter's fields, wherever the block sits in the form."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.extract.layout import Cell, Layout, Para
from intake.extract.parse import extraction_from_layout

STAFF = [
    ("Kerstin Vallgren", "026-10 20 30", "kerstin.vallgren@samordning-exempel.se"),
    ("Olle Brandt", "026-10 20 31", "olle.brandt@samordning-exempel.se"),
]
INTROS = [
    "Kontaktpersoner på förbundets kansli:",
    "Vid frågor, kontakta kansliet:",
    "Frågor om rapporten besvaras av våra handläggare på kansliet:",
]


def _layout(place: int, table: bool, intro: str, give_phone: bool, give_mail: bool) -> Layout:
    """A report as paragraphs: title, section 2's "Etikett: värde" lines (the submitter's, some
    left out), and the funder's block at `place` among them, as lines or as a table."""
    submitter = [
        "Organisations namn: Norrdala kommun",
        "Kontaktperson: Karin Ålund",
        *(["Telefon: 070-222 33 44"] if give_phone else []),
        *(["E-post: karin.alund@norrdala.se"] if give_mail else []),
    ]
    texts: list[str] = ["Slutrapport", "2. Ansvarig för genomförande av insatsen"]
    before, after = submitter[:place], submitter[place:]
    paras: list[Para] = []
    cells: list[Cell] = []
    y = 0.0

    def add(text: str, in_cell: bool = False) -> None:
        nonlocal y
        y += 10
        paras.append(Para(text, y, in_cell=in_cell))

    for t in texts + before:
        add(t)
    add(intro)
    if table:
        rows = [("Namn", "Telefon", "E-post"), *STAFF]
        for row in rows:
            y += 10
            for c, text in enumerate(row):
                cells.append(Cell(100.0 * c, y, 100.0 * (c + 1), y + 10, [text]))
                paras.append(Para(text, y + c * 0.001, 100.0 * c, in_cell=True))
    else:
        for name, phone, mail in STAFF:
            add(f"Kontaktperson: {name}")
            add(f"Telefon: {phone}")
            add(f"E-post: {mail}")
    add("3. Samverkansparter")
    for t in after:
        add(t)
    return Layout(paras, cells, tol=2.0)


@settings(max_examples=60, deadline=None)
@given(
    place=st.integers(0, 4),
    table=st.booleans(),
    intro=st.sampled_from(INTROS),
    give_phone=st.booleans(),
    give_mail=st.booleans(),
)
def test_no_submitter_field_from_the_funders_block(
    place: int, table: bool, intro: str, give_phone: bool, give_mail: bool
) -> None:
    """Given the funder's contact block anywhere among the submitter's lines, when read, then
    no contact field holds the funder's values, and the submitter's own are kept."""
    result = extraction_from_layout(_layout(place, table, intro, give_phone, give_mail))
    staff = {v for person in STAFF for v in person}
    got = {result.fields.get(k) for k in ("contact_name", "contact_phone", "contact_email")}
    assert not got & staff, got
    assert result.fields["contact_email"] == ("karin.alund@norrdala.se" if give_mail else None)
    assert result.fields["contact_phone"] == ("070-222 33 44" if give_phone else None)

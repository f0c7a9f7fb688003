"""Property: a report whose headings and helper texts are reworded (from lists of wordings other
forms use) and whose labelled rows come in any order reads exactly like the original."""

from __future__ import annotations

import copy
import io
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "fixtures"))
from make_reports import expected_sections, reports, write_docx

from intake.extract import extract_bytes

# Wordings per section as other forms (or other versions of ours) put them.
HEADINGS = {
    "4.1": ["Bakgrund och syfte", "Varför behövdes insatsen", "Insatsens bakgrund"],
    "4.2": ["Vilka har deltagit", "Deltagare och målgrupp", "Målgruppen"],
    "5.1": ["Har målen uppnåtts", "Resultat i förhållande till målen", "Måluppfyllelse"],
    "5.2": ["Hur har ni arbetat", "Genomförande och aktiviteter", "Arbetssätt"],
    "5.3": ["Avvikelser från planen", "Vad blev annorlunda än planerat", "Förändringar"],
    "5.4": ["Uppföljning och utvärdering", "Hur har målen följts upp", "Utvärdering"],
    "6.1": ["Lärdomar", "Vad har ni lärt er", "Erfarenheter"],
    "6.2": ["Implementering", "Hur lever arbetet vidare", "Fortsättning efter projekttiden"],
    "6.3": ["Deltagarnas inflytande", "Brukarmedverkan", "Delaktighet"],
    "6.4": ["Vad har fungerat bra", "Framgångsfaktorer", "Positiva effekter"],
    "6.5": ["Systemfel", "Hinder i regelverk", "Strukturella hinder mellan myndigheterna"],
    "7.1.1": ["Kommentar till budgeten", "Var budgeten rimlig", "Budgetens avvägning"],
    "7.2.1": ["Varför återstår medel", "Orsak till överskott", "Kvarvarande medel"],
}
HELPERS = {
    "4.1": ["Berätta kort om bakgrunden.", "Vilket behov skulle insatsen möta?"],
    "4.2": ["Vilka har deltagit och hur många?", "Beskriv deltagarna."],
    "5.1": ["Ange för varje mål hur långt ni har kommit.", "Har målen nåtts?"],
    "5.2": ["Beskriv arbetet och aktiviteterna.", "Vad har ni gjort?"],
    "5.3": ["Har planen ändrats? Hur och varför?", "Beskriv avvikelser."],
    "5.4": ["Hur har målen följts upp?", "Vilka metoder har använts för uppföljningen?"],
    "6.1": ["Vad kan andra ha nytta av?", "Beskriv era lärdomar."],
    "6.2": ["Vem tar över arbetet?", "Hur finansieras fortsättningen?"],
    "6.3": ["Hur har deltagarna kunnat påverka?", "Beskriv deltagarnas inflytande."],
    "6.4": ["Vad fungerade bäst?", "Beskriv det som gått bra."],
    "6.5": ["Vilka hinder har ni sett?", "Beskriv hinder i regler och rutiner."],
    "7.1.1": ["Kommentera användningen av medlen.", "Hur har pengarna använts?"],
    "7.2.1": ["Hur mycket återstår, och varför?", "Ange belopp och orsak."],
}
BASES = {r.name: r for r in reports() if r.doc_type == "slutrapport"}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(sorted(BASES)),
    headings=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in HEADINGS.items()}),
    helpers=st.fixed_dictionaries({k: st.sampled_from(v) for k, v in HELPERS.items()}),
    seed=st.integers(0, 10_000),
)
def test_reworded_and_reordered_reports_read_the_same(
    base: str, headings: dict[str, str], helpers: dict[str, str], seed: int
) -> None:
    report = copy.deepcopy(BASES[base])
    report.heading_titles = headings
    report.helper_texts = helpers
    report.shuffle_seed = seed
    buf = io.BytesIO()
    write_docx(report, buf)
    result = extract_bytes(buf.getvalue(), "rapport.docx")
    for key, value in report.expected.items():
        assert result.fields[key] == value, key
    for key, value in expected_sections(report).items():
        assert result.sections[key] == value, key

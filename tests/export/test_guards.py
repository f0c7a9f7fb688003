"""Promises of the exports that a one-line bug could break unseen: the public diary masks a
personnummer in every column that can hold one; the archive marks a secret document restricted
whether or not it has a public title; the board's list leaves cancelled reports out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from casefile.db.models import Case
from casefile.export.disclosure import PNR_MASK, has_personnummer
from casefile.register import NewDocument, register_document
from tests.export.conftest import PERSONNUMMER, Filled, run
from tests.export.test_archive import ERMS
from tests.export.test_diary import export_csv

# Luhn-valid, another spelling than the conftest's: 12 digits, no separator.
OTHER_PNR = "197001011239"


def by_hand(filled: Filled, day: int, title: str, sender: str | None, org: str = "") -> str:
    with filled.app.sessions() as s, s.begin():
        doc = register_document(
            s,
            filled.app.settings,
            NewDocument(
                kind="skrivelse",
                received_at=dt.datetime(2026, 5, day, 9, 0, tzinfo=dt.UTC),
                sender=sender,
                title=title,
                organisation=org,
            ),
            actor="AKH",
        )
        return doc.diarienummer


def test_public_diary_masks_a_personnummer_in_every_column(filled: Filled, tmp_path: Path) -> None:
    """Given a personnummer in a sender, in an organisation shown as the party, in a title, in
    a cancellation's reason and in a secrecy provision, when the diary is exported --public,
    then no cell holds one, and each of those cells shows the mask instead."""
    sender = by_hand(filled, 4, "Skrivelse om stöd", f"Pnr {PERSONNUMMER} <p@ex.test>")
    org = by_hand(filled, 5, "Brev", None, f"Enskild firma {OTHER_PNR}")
    title = by_hand(filled, 6, f"Ansökan från {OTHER_PNR}", "Eva <eva@ex.test>")
    cancelled = by_hand(filled, 7, "Felregistrerad", "Bo <bo@ex.test>")
    secret = by_hand(filled, 8, "Utredning", "Lisa <lisa@ex.test>")
    for args in (
        ("cancel", cancelled, "--reason", f"Gällde {PERSONNUMMER}"),
        ("secrecy", secret, "--provision", f"OSL 26 kap. 1 § ({OTHER_PNR})"),
    ):
        code, _, err = run(filled.config, *args, "--by", "AKH")
        assert code == 0, (args, err)
    internal = {r["diarienummer"]: r for r in export_csv(filled, tmp_path)[1]}
    _, rows = export_csv(filled, tmp_path, "--public")
    public = {r["diarienummer"]: r for r in rows}
    assert not [(r["diarienummer"], k) for r in rows for k, v in r.items() if has_personnummer(v)]
    for number, column in (
        (sender, "avsandare_mottagare"),
        (org, "avsandare_mottagare"),
        (title, "beskrivning"),
        (cancelled, "beskrivning"),
        (secret, "sekretess"),
    ):
        assert has_personnummer(internal[number][column]), (number, column)
        assert PNR_MASK in public[number][column], (number, column)


def test_archive_restricts_a_secret_document_without_a_public_title(
    filled: Filled, tmp_path: Path
) -> None:
    """Given a document marked secret with no public title, when its case is archived, then
    its record carries the restriction with the provision, and its public title is the
    general wording, never the real title."""
    case = filled.numbers[0].rsplit(".", 1)[0]
    with filled.app.sessions() as s, s.begin():
        into = s.query(Case).filter_by(number=case).one()
        doc = register_document(
            s,
            filled.app.settings,
            NewDocument(
                kind="skrivelse",
                received_at=dt.datetime(2026, 2, 25, 9, 0, tzinfo=dt.UTC),
                sender="Kajsa <kajsa@ex.test>",
                title="Kajsas sjukskrivning",
                organisation="",
            ),
            actor="AKH",
            into=into,
        )
        number = doc.diarienummer
    code, _, err = run(
        filled.config, "secrecy", number, "--provision", "OSL 21 kap. 1 §", "--by", "AKH"
    )
    assert code == 0, err
    output = tmp_path / "paket"
    code, _, err = run(filled.config, "export", "archive", case, "--output", str(output))
    assert code == 0, err
    erms = etree.parse(str(output / "metadata" / "descriptive" / "erms.xml"))
    (record,) = [r for r in erms.iter(f"{ERMS}record") if r.findtext(f"{ERMS}objectId") == number]
    restriction = record.find(f"{ERMS}restriction")
    assert restriction is not None and restriction.get("restrictionType") == "confidential"
    assert restriction.findtext(f"{ERMS}regulation") == "OSL 21 kap. 1 §"
    assert record.findtext(f"{ERMS}otherTitle") == "Sekretess"


def test_board_leaves_a_cancelled_report_out(filled: Filled, tmp_path: Path) -> None:
    """Given four reports in the year, when one slutrapport is cancelled, then the board's
    list has the other three, and its number is nowhere in the document."""
    code, _, err = run(
        filled.config, "cancel", "SFG 26-02.01", "--reason", "Fel avsändare", "--by", "AKH"
    )
    assert code == 0, err
    out = tmp_path / "styrelsen.html"
    code, stdout, err = run(filled.config, "export", "board", "--from", "2026-01-01", "--to",
                            "2026-12-31", "--output", str(out))  # fmt: skip
    assert code == 0, err
    assert "3 rapporter" in stdout
    page = lxml_html.fromstring(out.read_bytes())
    first = [tr[0].text_content() for tr in page.iter("tr")][1:-1]
    assert first == ["SFG 26-01.01", "SFG 26-03.01", "SFG 26-04.01"]
    assert "SFG 26-02.01" not in page.text_content()

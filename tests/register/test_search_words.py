"""`casefile search` word rules on both databases: every word a prefix, every word needed, in
any order, best first (the test words are strict prefixes of the indexed words)."""

from __future__ import annotations

from typing import Any

from casefile.app import App
from casefile.register import register_document
from casefile.search import search
from tests.register.factories import new_report

FILLER = (
    "Arbetet har pågått hela året med möten, uppföljning och samverkan mellan kommunen, "
    "regionen och Arbetsförmedlingen kring deltagarnas väg mot arbete eller studier."
)


def register(app: App, title: str, organisation: str, text: str = "") -> str:
    with app.sessions() as s, s.begin():
        doc = register_document(
            s,
            app.settings,
            new_report(
                title=title,
                organisation=organisation,
                sender=f"post@{organisation.split()[0].lower()}.test",
                sections={"4": text} if text else {},
            ),
        )
        return doc.diarienummer


def refs(app: App, query: str, limit: int = 20) -> list[str]:
    with app.engine.connect() as conn:
        hits: list[dict[str, Any]] = search(conn, query, limit=limit)
    return [h["ref"] for h in hits if h["diarienummer"] is not None]


def test_strict_prefixes_find_whole_words(app: App) -> None:
    """Given a report titled "Kalkonodlingarna" from "Zebrafinkarnas förening", then the
    strict prefixes "kalkonodl" and "zebrafink" find it; a word it does not begin with does
    not."""
    number = register(app, "Kalkonodlingarna", "Zebrafinkarnas förening")
    assert refs(app, "kalkonodl") == [number]
    assert refs(app, "zebrafink") == [number]
    assert refs(app, "odlingarna") == []


def test_every_word_must_match_in_any_order(app: App) -> None:
    """Given one report holding both words and one holding only the first, then a query of
    both words (in either order) returns only the first report."""
    both = register(app, "Kalkonodlingarna", "Zebrafinkarnas förening")
    register(app, "Kalkonodlingarna Norr", "Bollnäs kommun")
    assert sorted(refs(app, "kalkonod")) == sorted([both, "SFG 26-02.01"])
    assert refs(app, "kalkonod zebrafin") == [both]
    assert refs(app, "zebrafin kalkonod") == [both]


def test_the_best_match_comes_first(app: App) -> None:
    """Given a report that names the insats once in a long text, registered before one that
    carries it in its title, organisation and text, then the second comes first, also when
    only one hit is asked for."""
    weak = register(app, "Samverkan", "Ockelbo kommun", f"{FILLER} Om zebrafinkarna. {FILLER}")
    strong = register(
        app, "Zebrafinkarna", "Zebrafinkarnas förening", "Zebrafinkarna och zebrafinkarnas vänner."
    )
    assert refs(app, "zebrafin") == [strong, weak]
    assert refs(app, "zebrafin", limit=2)[:1] == [strong]
    with app.engine.connect() as conn:
        [top] = search(conn, "zebrafin", limit=1)
    assert top["ref"] in (strong, "SFG 26-02")

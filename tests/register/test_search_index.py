"""The search index under hostile text: bounded in size and token length, linear to build.

A sender's answer of 1 MB in one word, 1 MB of distinct words, or a 120 KB note once held the
registering transaction for minutes (a backtracking e-mail pattern over the free text) or failed
on PostgreSQL (a tsvector over 1 MB). The assertions are structural: what is stored is bounded.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import string

import pytest
from sqlalchemy import insert, select

from casefile.app import App
from casefile.db.schema import cases, search_entries
from casefile.register import add_note, register_document
from casefile.search import (
    MAX_ADDRESS_CHARS,
    MAX_INDEX_CHARS,
    MAX_QUERY_WORDS,
    MAX_TOKEN_CHARS,
    SearchTimeout,
    addresses,
    index_content,
    search,
)
from tests.register.conftest import run
from tests.register.factories import new_report

MB = 1_000_000


def _distinct_words(size: int) -> str:
    rng = random.Random(24)
    words = ("".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(size // 10 + 1))
    return " ".join(words)[:size]


def _stored(app: App) -> dict[str, str]:
    with app.engine.connect() as conn:
        rows = conn.execute(select(search_entries.c.ref, search_entries.c.content)).all()
    return {ref: content for ref, content in rows}


def _assert_bounded(content: str) -> None:
    assert len(content) <= MAX_INDEX_CHARS + MAX_ADDRESS_CHARS
    assert max(len(token) for token in content.split()) <= MAX_TOKEN_CHARS


def test_a_1_mb_word_and_1_mb_of_words_register_with_a_bounded_index(app: App) -> None:
    """Given a report whose answers are one 1 MB word and 1 MB of distinct words, when it is
    registered (SQLite and PostgreSQL), then the index row is bounded in size and in token length,
    and the report is found by the title and by words from the start of its answers."""
    answers = {"mal": "Zebrafink" + "a" * MB, "resultat": "Kolibri " + _distinct_words(MB)}
    with app.sessions() as s, s.begin():
        doc = register_document(
            s, app.settings, new_report(title="Fågelinsatsen", sections=answers)
        )
        doc_id = doc.id
    content = _stored(app)[f"doc:{doc_id}"]
    _assert_bounded(content)
    with app.engine.connect() as conn:
        assert sorted(h["ref"] for h in search(conn, "Fågelinsatsen")) == [
            "SFG 26-01",
            "SFG 26-01.01",
        ]
        for word in ("Kolibri", "Zebrafink"):
            assert [h["ref"] for h in search(conn, word)] == ["SFG 26-01.01"], word


def test_a_120_kb_note_is_indexed_bounded(app: App) -> None:
    """Given a case and a document, when a 120 KB one-word note is written on each, then both
    index rows stay bounded and the note's first characters are still found."""
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report())
    note = "Ugglan" + "x" * 120_000
    for ref in ("SFG 26-01", "SFG 26-01.01"):
        with app.sessions() as s, s.begin():
            add_note(s, app.settings, ref, note, "AKH")
    stored = _stored(app)
    assert len(stored) == 2
    for content in stored.values():
        _assert_bounded(content)
        assert "Ugglan" in content
    with app.engine.connect() as conn:
        assert sorted(h["ref"] for h in search(conn, "ugglan")) == ["SFG 26-01", "SFG 26-01.01"]


def test_index_content_is_bounded_whatever_the_text() -> None:
    """Given the worst inputs for an e-mail pattern (long runs of address characters, many @, a
    1 MB line of addresses), then the content is bounded and tokens are at most an address long."""
    hostile = [
        "a" * MB,
        "a." * (MB // 2),
        "a@" * (MB // 2),
        "a@a" + ".a" * (MB // 2),
        ("x" * 250 + "@ ") * (MB // 252),
        " ".join(f"p{i}@org{i}.se" for i in range(MB // 14)),
        "\n" * MB,
    ]
    for text in hostile:
        content = index_content(text)
        assert len(content) <= MAX_INDEX_CHARS + MAX_ADDRESS_CHARS, text[:10]
        assert max((len(t) for t in content.split()), default=0) <= MAX_TOKEN_CHARS, text[:10]


def test_addresses_are_still_found_one_token_at_a_time() -> None:
    text = (
        "Kontakt: <sara.lind@norrdala.se>, mailto:Per+x@kommun.se; ej: a@b, "
        + "y" * 300
        + "@lang.se sista.ord@x.se."
    )
    assert addresses(text) == ["sara.lind@norrdala.se", "Per+x@kommun.se", "sista.ord@x.se"]
    content = index_content(text)
    assert "sara lind norrdala se" in content and "Per x kommun se" in content


# -- the query: capped in words, length and time ---------------------------------------------


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ([f"w{i}" for i in range(1000)], "sök på högst 20 ord (1000 angavs)"),
        (["x" * 300], "sökningen är för lång (300 tecken, högst 200)"),
    ],
)
def test_a_long_query_is_a_usage_error_in_swedish(
    config_file: str, words: list[str], message: str
) -> None:
    """Given 1,000 short words (21 s on SQLite, over a minute on PostgreSQL before) or one
    300-character word, then the search is refused with exit 2 and one Swedish line."""
    code, out, err = run(config_file, "search", *words)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_twenty_words_are_still_searched(app: App, config_file: str) -> None:
    with app.sessions() as s, s.begin():
        register_document(s, app.settings, new_report(title="Zebrafinken"))
    code, out, _ = run(config_file, "search", "--json", *(["zebra"] * MAX_QUERY_WORDS))
    assert code == 0 and [h["ref"] for h in json.loads(out)] == ["SFG 26-01.01", "SFG 26-01"]


@pytest.mark.parametrize("limit", ["99999999999999999999", "0", "-1", "1001"])
def test_search_limit_out_of_range_is_a_usage_error(config_file: str, limit: str) -> None:
    code, _, err = run(config_file, "search", "x", "--limit", limit)
    assert code == 2 and "--limit" in err and "Traceback" not in err


def test_a_search_past_its_time_limit_is_stopped_on_the_server(app: App) -> None:
    """Given a register of 3,000 index rows that all match, when a search has a 1 ms limit,
    then the database stops it (PostgreSQL: statement_timeout; SQLite: the progress handler),
    the error is one Swedish line, and the connection searches normally afterwards."""
    with app.engine.begin() as conn:
        opened = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        conn.execute(insert(cases).values(id=1, number="SFG 26-01", year=2026, serial=1,
                                          title="T", organisation="O", status="open",
                                          opened_at=opened))  # fmt: skip
        conn.execute(
            insert(search_entries),
            [
                {"ref": f"x:{i}", "case_id": 1, "content": _distinct_words(3000) + " hackspett"}
                for i in range(3000)
            ],
        )
    with app.engine.connect() as conn:
        with pytest.raises(SearchTimeout, match=r"sökningen avbröts efter 0\.001 s"):
            search(conn, "hackspett", 1000, seconds=0.001)
        assert len(search(conn, "hackspett", 5)) == 5

"""Full-text search over the register: what goes into the index, keeping it current, querying it.

The index rows (schema.search_entries) hold plain text per document and per case; SQLite searches
them through an FTS5 table (bm25 rank, snippet()), PostgreSQL through a stored column
search_vector = to_tsvector('swedish', content) with a GIN index (ts_rank, ts_headline).
Writers call refresh_* inside their own transaction, so the index never lags the register:
moved after the commit, a crash in between would leave a registered document that search never
finds, with nothing to say it is missing. That is affordable because building a row is linear
and bounded (bounded_text, index_content): a 1 MB answer costs tens of milliseconds
(bench/register.py --index-only).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.exc import OperationalError

from casefile.db.schema import cases, documents, events, search_entries
from casefile.errors import RegisterError

if TYPE_CHECKING:  # `casefile search` reads through Core only and starts without the ORM
    from sqlalchemy.orm import Session

_CONTACT_FIELDS = ("contact_name", "contact_email", "workplace", "submitter_name", "postal_town")
_WORD = re.compile(r"\w+", re.UNICODE)
MARK_START, MARK_END = "[", "]"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def document_text(doc: Mapping[str, Any], notes: Iterable[str] = ()) -> str:
    """Title, organisation, sender, contacts, notes and section texts of one document."""
    fields = doc.get("fields") or {}
    parts: list[str] = [
        doc.get("title") or "",
        doc.get("organisation") or "",
        doc.get("sender") or "",
        doc.get("subject") or "",
    ]
    parts += [str(fields.get(k) or "") for k in _CONTACT_FIELDS]
    parts += list(_strings(fields.get("partners") or []))
    parts += list(notes)
    parts += list(_strings(doc.get("sections") or {}))
    return "\n".join(p.strip() for p in parts if p and p.strip())


def case_text(case: Mapping[str, Any], notes: Iterable[str] = ()) -> str:
    parts = [
        case.get("title") or "",
        case.get("organisation") or "",
        case.get("contact_name") or "",
        case.get("contact_email") or "",
        *notes,
    ]
    return "\n".join(p.strip() for p in parts if p and p.strip())


def _notes(conn: Connection | Session, **where: int) -> list[str]:
    stmt = select(events.c.detail).where(events.c.action == "note")
    if "document_id" in where:
        stmt = stmt.where(events.c.document_id == where["document_id"])
    else:
        stmt = stmt.where(events.c.case_id == where["case_id"], events.c.document_id.is_(None))
    details = conn.execute(stmt.order_by(events.c.id)).scalars()
    return [str(d.get("text") or "") for d in details if isinstance(d, dict)]


# The index text of one document or case is bounded, whatever a sender wrote: at most
# MAX_INDEX_CHARS characters (about 40 pages of report text; PostgreSQL refuses a tsvector over
# 1 MB, and ts_headline reads the whole text of every hit), each run of non-space characters cut
# to MAX_TOKEN_CHARS (an address's RFC 5321 limit), and at most MAX_ADDRESS_CHARS of address
# words. Text beyond the cap is kept in the register, only not found by `casefile search`.
MAX_INDEX_CHARS = 100_000
MAX_TOKEN_CHARS = 254
MAX_ADDRESS_CHARS = 10_000

# Run on one whitespace-free token at a time, at most MAX_TOKEN_CHARS long. It starts only at
# the start of a run of address characters (the lookbehind) and never gives characters back
# (possessive), so each character is looked at a bounded number of times: linear in the token.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
_ADDRESS_SEPARATORS = re.compile(r"[@.+_-]+")


def bounded_text(body: str) -> str:
    """`body` as it goes into the index: lines of whitespace-separated tokens, each at most
    MAX_TOKEN_CHARS, the whole at most MAX_INDEX_CHARS. Linear in len(body): str.split, no
    pattern over the free text."""
    lines: list[str] = []
    size = 0
    for line in body.splitlines():
        if not line or line.isspace():
            continue
        # A line of one 1 MB word gives one token: the later answers are indexed too.
        words = " ".join(w[:MAX_TOKEN_CHARS] for w in line.split())
        if words:
            lines.append(words)
            size += len(words) + 1
            if size >= MAX_INDEX_CHARS:
                break
    return "\n".join(lines)[:MAX_INDEX_CHARS]


def addresses(text: str) -> list[str]:
    """The e-mail addresses in `text`, in order, each once; one token at a time."""
    found: dict[str, None] = {}
    for token in text.split():
        if "@" in token and len(token) <= MAX_TOKEN_CHARS:
            for address in _EMAIL.findall(token):
                found.setdefault(address, None)
    return list(found)


def index_content(body: str) -> str:
    """What is stored for search: the bounded text, then the parts of each e-mail address as
    words (PostgreSQL's parser keeps an address as one token; its parts as words too let
    "sara lind" or "norrdala" find sara.lind@norrdala.se on both databases)."""
    text = bounded_text(body)
    words: list[str] = []
    size = 0
    for address in addresses(text):
        line = " ".join(p for p in _ADDRESS_SEPARATORS.split(address) if p)
        size += len(line) + 1
        if size > MAX_ADDRESS_CHARS:
            break
        words.append(line)
    return "\n".join([text, *sorted(set(words))]) if words else text


def _put(conn: Connection | Session, ref: str, case_id: int, doc_id: int | None, body: str) -> None:
    body = index_content(body)
    conn.execute(delete(search_entries).where(search_entries.c.ref == ref))
    conn.execute(
        insert(search_entries).values(ref=ref, case_id=case_id, document_id=doc_id, content=body)
    )


def refresh_document(conn: Connection | Session, document_id: int) -> None:
    """Rewrite one document's index row from the register (call after a flush)."""
    if not isinstance(conn, Connection):
        conn.flush()  # a Session: its pending changes first
    row = conn.execute(select(documents).where(documents.c.id == document_id)).mappings().one()
    body = document_text(dict(row), _notes(conn, document_id=document_id))
    _put(conn, f"doc:{document_id}", row["case_id"], document_id, body)


def refresh_case(conn: Connection | Session, case_id: int) -> None:
    if not isinstance(conn, Connection):
        conn.flush()  # a Session: its pending changes first
    row = conn.execute(select(cases).where(cases.c.id == case_id)).mappings().one()
    body = case_text(dict(row), _notes(conn, case_id=case_id))
    _put(conn, f"case:{case_id}", case_id, None, body)


def rebuild(conn: Connection) -> int:
    """Index the whole register (migration 0007, and after a bulk load). Returns rows written."""
    count = 0
    for (case_id,) in conn.execute(select(cases.c.id)):
        refresh_case(conn, case_id)
        count += 1
    for (doc_id,) in conn.execute(select(documents.c.id)):
        refresh_document(conn, doc_id)
        count += 1
    return count


# A query is at most this many words and characters: each word is a prefix term, and 1,000 of
# them took 21 s on SQLite and over a minute on PostgreSQL.
MAX_QUERY_WORDS = 20
MAX_QUERY_CHARS = 200
# The search statement's own time limit (PostgreSQL: statement_timeout, which also ends the
# query on the server when the client is gone; SQLite: a progress handler).
SEARCH_SECONDS = 10.0


class QueryError(RegisterError):
    """A query outside the limits; one line saying which."""


class SearchTimeout(RegisterError):
    """The search statement ran past its time limit and was stopped."""


def query_words(query: str) -> list[str]:
    """The words of `query`, or QueryError when it is longer than the limits allow."""
    words = _WORD.findall(query)
    if len(words) > MAX_QUERY_WORDS:
        raise QueryError(f"sök på högst {MAX_QUERY_WORDS} ord ({len(words)} angavs)")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(
            f"sökningen är för lång ({len(query)} tecken, högst {MAX_QUERY_CHARS}); "
            "sök på färre eller kortare ord"
        )
    return words


def search(
    conn: Connection, query: str, limit: int = 20, seconds: float = SEARCH_SECONDS
) -> list[dict[str, Any]]:
    """Index rows matching every word of `query` (as a word prefix), best first; the statement
    is stopped after `seconds` (SearchTimeout)."""
    words = query_words(query)
    if not words:
        return []
    try:
        with _time_limit(conn, seconds):
            hits = _hits(conn, words, limit)
    except OperationalError as exc:
        if not _was_stopped(exc):
            raise
        raise SearchTimeout(
            f"sökningen avbröts efter {seconds:g} s; sök på färre eller längre ord"
        ) from None
    return _described(conn, hits)


def _was_stopped(exc: OperationalError) -> bool:
    """PostgreSQL's query_canceled (57014), or SQLite's interrupt from the progress handler."""
    code = getattr(exc.orig, "pgcode", None) or getattr(exc.orig, "sqlstate", None)
    return code == "57014" or "interrupted" in str(exc.orig)


@contextmanager
def _time_limit(conn: Connection, seconds: float) -> Iterator[None]:
    if conn.dialect.name == "postgresql":
        # SET LOCAL: the limit lasts until this transaction (or savepoint) ends; inside a
        # caller's transaction the caller's own limit is put back afterwards.
        outer = conn.in_transaction()
        with conn.begin_nested() if outer else conn.begin():
            before = conn.execute(text("SHOW statement_timeout")).scalar() if outer else None
            conn.execute(
                text("SELECT set_config('statement_timeout', :ms, true)"),
                {"ms": str(max(1, int(seconds * 1000)))},
            )
            yield
            if before is not None:
                conn.execute(
                    text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": before}
                )
        return
    raw = conn.connection.driver_connection
    if conn.dialect.name != "sqlite" or raw is None:
        yield
        return
    deadline = time.monotonic() + seconds
    # Called every 1,000 virtual machine instructions; a true value interrupts the statement.
    raw.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def _hits(conn: Connection, words: list[str], limit: int) -> list[dict[str, Any]]:
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "WITH q AS (SELECT to_tsquery('swedish', :tsq) AS q), "
                "hits AS (SELECT e.id, e.ref, e.case_id, e.document_id, e.content, "
                "ts_rank(e.search_vector, q.q) AS score "
                "FROM search_entries e, q "
                "WHERE e.search_vector @@ q.q "
                "ORDER BY score DESC, e.id DESC LIMIT :limit) "
                "SELECT hits.ref, hits.case_id, hits.document_id, hits.score, "
                "ts_headline('swedish', hits.content, q.q, :opts) AS snippet FROM hits, q "
                "ORDER BY hits.score DESC, hits.id DESC"
            ),
            {
                "tsq": " & ".join(f"{w}:*" for w in words),
                "limit": limit,
                "opts": f"StartSel={MARK_START},StopSel={MARK_END},MaxWords=14,MinWords=6,"
                "MaxFragments=1,FragmentDelimiter= … ",
            },
        ).mappings()
    else:
        match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        rows = conn.execute(
            text(
                "SELECT e.ref, e.case_id, e.document_id, -bm25(search_fts) AS score, "
                "snippet(search_fts, 0, :start, :end, '…', 12) AS snippet "
                "FROM search_fts JOIN search_entries e ON e.id = search_fts.rowid "
                "WHERE search_fts MATCH :match ORDER BY bm25(search_fts), e.id DESC LIMIT :limit"
            ),
            {"match": match, "limit": limit, "start": MARK_START, "end": MARK_END},
        ).mappings()
    return [dict(r) for r in rows]


def _described(conn: Connection, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    case_ids = {h["case_id"] for h in hits}
    doc_ids = {h["document_id"] for h in hits if h["document_id"] is not None}
    case_rows = {
        r["id"]: r
        for r in conn.execute(
            select(cases.c.id, cases.c.number, cases.c.title, cases.c.organisation).where(
                cases.c.id.in_(case_ids)
            )
        ).mappings()
    }
    doc_rows = {
        r["id"]: r
        for r in conn.execute(
            select(
                documents.c.id,
                documents.c.diarienummer,
                documents.c.title,
                documents.c.organisation,
                documents.c.received_date,
                documents.c.secrecy_provision,
                documents.c.secrecy_public_title,
            ).where(documents.c.id.in_(doc_ids))
        ).mappings()
    }
    out = []
    for h in hits:
        case = case_rows[h["case_id"]]
        doc = doc_rows.get(h["document_id"]) if h["document_id"] is not None else None
        snippet = " ".join(str(h["snippet"] or "").split())
        out.append(
            {
                "ref": doc["diarienummer"] if doc else case["number"],
                "case": case["number"],
                "diarienummer": doc["diarienummer"] if doc else None,
                "received_date": doc["received_date"].isoformat() if doc else None,
                "title": (doc or case)["title"],
                "organisation": (doc or case)["organisation"],
                "secrecy": doc["secrecy_provision"] if doc else None,
                "score": round(float(h["score"] or 0.0), 6),
                "snippet": snippet,
            }
        )
    return out

"""The one module of states: every code has its labels, parsing takes codes and Swedish words,
and every event action the code writes has a Swedish name."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from casefile.cli_support import StateType
from casefile.states import (
    ENUMS,
    EVENT_LABELS,
    AuthVerdict,
    DocumentKind,
    DocumentStatus,
    InvalidState,
    MessageState,
    OutboxState,
    event_label,
    label_of,
    parse_state,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_state_has_a_swedish_and_an_english_label() -> None:
    for enum in ENUMS:
        for member in enum:
            assert member.sv and member.en, f"{enum.__name__}.{member.name}"


def test_labels_follow_the_output_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEFILE_LANG", "en")
    assert DocumentStatus.CANCELLED.label == "cancelled"
    assert event_label("mail_queued") == "mail queued"
    monkeypatch.setenv("CASEFILE_LANG", "sv")
    assert DocumentStatus.CANCELLED.label == "makulerad"
    assert event_label("case_opened") == "ärende upprättat"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cancelled", DocumentStatus.CANCELLED),
        ("makulerad", DocumentStatus.CANCELLED),
        ("  Makulerad ", DocumentStatus.CANCELLED),
        ("ofullständig", DocumentStatus.INCOMPLETE),
        ("completed", DocumentStatus.COMPLETED),
    ],
)
def test_parse_state_takes_code_or_label(text: str, expected: DocumentStatus) -> None:
    assert parse_state(DocumentStatus, text) is expected


def test_parse_state_refuses_with_the_valid_values() -> None:
    with pytest.raises(InvalidState) as caught:
        parse_state(OutboxState, "borta")
    message = str(caught.value)
    assert "'borta'" in message
    assert "i kö (queued)" in message and "stoppat (suppressed)" in message
    # The commands' parameter type makes it a usage error (exit 2) with the same words.
    with pytest.raises(click.BadParameter) as usage:
        StateType(OutboxState).convert("borta", None, None)
    assert usage.value.format_message().endswith(message)
    assert usage.value.exit_code == 2


def test_states_compare_equal_to_the_stored_codes() -> None:
    # Rows read back from the database hold plain strings.
    assert MessageState.NO_REPORT == "no_report"
    assert "failed" in {MessageState.FAILED}


_WRITES = [
    re.compile(r"log_event\(\s*[^,()]+,\s*[^,()]+(?:\([^()]*\))?,\s*\"(\w+)\"", re.S),
    re.compile(r"Event\([^()]*?action=\"(\w+)\"", re.S),
    re.compile(r"_event\(\s*[^,()]+,\s*[^,()]+,\s*\"(\w+)\"", re.S),
    re.compile(r"_finish\([^()]*?\"(mail_\w+)\"", re.S),
    re.compile(r"^\s+\"(mail_\w+)\",$", re.M),
]


def _actions_written() -> set[str]:
    found: set[str] = set()
    for folder in ("casefile", "intake"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "log_event" not in text and "action" not in text:
                continue
            for pattern in _WRITES:
                found.update(pattern.findall(text))
    return found


def test_every_event_action_written_has_a_label() -> None:
    actions = _actions_written()
    # The scan itself must work: these are written today.
    assert {"case_opened", "document_signed", "mail_queued", "mail_sent"} <= actions
    assert sorted(actions - set(EVENT_LABELS)) == []


def test_equal_codes_of_different_types_keep_their_own_labels() -> None:
    # "failed" is a message state, an outbox state and a sender verdict: three words.
    assert MessageState.FAILED.sv == "misslyckad"
    assert OutboxState.FAILED.sv == "misslyckat"
    assert AuthVerdict.FAILED.sv == "underkänd"


def test_an_unknown_stored_code_is_shown_as_it_is() -> None:
    # A newer version may write a state this one does not know: show it, do not fail.
    assert label_of(MessageState, "dismissed") == "dismissed"
    assert label_of(OutboxState, None) == "–"
    assert label_of(OutboxState, "failed", swedish=True) == "misslyckat"


def test_document_kinds_are_the_extractions_document_types() -> None:
    # The extraction keeps its own tuple (its worker starts without the CLI's imports)
    from casefile.export.common import KIND_WORDS
    from casefile.register import KINDS as CORRECTABLE_KINDS
    from casefile.states import READ_KINDS, WRITTEN_KINDS
    from intake.extract.forms import DOCUMENT_TYPES as FORM_TYPES
    from intake.extract.model import DOCUMENT_TYPES
    from intake.outgoing.content import KIND_LABELS

    # What the office writes is never an extraction's type: it is never read as a report.
    read = tuple(kind for kind in DocumentKind if kind not in WRITTEN_KINDS)
    assert read == DOCUMENT_TYPES == FORM_TYPES == READ_KINDS == CORRECTABLE_KINDS
    # The words the mail and the exports use are the kinds' own Swedish labels.
    assert KIND_LABELS == {
        "slutrapport": "slutrapport",
        "delrapport": "delrapport",
        "ansokan": "ansökan",
    }
    assert KIND_WORDS == {
        "slutrapport": "Slutrapport",
        "delrapport": "Delrapport",
        "ansokan": "Ansökan",
    }
    assert not WRITTEN_KINDS & set(DOCUMENT_TYPES)

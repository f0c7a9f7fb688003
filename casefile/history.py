"""The audit log as staff read it: what each event says (note texts, reasons, old → new values),
in Swedish; the events' own names are casefile.states.event_label."""

from __future__ import annotations

from typing import Any

from casefile.i18n import t
from casefile.states import (
    Channel,
    Coded,
    Direction,
    DocumentKind,
    MailKind,
    OutboxState,
    field_label,
    label_of,
)

MATCH_RULES = {
    "reply": "svar på vårt brev",
    "subject": "ärendenummer i ämnet",
    "form_reference": "diarienummer i blanketten",
    "title_organisation": "samma insats och organisation",
    "new": "nytt ärende",
    "staff": "ärende angivet av personal",
}


def kind_label(kind: str) -> str:
    return label_of(DocumentKind, kind)


def _coded(enum: type[Coded], value: Any) -> str:
    return label_of(enum, None if value is None else str(value))


def _show(value: Any) -> str:
    return "–" if value in (None, "") else str(value)


def shown_value(field: str, value: Any) -> str:
    """A corrected field's value as people read it: a document kind by its label."""
    if field == "kind" and value not in (None, ""):
        return kind_label(str(value))
    return _show(value)


def describe(action: str, detail: dict[str, Any]) -> str:
    """One line: what the event says beyond its label."""
    d = detail or {}
    if action == "note":
        return f"”{d.get('text', '')}”"
    if action in ("document_cancelled", "document_unsigned", "message_dismissed"):
        who = f" (var {d['previous']})" if action == "document_unsigned" else ""
        return f"skäl: {_show(d.get('reason'))}{who}"
    if action == "case_closed":
        stopped = d.get("stopped_mail") or 0
        extra = f"; {stopped} köade utskick stoppade" if stopped else ""
        return f"skäl: {_show(d.get('reason'))}{extra}"
    if action == "due_date_set":
        return f"{_show(d.get('previous'))} → {_show(d.get('due'))}"
    if action == "field_corrected":
        field = str(d.get("field"))
        old, new = shown_value(field, d.get("old")), shown_value(field, d.get("new"))
        why = f"; skäl: {d['reason']}" if d.get("reason") else ""
        return f"{field_label(field)}: {old} → {new}{why}"
    if action == "secrecy_marked":
        title = f", offentlig titel ”{d['public_title']}”" if d.get("public_title") else ""
        return f"{_show(d.get('provision'))}{title}"
    if action == "mail_queued":
        kind = _coded(MailKind, d.get("kind"))
        state = _coded(OutboxState, d.get("state"))
        why = f" ({d['reason']})" if d.get("reason") and d.get("state") == "suppressed" else ""
        return f"{kind} till {_show(d.get('recipient'))}, {state}{why}"
    if action == "document_registered":
        rule = MATCH_RULES.get(str(d.get("rule")), str(d.get("rule") or ""))
        by = f", av {d['registered_by']}" if d.get("registered_by") else ""
        kind = kind_label(str(d.get("kind", "")))
        return f"{kind}, ankomstdatum {_show(d.get('received_date'))}; {rule}{by}"
    if action == "completed_by":
        return f"av {_show(d.get('by'))}"
    if action == "case_reopened":
        return f"tidigare skäl: {_show(d.get('previous_reason'))}"
    if action == "document_moved":
        moved = t("moved")  # the line `show` prints for a move, also in English
        return moved.format(
            number=d.get("diarienummer"), source=_show(d.get("from")), target=_show(d.get("to"))
        )
    if action == "registered_by_hand":
        f = d.get("file") or {}
        channel = _coded(Channel, d.get("channel"))
        direction = _coded(Direction, d.get("direction"))
        return f"{direction}, {channel}, fil {f.get('filename')}"
    if action == "signature_validated":
        f = d.get("file") or {}
        return f"{_show(d.get('signatures'))} underskrift(er), rapport {f.get('filename')}"
    if action == "delivery_failed":
        return f"leveransrapport, post {_show(d.get('message_row'))}, känd på {_show(d.get('via'))}"
    if action == "forwarded_by_staff":
        # The quoted date is the forwarder's text: information, never the ankomstdatum.
        sent = str(d.get("original_date") or "")[:10]
        when = f", skickad enligt vidarebefordran {sent}" if sent else ""
        return f"av {_show(d.get('officer'))}, ursprunglig avsändare {_show(d.get('sender'))}{when}"
    return ""

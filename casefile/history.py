"""The audit log as staff read it: each event in Swedish words with what it says (note texts,
reasons, old → new values)."""

from __future__ import annotations

from typing import Any

EVENT_LABELS: dict[str, str] = {
    "case_opened": "ärende öppnat",
    "case_closed": "ärende avslutat",
    "case_reopened": "ärende återöppnat",
    "document_registered": "handling registrerad",
    "document_signed": "signerad",
    "signature_withdrawn": "signatur återtagen",
    "document_cancelled": "makulerad",
    "completed_by": "kompletterad",
    "note": "anteckning",
    "due_date_set": "bevakningsdatum satt",
    "field_corrected": "uppgift rättad",
    "secrecy_marked": "sekretessmarkerad",
    "mail_queued": "utskick köat",
    "report_resent": "rapporten skickad igen",
    "message_dismissed": "post avförd",
    "message_duplicate": "dubblett av post",
    "message_automatic": "automatiskt meddelande",
    "message_without_report": "post utan rapport",
    "message_failed": "post kunde inte hanteras",
    "message_retried": "post provad igen",
    "attachment_quarantined": "bilaga i karantän",
    "uidvalidity_changed": "brevlådan numrerades om",
    "forwarded_by_staff": "vidarebefordrad av personal",
    "registered_by_hand": "registrerad för hand",
}

MAIL_KINDS = {
    "kvittens": "kvittens",
    "komplettering": "begäran om komplettering",
    "paminnelse": "påminnelse",
    "digest": "sammanställning",
}
MAIL_STATES = {
    "queued": "köad",
    "sending": "skickas",
    "sent": "skickad",
    "failed": "misslyckad",
    "suppressed": "stoppad",
    "uncertain": "osäker",
}
MATCH_RULES = {
    "reply": "svar på vårt brev",
    "subject": "ärendenummer i ämnet",
    "form_reference": "diarienummer i blanketten",
    "title_organisation": "samma insats och organisation",
    "new": "nytt ärende",
    "staff": "ärende angivet av personal",
}


KIND_LABELS = {
    "slutrapport": "slutrapport",
    "delrapport": "delrapport",
    "ansokan": "ansökan",
    "unknown": "okänd",
}
DIRECTION_LABELS = {"in": "inkommande", "out": "utgående", "internal": "upprättad"}
CHANNEL_LABELS = {"post": "post", "email": "e-post", "hand": "lämnad personligen", "other": "annat"}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def label(action: str) -> str:
    return EVENT_LABELS.get(action, action.replace("_", " "))


def _show(value: Any) -> str:
    return "–" if value in (None, "") else str(value)


def describe(action: str, detail: dict[str, Any]) -> str:
    """One line: what the event says beyond its label."""
    d = detail or {}
    if action == "note":
        return f"”{d.get('text', '')}”"
    if action in ("document_cancelled", "signature_withdrawn", "message_dismissed"):
        who = f" (var {d['previous']})" if action == "signature_withdrawn" else ""
        return f"skäl: {_show(d.get('reason'))}{who}"
    if action == "case_closed":
        stopped = d.get("stopped_mail") or 0
        extra = f"; {stopped} köade utskick stoppade" if stopped else ""
        return f"skäl: {_show(d.get('reason'))}{extra}"
    if action == "due_date_set":
        return f"{_show(d.get('previous'))} → {_show(d.get('due'))}"
    if action == "field_corrected":
        return f"{d.get('field')}: {_show(d.get('old'))} → {_show(d.get('new'))}"
    if action == "secrecy_marked":
        title = f", offentlig titel ”{d['public_title']}”" if d.get("public_title") else ""
        return f"{_show(d.get('provision'))}{title}"
    if action == "mail_queued":
        kind = MAIL_KINDS.get(str(d.get("kind")), str(d.get("kind")))
        state = MAIL_STATES.get(str(d.get("state")), str(d.get("state")))
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
    if action == "registered_by_hand":
        f = d.get("file") or {}
        channel = CHANNEL_LABELS.get(str(d.get("channel")), str(d.get("channel")))
        direction = DIRECTION_LABELS.get(str(d.get("direction")), str(d.get("direction")))
        return f"{direction}, {channel}, fil {f.get('filename')}"
    if action == "forwarded_by_staff":
        return f"av {_show(d.get('officer'))}, ursprunglig avsändare {_show(d.get('sender'))}"
    return ""

"""Outgoing mail: acknowledgements, completion requests, reminders and the staff digest.

Mail is rendered from Jinja2 templates (render.py), composed with our headers (compose.py),
checked against the sending rules (rules.py) and written as an outbox row in the transaction of
the event that causes it (outbox.py). A sender job delivers the rows at most once (sender.py)
through SMTP or a folder of .eml files (transport.py).

The names below are loaded on first use: importing a module of this package must not pay for
Jinja2 and the SMTP code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intake.outgoing.digest import queue_digest
    from intake.outgoing.outbox import ReplyContext, queue_for_document
    from intake.outgoing.reminders import PlannedMail, plan_reminders, queue_reminders
    from intake.outgoing.sender import (
        FlushResult,
        RequeueError,
        flush_outbox,
        recover_interrupted,
        requeue_mail,
    )

_MODULES = {
    "queue_digest": "digest",
    "ReplyContext": "outbox",
    "queue_for_document": "outbox",
    "PlannedMail": "reminders",
    "plan_reminders": "reminders",
    "queue_reminders": "reminders",
    "FlushResult": "sender",
    "RequeueError": "sender",
    "flush_outbox": "sender",
    "recover_interrupted": "sender",
    "requeue_mail": "sender",
}

__all__ = [
    "FlushResult",
    "PlannedMail",
    "ReplyContext",
    "RequeueError",
    "flush_outbox",
    "plan_reminders",
    "queue_digest",
    "queue_for_document",
    "queue_reminders",
    "recover_interrupted",
    "requeue_mail",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

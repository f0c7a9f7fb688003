"""Outgoing mail: acknowledgements, completion requests, reminders and the staff digest.

Mail is rendered from Jinja2 templates (render.py), composed with our headers (compose.py),
checked against the sending rules (rules.py) and written as an outbox row in the transaction of
the event that causes it (outbox.py). A sender job delivers the rows at most once (sender.py)
through SMTP or a folder of .eml files (transport.py).
"""

from intake.outgoing.digest import queue_digest
from intake.outgoing.outbox import ReplyContext, queue_for_document
from intake.outgoing.reminders import PlannedMail, plan_reminders, queue_reminders
from intake.outgoing.replies import reply_context
from intake.outgoing.sender import (
    FlushResult,
    RequeueError,
    flush_outbox,
    recover_interrupted,
    requeue_mail,
)

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
    "reply_context",
    "requeue_mail",
]

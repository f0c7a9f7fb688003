"""What became of one message: its final state and reason, decided by the pure function
`final_state` from what the pipeline's disposition sequence found (pipeline.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from casefile.states import MessageState

# Automatic mail that is never filed, even with a report attached: our own mail coming back.
# The state of an outcome whose message was already recorded (no row state: never stored).
SEEN: Final = "seen"
NEVER_FILED = frozenset({"own_loop", "own_address", "delivery_report"})


@dataclass(frozen=True)
class Filing:
    """What filing the attachments found: the input of `final_state`."""

    registered: tuple[str, ...] = ()
    already_registered: bool = False
    resent: tuple[str, ...] = ()
    quarantined: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def final_state(
    *,
    duplicate_of: int | None,
    automatic: str | None,
    filing: Filing | None,
    returned: tuple[str, ...] = (),
) -> tuple[MessageState, str | None]:
    """The message's state and reason (pure). A registered report wins over everything but a
    duplicate message; automatic mail only loses its reply; a problem is said in the reason.
    A delivery report that returns our registered documents (`returned`) is for staff."""
    if duplicate_of is not None:
        return MessageState.DUPLICATE, f"samma meddelande som post {duplicate_of}"
    if returned:
        return MessageState.DELIVERY_FAILED, f"leveransrapport: {', '.join(returned)} kom inte fram"
    found = filing or Filing()
    if found.registered or found.already_registered:
        return MessageState.REGISTERED, (
            f"automatiskt brev ({automatic}): ingen kvittens" if automatic else None
        )
    if found.resent:
        return MessageState.DUPLICATE, f"redan registrerad som {', '.join(found.resent)}"
    if found.quarantined:
        return MessageState.QUARANTINED, "bilagan kunde inte läsas: " + "; ".join(found.quarantined)
    if automatic is not None:
        return MessageState.AUTOMATIC, automatic
    reason = "ingen rapport bifogad"
    if found.notes:
        reason += ": " + "; ".join(found.notes)
    return MessageState.NO_REPORT, reason


@dataclass
class Outcome:
    uid: int
    # A message already recorded is "seen" (SEEN): nothing was done with it this time.
    state: MessageState | Literal["seen"]
    numbers: list[str] = field(default_factory=list)
    reason: str | None = None
    message_row: int | None = None

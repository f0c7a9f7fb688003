"""Who did it: the initials a staff act is signed and logged with.

One rule for `sign` and for every `--by`: letters and digits only, 1 to 8 of them, kept in
capitals. Nothing else can reach the audit log or a table cell as an actor.
"""

from __future__ import annotations

import re

from casefile.errors import RegisterError

INITIALS_RE = re.compile(r"^[^\W_]{1,8}$")


def valid_initials(text: str) -> str | None:
    """The initials in capitals, or None when `text` is not 1-8 letters and digits."""
    candidate = text.strip().upper()
    return candidate if INITIALS_RE.match(candidate) else None


def check_initials(text: str) -> str:
    initials = valid_initials(text)
    if initials is None:
        raise RegisterError(f"ogiltig signatur {text!r}: 1–8 bokstäver eller siffror, t.ex. AKH")
    return initials

"""One line of `intake check`: what was tried, whether it worked, and its name in the output's
language. Shared by check.py and check_graph.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    # Works now, but needs the operator before long (a secret about to expire): ⚠, exit 0
    # unless `intake check --strict`.
    warning: bool = False

    @property
    def status(self) -> str:
        """ "ok" | "warning" | "error", as --json says it."""
        if not self.ok:
            return "error"
        return "warning" if self.warning else "ok"

    def line(self) -> str:
        mark = {"ok": "✓", "warning": "⚠", "error": "✗"}[self.status]
        return f"{mark} {label(self.name)}: {self.detail}"


# The words of the checks' names (`brevlåda kontakt: inloggning`), for CASEFILE_LANG=en. The
# name stays Swedish in --json, where it identifies the check.
_LABELS_EN = {
    "konfiguration": "configuration",
    "databas": "database",
    "lagring": "storage",
    "brevlåda": "mailbox",
    "inloggning": "login",
    "mapp": "folder",
    "mapp för hanterad post": "folder for handled mail",
    "behörighet": "permission",
    "giltighet": "validity",
    "anslutning": "connection",
    "mall": "template",
    "SMTP (mapp)": "SMTP (folder)",
    "andra brevlådor": "other mailboxes",
}


def label(name: str) -> str:
    """A check's name as the terminal shows it: Swedish, or English under CASEFILE_LANG=en.
    Names are "what" or "what: part", and "what" may be "brevlåda NAME" or "mall KIND"."""
    from casefile.i18n import language

    if language() != "en":
        return name
    what, colon, part = name.partition(": ")
    head, space, rest = what.partition(" ")
    if what in _LABELS_EN:
        what = _LABELS_EN[what]
    elif head in ("brevlåda", "mall") and rest:
        what = f"{_LABELS_EN[head]}{space}{rest}"
    return f"{what}{colon}{_LABELS_EN.get(part, part)}"

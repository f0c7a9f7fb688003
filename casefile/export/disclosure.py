"""The disclosure rule: what may leave the office in an export (OSL 5:2, 5:5; GDPR art. 87).

One rule for every export that is handed out (the public diary, the board's list, the Finsam
sheet, the archive's public titles), applied to every text cell:

1. **Secrecy.** A document marked with `casefile secrecy` is shown by its public title, or by
   the neutral word "Sekretess" when none was given, and its real title (or subject) appears
   nowhere else either: wherever it occurs in another cell (a case title taken from it, a
   cancellation reason), it is replaced by the public wording. A title shorter than
   `MIN_SUBSTRING` characters is replaced only where it is the whole cell, so a secret titled
   "Ja" cannot blank every "Ja" in the sheet.

2. **Personnummer** and samordningsnummer, in every spelling a person might type, are replaced
   by `[personnummer]`: the rule is intake/extract/personnummer.py, shared with the report
   reader's secrecy suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable

from intake.extract.personnummer import (
    PNR_MASK,
    has_personnummer,
    mask_personnummer,
    personnummer_spans,
    skeleton,
)

__all__ = [
    "MIN_SUBSTRING",
    "PNR_MASK",
    "SECRET_WORDING",
    "Disclosure",
    "has_personnummer",
    "mask_personnummer",
    "personnummer_spans",
]

SECRET_WORDING = "Sekretess"
MIN_SUBSTRING = 4


def _fold(text: str) -> str:
    """A title as compared for secrecy: invisible characters gone, spaces collapsed, case
    folded."""
    return " ".join(skeleton(text).split()).casefold()


class Disclosure:
    """The rule for one export: the secret documents' titles and their public wording."""

    def __init__(self, secrets: Iterable[tuple[str, str | None]] = ()) -> None:
        # (real title or subject, public title); the longest first, so that a title holding
        # another is replaced whole.
        pairs: dict[str, str] = {}
        for real, public in secrets:
            if real and real.strip():
                pairs[real] = self.public_wording(public)
        self._secrets = sorted(pairs.items(), key=lambda p: -len(p[0]))
        self._folded = {_fold(real): public for real, public in self._secrets}

    @staticmethod
    def public_wording(public_title: str | None) -> str:
        """A secret document's public title, or the neutral word when none was given."""
        return mask_personnummer(public_title.strip()) if public_title and public_title.strip() \
            else SECRET_WORDING  # fmt: skip

    def text(self, value: str) -> str:
        """Any text cell: secret titles replaced by their public wording, personnummer masked."""
        if not value:
            return value
        if self._secrets:
            whole = self._folded.get(_fold(value))
            if whole is not None:
                return whole
        for real, public in self._secrets:
            if len(real) >= MIN_SUBSTRING and real in value:
                value = value.replace(real, public)
        return mask_personnummer(value)

    def title(self, title: str, secret: bool, public_title: str | None) -> str:
        """A document's title: a secret one's public wording, any other through `text`."""
        if secret:
            return self.public_wording(public_title)
        return self.text(title)

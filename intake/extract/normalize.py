"""Pure text helpers: whitespace/Unicode normalisation and parsers for dates, amounts, phones."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Spaces that Word and PDF producers use inside amounts and names.
_SPACES = "\u00a0\u202f\u2007\u2009\u2002\u2003\u2004\u2005\u2006\u2008\u200a\u3000\t\r\n\v\f"
_SPACE_TABLE: dict[int, str | None] = {ord(c): " " for c in _SPACES}
# Invisible characters that only disturb matching.
_SPACE_TABLE.update({ord(c): None for c in "\u00ad\u200b\u200c\u200d\u2060\ufeff"})
# Ligatures come out of PDFs as single code points; expand only these (NFKC would also
# rewrite characters we must keep, like the en dash is fine but superscripts etc. would change).
_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB06: "st"}
_SPACE_TABLE.update(_LIGATURES)

_WS_RE = re.compile(r" {2,}")
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASH_CLASS = "[" + re.escape(DASHES) + "]"


def clean_text(text: str) -> str:
    """NFC, odd spaces to plain spaces, runs of whitespace collapsed, ends stripped."""
    text = unicodedata.normalize("NFC", text.translate(_SPACE_TABLE))
    return _WS_RE.sub(" ", text).strip()


def clean_multiline(text: str) -> str:
    """Like clean_text per line; keeps single newlines between non-empty lines."""
    lines = (clean_text(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def fold(text: str) -> str:
    """Key for comparing labels: cleaned, casefolded, dashes unified."""
    text = clean_text(text).casefold()
    return re.sub(_DASH_CLASS, "-", text)


# --- dates -----------------------------------------------------------------

# ISO with any dash (or a dot/space) between parts, tolerating spaces; or compact YYYYMMDD.
_DATE_TOKEN = (
    r"(?<!\d)(?:(\d{4})\s?["
    + re.escape(DASHES)
    + r"./]\s?(\d{1,2})\s?["
    + re.escape(DASHES)
    + r"./]\s?(\d{1,2})|(\d{4})(\d{2})(\d{2}))(?!\d)"
)
DATE_TOKEN_RE = re.compile(_DATE_TOKEN)


def _make_date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def find_dates(text: str) -> list[dt.date | None]:
    """Every date-shaped token in order; None for a token that is not a real date."""
    out: list[dt.date | None] = []
    for m in DATE_TOKEN_RE.finditer(clean_text(text)):
        if m.group(1):
            out.append(_make_date(m.group(1), m.group(2), m.group(3)))
        else:
            out.append(_make_date(m.group(4), m.group(5), m.group(6)))
    return out


def parse_date(text: str) -> dt.date | None:
    """The single date in `text` (`20240401`, `2024-04-01`, `2024 – 04 – 01`), else None."""
    dates = find_dates(text)
    if len(dates) != 1:
        return None
    return dates[0]


def parse_period(text: str) -> tuple[dt.date | None, dt.date | None] | None:
    """Two dates separated by a dash or 'till'; None when the value has not two dates."""
    dates = find_dates(text)
    if len(dates) != 2 or dates[0] is None or dates[1] is None:
        return None
    return dates[0], dates[1]


# --- amounts ---------------------------------------------------------------

_AMOUNT_RE = re.compile(
    r"^(?:sek|kr\.?)?\s*"
    r"(?P<num>\d{1,3}(?:[ .]\d{3})+|\d+)"
    r"(?:,(?P<dec>\d{1,2}|-{1,2}))?"
    r"\s*(?::-|kr\.?|kronor|sek)?\s*(?::-)?\.?$",
    re.IGNORECASE,
)


def parse_amount(text: str) -> int | None:
    """Whole kronor from `2 842 390 kr`, `2 842 390:-` (nbsp), `2120000 kr`, `1.500.000,50 SEK`."""
    value = clean_text(text).replace("\u2212", "-")
    negative = value.startswith("-")
    if negative:
        value = value[1:].lstrip()
    m = _AMOUNT_RE.match(value)
    if m is None:
        return None
    digits = re.sub(r"[ .]", "", m.group("num"))
    dec = m.group("dec") or ""
    if not dec.isdigit():
        dec = "0"
    try:
        amount = Decimal(f"{digits}.{dec}").quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None
    result = int(amount)
    return -result if negative else result


def format_amount(value: int) -> str:
    """Swedish grouping with spaces: 2842390 -> '2 842 390 kr'."""
    return f"{value:,}".replace(",", " ") + " kr"


# --- phone numbers and other small values -----------------------------------

_PHONE_CHARS_RE = re.compile(r"^\+?[\d\s()" + re.escape(DASHES) + r"/]+$")


def normalize_phone(text: str) -> str | None:
    """The sender's number tidied (one kind of dash, no spaces around it); None if not a phone.

    We keep the sender's grouping rather than inventing one: Swedish area codes vary in length.
    """
    value = clean_text(text)
    if not value or not _PHONE_CHARS_RE.match(value):
        return None
    digits = re.sub(r"\D", "", value)
    if not 7 <= len(digits) <= 15:
        return None
    value = re.sub(r"\s*" + _DASH_CLASS + r"\s*", "-", value)
    value = re.sub(r"\s*/\s*", "-", value)
    return _WS_RE.sub(" ", value).strip()


def phone_digits(text: str) -> str | None:
    """Digits only, with +46 written as a leading 0: for comparing numbers."""
    value = normalize_phone(text)
    if value is None:
        return None
    digits = re.sub(r"\D", "", value.replace("(0)", ""))
    if value.startswith("+46"):
        digits = "0" + digits[2:]
    elif digits.startswith("0046"):
        digits = "0" + digits[4:]
    return digits


# The lookbehind lets a match start only where a run of address characters starts: without
# it the search retries inside every long run, quadratic on a large cell.
_EMAIL_RE = re.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE
)


def find_email(text: str) -> str | None:
    """The first e-mail address in `text`, as written (capitals kept)."""
    m = _EMAIL_RE.search(clean_text(text).replace(" @", "@").replace("@ ", "@"))
    return m.group(0).rstrip(".") if m else None


_POSTAL_RE = re.compile(r"^(?:SE-?\s?)?(\d{3})\s?(\d{2})$", re.IGNORECASE)


def normalize_postal_code(text: str) -> str | None:
    """Swedish postal code as `826 32`; None when it is not one."""
    m = _POSTAL_RE.match(clean_text(text))
    return f"{m.group(1)} {m.group(2)}" if m else None


# --- personal identity numbers ----------------------------------------------


def looks_like_personnummer(text: str) -> bool:
    """True when `text` holds a valid Swedish personnummer/samordningsnummer written as one: the
    shared rule (intake/extract/personnummer.py) with the Luhn check."""
    from intake.extract.personnummer import checked_personnummer

    return checked_personnummer(text)

"""User-facing words of the staff CLI, in Swedish with English available (CASEFILE_LANG=en).

The names of states and statuses live with their types in casefile/states.py.
"""

from __future__ import annotations

import os

_TEXT: dict[str, dict[str, str]] = {
    "sv": {
        "diarienummer": "Diarienummer",
        "received": "Ankomstdatum",
        "kind": "Typ",
        "title": "Insats",
        "organisation": "Organisation",
        "sender": "Avsändare",
        "submitter_signed": "Undertecknad",
        "signature": "Signatur",
        "signature_short": "Sign.",
        "status": "Status",
        "findings": "Anmärkningar",
        "case": "Ärende",
        "due": "Bevakningsdatum",
        "yes": "ja",
        "no": "nej",
        "none": "inga dokument",
        "events": "Händelser",
        "mail": "Post som behöver handläggas",
        "state": "Läge",
        "reason": "Orsak",
        "subject": "Ämne",
        "contact_confirmed": "Kontakt: {address} (bekräftad av {by})",
        "contact_candidate": "Kontakt i blanketten (ej bekräftad): {address}",
        "flag": "Obs: {flag}",
        "moved": "{number}: från {source} till {target}",
        "validation_report": "valideringsrapport sparad: {name} ({sha})",
    },
    "en": {
        "diarienummer": "Number",
        "received": "Received",
        "kind": "Kind",
        "title": "Insats",
        "organisation": "Organisation",
        "sender": "Sender",
        "submitter_signed": "Signed by sender",
        "signature": "Signature",
        "signature_short": "Sign.",
        "status": "Status",
        "findings": "Findings",
        "case": "Case",
        "due": "Due date",
        "yes": "yes",
        "no": "no",
        "none": "no documents",
        "events": "Events",
        "mail": "Mail that needs a person",
        "state": "State",
        "reason": "Reason",
        "subject": "Subject",
        "contact_confirmed": "Contact: {address} (confirmed by {by})",
        "contact_candidate": "Contact in the form (not confirmed): {address}",
        "flag": "Note: {flag}",
        "moved": "{number}: from {source} to {target}",
        "validation_report": "validation report kept: {name} ({sha})",
    },
}


_default = "sv"


def set_default_language(lang: str) -> None:
    """The configured language (registry.language), used when CASEFILE_LANG is not set."""
    global _default
    _default = lang if lang in _TEXT else "sv"


def _from_environment() -> str | None:
    lang = os.environ.get("CASEFILE_LANG", "")[:2].lower()
    return lang if lang in _TEXT else None


def language() -> str:
    return _from_environment() or _default


def environment_language() -> str:
    """CASEFILE_LANG alone, else Swedish: for what is said before the configuration (and its
    registry.language) is read, such as the configuration's own errors."""
    return _from_environment() or "sv"


def t(key: str) -> str:
    return _TEXT[language()].get(key, key)


# --- click's own words ----------------------------------------------------------------------
# click marks its frames (usage, help pages, parameter errors) for gettext but ships no Swedish
# catalogue. These are its msgids (click 8.x) in Swedish; install_click_catalogue() puts
# `swedish_gettext` in place of the `_`/`ngettext` names click's modules imported, so the
# language is decided when a word is printed, not when click was imported.
# A msgid missing here (a newer click) stays English; tests/cli/test_terminal.py notices.

CLICK_SV: dict[str, str] = {
    "Usage:": "Användning:",
    "Options": "Flaggor",
    "Commands": "Kommandon",
    "Positional arguments": "Argument",
    "Show this message and exit.": "Visa den här hjälpen och avsluta.",
    "Show the version and exit.": "Visa versionen och avsluta.",
    "Error: {message}": "Fel: {message}",
    "Try '{command} {option}' for help.": "Skriv '{command} {option}' för hjälp.",
    "Missing command.": "Kommando saknas.",
    "No such command {name!r}.": "Kommandot {name!r} finns inte.",
    "No such option {name!r}.": "Flaggan {name!r} finns inte.",
    "Missing argument": "Argument saknas:",
    "Missing option": "Flagga saknas:",
    "Missing parameter": "Värde saknas:",
    "Missing {param_type}": "Värde saknas:",
    "Missing parameter: {param_name}": "Värde saknas: {param_name}",
    "Invalid value for {param_hint}: {message}": "Ogiltigt värde för {param_hint}: {message}",
    "Invalid value: {message}": "Ogiltigt värde: {message}",
    "Got unexpected extra argument ({args})": "Oväntat extra argument ({args})",
    "Got unexpected extra arguments ({args})": "Oväntade extra argument ({args})",
    "Option {name!r} requires an argument.": "Flaggan {name!r} behöver ett värde.",
    "Option {name!r} requires {nargs} arguments.": "Flaggan {name!r} behöver {nargs} värden.",
    "Option {name!r} does not take a value.": "Flaggan {name!r} tar inget värde.",
    "Argument {name!r} takes {nargs} values.": "Argumentet {name!r} tar {nargs} värden.",
    "Did you mean {possibility}?": "Menade du {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Menade du något av: {possibilities}?)",
    "{value!r} is not a valid {number_type}.": "{value!r} är inget heltal.",
    "{value} is not in the range {range}.": "{value} ligger utanför {range}.",
    "{value!r} is not {choice}.": "{value!r} är inte {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} är inte något av {choices}.",
    "Choose from:\n\t{choices}": "Välj bland:\n\t{choices}",
    "{value!r} does not match the format {format}.": "{value!r} följer inte formatet {format}.",
    "{value!r} does not match the formats {formats}.": "{value!r} följer inte formaten {formats}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} är inget sanningsvärde; giltiga värden: {states}"
    ),
    "{value!r} is not a valid UUID.": "{value!r} är inget UUID.",
    # Path's noun ("file", "path") is fixed when the type is made, so the Swedish drops it.
    "{name} {filename!r} does not exist.": "{filename!r} finns inte.",
    "{name} {filename!r} is a file.": "{filename!r} är en fil.",
    "{name} {filename!r} is a directory.": "{filename!r} är en mapp.",
    "{name} {filename!r} is not readable.": "{filename!r} går inte att läsa.",
    "{name} {filename!r} is not writable.": "{filename!r} går inte att skriva.",
    "{name} {filename!r} is not executable.": "{filename!r} går inte att köra.",
    "Could not open file {filename!r}: {message}": "Kunde inte öppna {filename!r}: {message}",
    "unknown error": "okänt fel",
    "default: {default}": "standard: {default}",
    "required": "obligatorisk",
    "env var: {var}": "miljövariabel: {var}",
    "(dynamic)": "(beräknas)",
    "Aborted!": "Avbrutet.",
    "file": "fil",
    "directory": "mapp",
    "path": "sökväg",
    # The metavars of the usage line (ours, not click's msgids; see cli_support.frames.Command).
    "[OPTIONS]": "[FLAGGOR]",
    "COMMAND [ARGS]...": "KOMMANDO [ARGUMENT]...",
}


def swedish_gettext(message: str) -> str:
    """click's `_`: the Swedish of one of its messages, unless the output is English."""
    if language() == "en":
        return message
    return CLICK_SV.get(message, message)


def swedish_ngettext(singular: str, plural: str, n: int) -> str:
    return swedish_gettext(singular if n == 1 else plural)


_CLICK_MODULES = (
    "click.core",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.types",
    "click.decorators",
    "click.termui",
    "click.utils",
)


def install_click_catalogue() -> None:
    """Route click's gettext calls through CLICK_SV (idempotent). Every click 8 module imports
    `_` and `ngettext` by name from gettext and calls them when it prints, so replacing those
    module globals is enough; a module without them is left alone."""
    import importlib

    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - a click without this module
            continue
        if hasattr(module, "_"):
            module._ = swedish_gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = swedish_ngettext  # type: ignore[attr-defined]


# --- Help texts and placeholders ------------------------------------------------------------
# The commands are written in Swedish (docstrings, help=, metavar=). Under CASEFILE_LANG=en
# the shared Command and Group (casefile/cli_support/) say them in English when they are
# printed: paragraph by paragraph from casefile/help_en.py, and a placeholder word by word.


# A placeholder's words, as (Swedish, English), found by either: click's defaults (an
# argument's name, a type's name) are English, the ones written in the commands Swedish.
# Other words (REF, ID, N, TEXT, STATUS) read the same in both; tests/cli/test_help_language.py
# fails on a word that is in neither list.
METAVARS: dict[str, tuple[str, str]] = {
    pair[i]: pair
    for pair in [
        ("FIL", "FILE"),
        ("FILER", "FILES"),
        ("MAPP", "DIRECTORY"),
        ("SÖKVÄG", "PATH"),
        ("DATUM", "DATE"),
        ("INITIALER", "INITIALS"),
        ("ÄRENDE", "CASE"),
        ("NR", "NUMBER"),
        ("SEKUNDER", "SECONDS"),
        ("ÅR", "YEAR"),
        ("ADRESS", "ADDRESS"),
        ("FÄLT", "FIELD"),
        ("VÄRDE", "VALUE"),
        ("TYP", "KIND"),
        ("LÄGE", "STATE"),
        ("MALL", "TEMPLATE"),
        ("RAPPORT", "REPORT"),
        ("NAMN", "NAME"),
        ("N", "N"),  # click's INTEGER (RANGE): a count or a year
    ]
    for i in (0, 1)
} | {"INTEGER RANGE": ("N", "N"), "INTEGER": ("N", "N")}
NEUTRAL_METAVARS = frozenset({"REF", "ID", "TEXT", "STATUS"})


def metavar_text(metavar: str) -> str:
    """A placeholder (`FILER...`, `[REF]...`, `--by INITIALER`) in the output's language."""
    import re

    column = 1 if language() == "en" else 0

    def word(match: re.Match[str]) -> str:
        pair = METAVARS.get(match.group())
        return pair[column] if pair else match.group()

    return re.sub(r"\bINTEGER RANGE\b|\b[A-ZÅÄÖ]+\b", word, metavar)


# --- Counting words ------------------------------------------------------------------------


def count(n: int, singular: str, plural: str) -> str:
    """'1 ärende', '2 ärenden': a number with the noun (or participle) that agrees with it."""
    return f"{n} {singular if n == 1 else plural}"

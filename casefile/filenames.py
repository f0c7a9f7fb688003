"""Safe file names for files a sender named: `casefile mail --save` and the e-archive package.

A sender chooses an attachment's name; the office's disk, a zip and an archive authority's system
must all accept it. The rule (pure):

- only the last part of a path (no folders, no `..`);
- Unicode NFC (one spelling of å), so names that look the same compare the same;
- characters that are not text are dropped: controls, format characters (bidi overrides, which
  can make "fakturaexe.pdf" show as something else; zero-width spaces), surrogates, private-use,
  unassigned code points and the non-characters U+FFFE, U+FFFF, U+FDD0–U+FDEF;
- characters that separate or mean something on some file system (`/ \\ : * ? " < > |`) become
  `_`, any whitespace a plain space, runs of spaces one space;
- no leading or trailing space or dot (hidden files; Windows drops them), no Windows device
  name (CON, NUL, COM1, …);
- at most `MAX_BYTES` bytes of UTF-8 (file systems count bytes: 255 on most; 130 Chinese
  characters are 390), cut at a character, the extension kept;
- empty after all this: the caller's fallback.

The original name is the caller's to keep (the archive's metadata, `casefile mail --json`).
"""

from __future__ import annotations

import re
import unicodedata

MAX_BYTES = 100
MAX_EXTENSION_BYTES = 16

_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
_UNSAFE = frozenset('/\\:*?"<>|')


def _is_noncharacter(ch: str) -> bool:
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _clean_char(ch: str) -> str:
    if ch.isspace():
        return " "
    if _is_noncharacter(ch) or unicodedata.category(ch).startswith("C"):
        return ""
    if ch in _UNSAFE:
        return "_"
    return ch


def _cut(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` within `max_bytes` of UTF-8, never half a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def safe_filename(name: str | None, fallback: str, max_bytes: int = MAX_BYTES) -> str:
    """A file name made from `name` by the module's rule, or `fallback` when nothing is left."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    cleaned = " ".join("".join(_clean_char(ch) for ch in base).split()).strip(" .")
    if not cleaned:
        return fallback
    stem, dot, ext = cleaned.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > MAX_EXTENSION_BYTES or " " in ext:
        stem, ext = cleaned, ""
    suffix = "." + ext if ext else ""
    stem = _cut(stem, max_bytes - len(suffix.encode("utf-8"))).rstrip(" .")
    if not stem:
        return fallback
    result = stem + suffix
    if _RESERVED.match(result):
        result = "_" + result
    return result


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2.ext`, `name-3.ext`, … when a name that would be the same file on a
    case-insensitive file system (as in a zip opened on Windows or macOS) is taken. `taken`
    holds the casefolded names used so far and gets the new one."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate = f"{stem}-{n}{'.' + ext if ext else ''}"
        n += 1
    taken.add(candidate.casefold())
    return candidate

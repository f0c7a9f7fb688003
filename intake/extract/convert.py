"""ODT, DOC and RTF: recognised by content, converted to DOCX with LibreOffice headless.

The conversion runs where parsing runs (the isolated worker), as its own subprocess: it inherits
a larger address-space limit than parsing (soffice reserves more than 256 MB of address space to
open an ODT or DOC; the worker's hard limit leaves room for CONVERT_MEMORY_BYTES), gets a
fresh profile directory per job (a shared profile would make a second conversion wait on the
first's lock; its settings forbid macros, see PROFILE_SETTINGS), and its own timeout, a
share of the parse time, so that reading the DOCX still fits in the same budget.
"""

from __future__ import annotations

import os
from pathlib import Path

from intake.extract.model import ExtractionError, ExtractLimits

# Kind (as preflight and `source` name it) -> the format's name in messages, and media type.
CONVERTED = {"odt": "ODT", "doc": "DOC", "rtf": "RTF"}
MEDIA_TYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "doc": "application/msword",
    "rtf": "application/rtf",
}
# A report pasted into a mail's HTML body is converted the same way (intake/extract/mail_body.py).
_NAMES = {**CONVERTED, "html": "HTML"}
INSTALL = "libreoffice-writer-nogui"
# The conversion's share of the parse time; the rest reads the DOCX it gives.
CONVERT_SHARE = 0.8
# soffice's address-space limit (it needs about 512 MB to open an ODT or DOC of a report).
CONVERT_MEMORY_BYTES = 1 << 30

# The fresh profile's settings: macros never run. A conversion does not fire a document's
# OnLoad even at the lowest security level (checked with LibreOffice 7.4); these make sure
# of it should that change: no macro execution at all, and, below that, the "very high"
# level (only trusted locations, and a fresh profile trusts none).
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
</oor:items>
"""

_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The stream every Word 97-2003 document has, as its name is stored in the CFB directory.
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_ODF_TEXT = b"mimetypeapplication/vnd.oasis.opendocument.text"


def sniff(data: bytes) -> str | None:
    """ "odt", "doc" or "rtf" by content (magic bytes, the ODF mimetype entry), else None."""
    if data.startswith(b"{\\rtf"):
        return "rtf"
    if data.startswith(_CFB) and _WORD_STREAM in data:
        return "doc"
    # ODF packages start with an uncompressed "mimetype" entry at offset 30 (ODF 1.2, 3.3).
    if data.startswith(b"PK\x03\x04") and data[30 : 30 + len(_ODF_TEXT)] == _ODF_TEXT:
        return "odt"
    return None


def soffice() -> str | None:
    import shutil

    return shutil.which("soffice") or shutil.which("libreoffice")


def _raise_memory_limit() -> None:
    """In the soffice child: the soft address-space limit up to CONVERT_MEMORY_BYTES, never
    above the hard limit the worker was given."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    room = (
        CONVERT_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(hard, CONVERT_MEMORY_BYTES)
    )
    resource.setrlimit(resource.RLIMIT_AS, (room, hard))


def to_docx(data: bytes, kind: str, limits: ExtractLimits) -> bytes:
    """The DOCX LibreOffice makes of `data`; raises ExtractionError with one line naming what
    to install or what went wrong."""
    name = _NAMES[kind]
    if not limits.convert:
        raise ExtractionError(
            "unsupported",
            f"{name}-filen konverterades inte: konvertering är avstängd "
            f"([extraction] convert = false; kräver {INSTALL}).",
        )
    program = soffice()
    if program is None:
        raise ExtractionError(
            "unsupported",
            f"{name}-filen kunde inte konverteras: LibreOffice saknas (installera {INSTALL}).",
        )
    # Imported here: a DOCX or PDF (nearly every report) is read without them.
    import contextlib
    import signal
    import subprocess
    import tempfile

    seconds = max(1.0, limits.timeout_seconds * CONVERT_SHARE)
    with tempfile.TemporaryDirectory(prefix="casefile-convert-") as tmp:
        root = Path(tmp)
        source = root / f"rapport.{kind}"
        source.write_bytes(data)
        (root / "out").mkdir()
        (root / "profile" / "user").mkdir(parents=True)
        (root / "profile" / "user" / "registrymodifications.xcu").write_text(
            PROFILE_SETTINGS, encoding="utf-8"
        )
        cmd = [
            program,
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(root / "out"),
            str(source),
        ]
        env = {**os.environ, "HOME": str(root)}
        try:
            # Its own process group, so a timeout kills soffice and anything it started.
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=root,
                process_group=0,
                preexec_fn=_raise_memory_limit,
            )
        except OSError as exc:
            raise ExtractionError(
                "unsupported", f"{name}-filen kunde inte konverteras: {exc.strerror}."
            ) from exc
        try:
            code = proc.wait(seconds)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise ExtractionError(
                "timeout",
                f"{name}-filen kunde inte konverteras: LibreOffice tog längre tid än "
                f"{seconds:g} sekunder.",
            ) from None
        out = root / "out" / "rapport.docx"
        if not out.is_file() or out.stat().st_size == 0:
            raise ExtractionError(
                "corrupt",
                f"{name}-filen kunde inte konverteras: LibreOffice gav ingen DOCX "
                f"(slutkod {code}; skadad fil eller minnesgränsen).",
            )
        return out.read_bytes()

"""Log lines carry their time zone; IMAP protocol dumps appear only when traced."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

SNIPPET = """
import logging
from casefile.cli_support import setup_logging
setup_logging("DEBUG")
logging.getLogger("intake.mail.poll").info("brevlåda=kontakt utfall=registered")
logging.getLogger("imapclient.imaplib").debug("> b'A001 LOGIN kontakt hemligt'")
"""


def _stderr(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "Europe/Stockholm", **env},
        timeout=60,
        check=True,
    )
    return done.stderr


@pytest.mark.parametrize(("trace", "dumped"), [("", False), ("1", True)])
def test_zoned_timestamps_and_imap_dumps_only_when_traced(trace: str, dumped: bool) -> None:
    err = _stderr({"CASEFILE_TRACE": trace})
    line = next(x for x in err.splitlines() if "utfall=registered" in x)
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d INFO ", line), line
    assert ("A001 LOGIN" in err) is dumped

"""Fault injection for the crash tests: die at a named point when CASEFILE_FAULT names it.

The crash tests SIGKILL a real `intake poll` at each point and check that the next poll
registers every message exactly once. Unset in production, each checkpoint is one dict lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "CASEFILE_FAULT"


def checkpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)

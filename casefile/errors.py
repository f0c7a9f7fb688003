"""Errors a request can end in; each message is one line for the CLI.

Everything a user or an operator can fix (a wrong reference, a bad configuration, a busy lock, a
mailbox that refuses the login) derives from UserError: the CLI prints it as one `fel: …` line
and exits 1, never with a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A request that cannot be carried out, phrased as one line for the person who asked."""


class RegisterError(UserError):
    """A staff request that cannot be carried out; the message is one line for the CLI."""

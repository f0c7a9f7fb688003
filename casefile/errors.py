"""Errors a staff request can end in; each message is one line for the CLI."""

from __future__ import annotations


class RegisterError(Exception):
    """A staff request that cannot be carried out; the message is one line for the CLI."""

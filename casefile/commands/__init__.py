"""Every command of `casefile` (attached lazily by casefile/cli.py). The top floor: only command
modules (here and in intake/commands/) import across the casefile and intake packages."""

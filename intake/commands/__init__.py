"""Every command of `intake` (attached lazily by intake/cli.py). The top floor: only command
modules (here and in casefile/commands/) import across the casefile and intake packages."""

"""The README documents every command, and its two set-up commands exist (docs checked
against the commands, as sqlite-utils and Datasette do)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from casefile.cli import cli as casefile_cli
from intake.cli import cli as intake_cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("program", "group"), [("casefile", casefile_cli), ("intake", intake_cli)])
def test_every_command_is_in_the_readme(program: str, group: click.Group) -> None:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        assert f"`{program} {name}" in README, f"{program} {name} is not documented"
        command = group.get_command(ctx, name)
        assert command is not None and command.help, f"{program} {name} has no help text"


def test_readme_starts_with_the_two_setup_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert commands == ["scripts/demo", "scripts/test"]
    for command in commands:
        assert (ROOT / command).stat().st_mode & 0o111
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")

"""Every number a command takes is range-checked: a huge one is a usage error, not a traceback
(`casefile search --limit 99999999999999999999` overflowed the database's integer)."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from casefile.cli import cli as casefile_cli
from intake.cli import cli as intake_cli


def _commands(group: click.Group, path: str) -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)  # lazy groups load the command here
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from _commands(command, f"{path} {name}")
        else:
            yield f"{path} {name}", command


def _numbers() -> list[tuple[str, click.Parameter]]:
    found = []
    for group, name in ((casefile_cli, "casefile"), (intake_cli, "intake")):
        assert isinstance(group, click.Group)
        for path, command in _commands(group, name):
            for param in command.params:
                if isinstance(param.type, click.types.IntParamType | click.types.FloatParamType):
                    found.append((f"{path} {param.name}", param))
    return found


def test_every_number_option_has_a_finite_range() -> None:
    """Given every command of both CLIs, then each integer or decimal parameter is an IntRange or
    FloatRange with both ends set."""
    numbers = _numbers()
    assert any(name == "casefile search limit" for name, _ in numbers)
    unbounded = [
        name
        for name, param in numbers
        if not isinstance(param.type, click.IntRange | click.FloatRange)
        or param.type.min is None
        or param.type.max is None
    ]
    assert unbounded == []


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--for", "1e400"],
        ["serve", "--cycles", "99999999999999999999"],
    ],
)
def test_intake_serve_refuses_huge_numbers_before_starting(args: list[str]) -> None:
    result = CliRunner().invoke(intake_cli, ["--config", "/nonexistent.toml", *args])
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "--for" in result.stderr or "--cycles" in result.stderr

"""What the register's CLI tests share: a configuration file for the test's app, and one call of
the staff CLI in process."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli


@pytest.fixture
def config_file(app: App, tmp_path: Path) -> str:
    path = tmp_path / "casefile.toml"
    path.write_text(
        f'[database]\nurl = "{app.settings.database.url}"\n'
        f'[storage]\npath = "{app.settings.storage.path}"\n',
        encoding="utf-8",
    )
    return str(path)


def run(config: str, *args: str) -> tuple[int, str, str]:
    """`casefile --config <config> <args>`: exit code, stdout, stderr."""
    result = CliRunner().invoke(cli, ["--config", config, *args])
    return result.exit_code, result.stdout, result.stderr

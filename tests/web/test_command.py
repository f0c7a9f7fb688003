"""`casefile web` refuses what it cannot serve safely, and the domain never imports the pages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from casefile.cli import cli
from tests.conftest import make_settings
from tests.support.toml import write_config
from tests.web.conftest import USERS

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, web: dict[str, object], *args: str) -> tuple[int, str]:
    data = make_settings(f"sqlite:///{tmp_path / 'c.db'}", tmp_path).to_dict()
    data["web"] = web  # as written, not validated: the command reads it
    config = write_config(tmp_path / "casefile.toml", data)
    result = CliRunner().invoke(cli, ["--config", str(config), "web", *args])
    return result.exit_code, result.output


def test_the_command_refuses_unsafe_or_unbuilt_settings(tmp_path: Path) -> None:
    code, out = run(tmp_path, {"auth": "oidc", "users": USERS})
    assert code == 1 and "oidc_issuer" in out and "Traceback" not in out
    code, out = run(tmp_path, {"auth": "local", "users": USERS}, "--host", "0.0.0.0")
    assert code == 1 and "127.0.0.1" in out
    code, out = run(tmp_path, {"auth": "proxy"})
    assert code == 1 and "[web.users]" in out
    bad = {"x@y.test": {"initials": "A K", "role": "läsare"}}
    code, out = run(tmp_path, {"auth": "proxy", "users": bad})
    assert code == 1 and "web.users.x@y.test.initials" in out


def test_no_domain_module_imports_the_web_pages() -> None:
    offenders = []
    for folder in ("casefile", "intake"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("casefile/web/") or rel == "casefile/commands/web.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                if any(n == "casefile.web" or n.startswith("casefile.web.") for n in names):
                    offenders.append(rel)
    assert offenders == []


def test_the_command_speaks_english_with_casefile_lang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEFILE_LANG", "en")
    code, out = run(tmp_path, {"auth": "proxy"})
    assert code == 1 and "is empty: no one can log in" in out

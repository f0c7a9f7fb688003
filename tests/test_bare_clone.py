"""A newcomer's clone: the committed repository, cloned into an empty folder with nothing beside
it, passes the README's test command's first stage and the tests that validate the export
against the E-ARK schemas. Nothing outside the clone is needed (the schemas are vendored).

The clone reuses this test run's interpreter (CASEFILE_TEST_PYTHON) instead of setting up a
virtual environment of its own: scripts/setup would install every dependency again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed HEAD of this repository, alone in an otherwise empty folder."""
    parent = tmp_path_factory.mktemp("bare")
    target = parent / "casefile"
    git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(target), cwd=parent)
    assert git("rev-parse", "HEAD", cwd=target) == git("rev-parse", "HEAD", cwd=ROOT)
    return target


def in_clone(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CASEFILE_TEST_PYTHON": sys.executable,
        # The clone's own code, not this checkout's (the venv has this one installed).
        "PYTHONPATH": str(clone),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("CASEFILE_TEST_DB", None)
    return subprocess.run(
        list(args), cwd=clone, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_first_stage_of_the_test_command_passes_in_a_bare_clone(clone: Path) -> None:
    readme = (clone / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^scripts/test\b", readme, re.M)  # the README's test command
    done = in_clone(clone, "scripts/test", "--stage", "lint")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^ok\s+lint\s+\d+ s$", done.stderr, re.M), done.stderr
    assert "FAILED" not in done.stderr
    assert [p.name for p in clone.parent.iterdir()] == ["casefile"]  # nothing beside it


def test_the_schema_tests_pass_in_a_bare_clone(clone: Path, tmp_path: Path) -> None:
    # The clone's code and schemas are the ones used
    where = in_clone(
        clone,
        sys.executable,
        "-c",
        "import casefile, tests.export.schemas as s; print(casefile.__file__); print(s.__file__)",
    )
    assert where.returncode == 0, where.stderr
    assert all(Path(line).is_relative_to(clone) for line in where.stdout.splitlines())
    users = sorted(
        str(path.relative_to(clone))
        for path in (clone / "tests" / "export").glob("test_*.py")
        if "tests.export.schemas import" in path.read_text(encoding="utf-8")
    )
    assert users, "no test validates against the schemas"
    done = in_clone(
        clone,
        sys.executable,
        "-m",
        "pytest",
        "--db",
        "sqlite",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--basetemp={tmp_path / 'inner'}",
        "-k",
        "schema or odd_text",
        *users,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed and int(passed.group(1)) >= 2, done.stdout[-2000:]
    assert [p.name for p in clone.parent.iterdir()] == ["casefile"]

"""`intake extract FILE`: a plain command line runs without click (intake/cli.py) and says,
byte for byte, what the click command says; anything else goes to click."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from intake.cli import plain_extract

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "tests" / "fixtures" / "reports"
DOCX = str(REPORTS / "r03_right_sdt_overspent.docx")

# The console script's entry point, and the click group it hands other command lines to.
LIGHT = "import sys; from intake.cli import main; main()"
CLICK = (
    "import sys; from casefile.cli_support import run_main; "
    "from intake.commands.root import cli; run_main(cli, 'intake')"
)
# After the light path: was click imported at all? Said at either way out (os._exit skips
# atexit), by this process only (the parsing child leaves by os._exit too).
PROBE = (
    "import atexit, os, sys; pid = os.getpid(); "
    "say = lambda: os.getpid() == pid and sys.__stderr__.write("
    "f'click={\"click\" in sys.modules}\\n') and sys.__stderr__.flush(); "
    "atexit.register(say); leave = os._exit; "
    "os._exit = lambda code: (say(), leave(code)); " + LIGHT
)


def _run(code: str, args: list[str], lang: str = "sv") -> tuple[int, bytes, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "CASEFILE_CONFIG"}
    env["CASEFILE_LANG"] = lang
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, env=env, timeout=120
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_plain_command_lines_and_the_rest(tmp_path: Path) -> None:
    cfg = str(tmp_path / "c.toml")
    assert plain_extract(["extract", DOCX]) == (DOCX, False, None)
    assert plain_extract(["läs", DOCX, "--json"]) == (DOCX, True, None)
    assert plain_extract(["--config", cfg, "extract", "--json", DOCX]) == (DOCX, True, cfg)
    assert plain_extract(["extract", DOCX, "--config", cfg]) == (DOCX, False, cfg)
    for args in (
        [],
        ["extract"],
        ["extract", "--help"],
        ["extract", DOCX, "-h"],
        ["--help", "extract", DOCX],
        ["extract", DOCX, DOCX],
        ["extract", DOCX, "--json", "--json"],
        ["extract", f"--config={cfg}", DOCX],
        ["--config", cfg, "extract", DOCX, "--config", cfg],
        ["extract", DOCX, "--config"],
        ["extract", DOCX, "--config", "--json"],
        ["extract", "--", DOCX],
        ["extract", "-"],
        ["extract", str(tmp_path)],  # a folder: click.Path says so
        ["--trace", "extract", DOCX],
        ["poll"],
    ):
        assert plain_extract(args) is None, args


@pytest.mark.parametrize(
    ("args", "lang"),
    [
        (["extract", DOCX, "--json"], "sv"),
        (["läs", DOCX], "sv"),
        (["extract", "/nonexistent/rapport.docx"], "en"),
        (["--config", "{cfg}", "extract", DOCX], "sv"),
        (["extract", DOCX, "--json", "--config", "{bad}"], "en"),
        (["extract", "{dir}"], "sv"),
    ],
)
def test_the_light_path_says_what_click_says(tmp_path: Path, args: list[str], lang: str) -> None:
    (tmp_path / "c.toml").write_text("[extraction]\nforms = []\n", encoding="utf-8")
    (tmp_path / "bad.toml").write_text('[extraction]\nforms = ["nej.toml"]\n', encoding="utf-8")
    (tmp_path / "mapp").mkdir()
    names = {"cfg": tmp_path / "c.toml", "bad": tmp_path / "bad.toml", "dir": tmp_path / "mapp"}
    argv = [a.format(**names) for a in args]
    light = _run(LIGHT, argv, lang)
    assert light == _run(CLICK, argv, lang)
    assert light[1] or light[2]  # something was said
    # click only where something went wrong (its catalogue words the error line).
    code, _, err = _run(PROBE, argv, lang)
    assert code == light[0] and err.endswith(b"click=False\n") == (code == 0), err

"""The package list in pyproject.toml is explicit (templates/ is mapped into casefile):
every Python package in the tree must be in it, or a wheel would silently lack it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("casefile", "intake")
        for init in (ROOT / top).rglob("__init__.py")
    }
    found.add("casefile.templates")
    found.add("intake.extract.forms")  # the form definitions: data only, no __init__.py
    found |= {"casefile.web.static", "casefile.web.templates"}  # the pages' data, likewise
    assert listed == found
    assert config["setuptools"]["package-dir"] == {"casefile.templates": "templates"}


def test_templates_are_importable_as_a_package() -> None:
    from importlib.resources import files

    names = {p.name for p in files("casefile.templates").iterdir()}
    assert {"kvittens.txt", "komplettering.txt", "paminnelse.txt", "digest.txt"} <= names

"""Rendering the mail templates (Jinja2): a subject line, a plain-text and an HTML body.

Defaults ship inside the package `casefile.templates` (the repository's templates/ folder); an
operator can override any file from `mail.templates_dir`, which is searched first. Plain text is
rendered without escaping, HTML with autoescape on. If an operator's template fails to render, the
shipped default is used instead and the error is logged: a broken override must never roll back
the registration whose transaction queues the mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import jinja2

from casefile.config import Settings
from casefile.states import MailKind

log = logging.getLogger(__name__)

TEMPLATE_PACKAGE = "casefile.templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class ResourceLoader(jinja2.BaseLoader):
    """Loads templates from an importlib.resources folder, so a zipped wheel works too."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        node = self.root
        for part in template.split("/"):
            if part in ("", ".", ".."):
                raise jinja2.TemplateNotFound(template)
            node = node.joinpath(part)
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        return node.read_text(encoding="utf-8"), None, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(item.name for item in self.root.iterdir() if item.is_file())


def _package_root() -> Traversable:
    return files(TEMPLATE_PACKAGE)


def _environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["sek"] = format_sek
    env.filters["isodate"] = format_date
    return env


@lru_cache(maxsize=8)
def environments(templates_dir: str | None) -> tuple[jinja2.Environment, jinja2.Environment]:
    """(with operator overrides, package defaults only); cached per override folder."""
    package = ResourceLoader(_package_root())
    defaults = _environment(package)
    if not templates_dir:
        return defaults, defaults
    chosen = jinja2.ChoiceLoader([jinja2.FileSystemLoader(templates_dir), package])
    return _environment(chosen), defaults


def format_sek(value: Any) -> str:
    """Whole kronor with Swedish digit grouping: 2842390 -> '2 842 390 kr'."""
    if value is None or value == "":
        return "–"
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,}".replace(",", "\u00a0") + "\u00a0kr"


def format_date(value: Any) -> str:
    if value is None:
        return "–"
    iso = getattr(value, "isoformat", None)
    return str(iso()) if callable(iso) else str(value)


def _render_with(env: jinja2.Environment, kind: str, context: Mapping[str, Any]) -> Rendered:
    subject = env.get_template(f"{kind}.subject.txt").render(context)
    text = env.get_template(f"{kind}.txt").render(context)
    html = env.get_template(f"{kind}.html").render(context)
    return Rendered(subject=" ".join(subject.split()), text=text, html=html)


def render(settings: Settings, kind: str, context: Mapping[str, Any]) -> Rendered:
    if kind not in set(MailKind):
        raise ValueError(f"unknown mail kind {kind!r}")
    chosen, defaults = environments(settings.mail.templates_dir)
    try:
        return _render_with(chosen, kind, context)
    except jinja2.TemplateError:
        if chosen is defaults:
            raise
        log.exception("template override for %s failed; using the shipped template", kind)
        return _render_with(defaults, kind, context)

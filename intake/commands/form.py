"""`intake form learn TEMPLATE [--name NAME] [--output FILE] [--check REPORT…]`: a form
definition learnt from the office's blank template (intake/extract/learn.py)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from casefile.cli_support import Group, error_line
from casefile.i18n import language

if TYPE_CHECKING:
    from intake.extract.forms import FormDef


def _say(sv: str, en: str) -> str:
    return en if language() == "en" else sv


@click.group("form", cls=Group)
def form_group() -> None:
    """Formulärdefinitioner: lär in kontorets egen blankett så att rapporter på den läses rätt.

    Exempel: intake form learn slutrapport-mall.docx --output /etc/casefile/forms/var.toml
    """


@form_group.command("learn")
@click.argument("template", metavar="MALL", type=click.Path(dir_okay=False))
@click.argument("reports", metavar="[RAPPORT]...", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--name", metavar="NAMN", help="Definitionens namn (annars blankettens titel).")
@click.option(
    "--output",
    metavar="FIL",
    type=click.Path(dir_okay=False),
    help="Skriv definitionen till FIL (annars till standard ut).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Läs ifyllda rapporter (RAPPORT ...) med definitionen och visa vad som hittades.",
)
@click.pass_context
def learn_command(
    ctx: click.Context,
    template: str,
    reports: tuple[str, ...],
    name: str | None,
    output: str | None,
    check: bool,
) -> None:
    """Lär in en formulärdefinition ur en tom blankett (DOCX eller PDF): titelord, fält med
    etiketter och typer, avsnitt med nummer, rubriker och hjälptexter. Filen kan läggas i
    [extraction] forms som den är.

    Exempel: intake form learn mall.docx --output var.toml --check rapport1.docx rapport2.pdf
    """
    if reports and not check:
        _fail(_say("ange --check för att läsa rapporter", "give --check to read reports"))
    config = ctx.find_root().meta.get("config_path")
    code = run_learn(template, name or "", output, reports if check else (), config)
    sys.exit(code)


def _fail(message: str) -> None:
    print(error_line(message), file=sys.stderr)
    sys.exit(1)


def run_learn(
    template: str,
    name: str,
    output: str | None,
    reports: tuple[str, ...],
    config_path: str | None = None,
) -> int:
    from intake.extract.forms import FormError, load_form
    from intake.extract.learn import learn, to_toml
    from intake.extract.model import ExtractionError, ExtractLimits
    from intake.extract.parse import read_layout

    path = Path(template)
    try:
        data = path.read_bytes()
    except OSError:
        _fail(
            _say(
                f"{template}: filen finns inte eller kan inte läsas",
                f"{template}: the file does not exist or cannot be read",
            )
        )
        return 1
    media = "pdf" if data.startswith(b"%PDF") else "docx"
    try:
        layout = read_layout(data, media, ExtractLimits())
    except ExtractionError as exc:
        _fail(f"{template}: {exc}")
        return 1
    form = learn(layout, name or _stem(path.stem))
    text = to_toml(form, path.name)
    target = output
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError:
            _fail(_say(f"{output}: kan inte skrivas", f"{output}: cannot be written"))
    else:
        print(text, end="")
        fd, target = tempfile.mkstemp(suffix=".toml")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    assert target is not None
    try:
        load_form(target)  # what the service will do with it
    except FormError as exc:
        for line in exc.lines:
            print(error_line(line), file=sys.stderr)
        return 1
    out = sys.stderr if not output else sys.stdout
    answers = sum(1 for s in form.sections if s.answer)
    print(
        _say(
            f"{path.name}: {len(form.fields)} fält, {len(form.sections)} avsnitt "
            f"({answers} med svar), dokumenttyp {form.document_type}",
            f"{path.name}: {len(form.fields)} fields, {len(form.sections)} sections "
            f"({answers} with answers), document type {form.document_type}",
        ),
        file=out,
    )
    try:
        return _check(form, target, reports, out, config_path) if reports else 0
    finally:
        if not output:
            os.unlink(target)


def _stem(stem: str) -> str:
    """A template's file name without a trailing "mall"/"blankett" ("slutrapport_mall")."""
    for suffix in ("mall", "mallen", "blankett", "template"):
        for sep in ("_", "-", " ", ""):
            if stem.casefold().endswith(sep + suffix) and len(stem) > len(sep + suffix):
                return stem[: -len(sep + suffix)]
    return stem


def _check(
    form: FormDef,
    target: str,
    reports: tuple[str, ...],
    out: TextIO,
    config_path: str | None,
) -> int:
    """Each report read as the service would (its configuration's definitions and this one)."""
    import dataclasses

    from intake.commands.extract import limits_for
    from intake.extract.api import extract_path
    from intake.extract.model import ExtractionError

    try:
        base = limits_for(config_path)
    except ValueError as exc:
        for line in str(exc).splitlines():
            print(error_line(line), file=sys.stderr)
        return 1
    others = tuple(f for f in base.forms if Path(f).resolve() != Path(target).resolve())
    limits = dataclasses.replace(base, forms=(*others, target))
    answer_keys = form.answer_keys
    keys = [f.key for f in form.fields]
    failed = 0
    for report in reports:
        try:
            result = extract_path(report, limits)
        except ExtractionError as exc:
            print(error_line(f"{report}: {exc}"), file=sys.stderr)
            failed += 1
            continue
        got = [k for k in keys if _filled(result.fields, k)]
        answered = [k for k in answer_keys if result.sections.get(k)]
        used = result.form == form.name
        lines = [
            _say(
                f"{Path(report).name}: {len(got)} av {len(keys)} fält, "
                f"{len(answered)} av {len(answer_keys)} svar"
                + ("" if used else f" (läst som {result.form})"),
                f"{Path(report).name}: {len(got)} of {len(keys)} fields, "
                f"{len(answered)} of {len(answer_keys)} answers"
                + ("" if used else f" (read as {result.form})"),
            )
        ]
        missing = [k for k in keys if k not in got]
        if missing:
            lines.append("  " + _say("saknas: ", "missing: ") + ", ".join(missing))
        empty = [k for k in answer_keys if k not in answered]
        if empty:
            lines.append("  " + _say("tomma avsnitt: ", "empty sections: ") + ", ".join(empty))
        for line in lines:
            print(line, file=out)
    return 1 if failed else 0


def _filled(values: dict[str, object], key: str) -> bool:
    if key == "period":
        return values.get("period_start") is not None
    value = values.get(key)
    return value not in (None, "", [])

"""The floors of the code, read from its own imports (`ast`, function-level imports included).

Lowest first; a module may import its own floor and the floors below it, never one above:

0. the report reader, `intake.extract`: stands on nothing of casefile or the rest of intake;
1. the register, `casefile` (its domain modules): uses the reader and nothing else of intake;
2. sign-in and backoff, `intake.auth`;
3. the mail sources, `intake.sources`;
4. reading one message, `intake.mail` (mime, classify, authresults, attachments, …);
5. outgoing mail, `intake.outgoing`;
6. the intake that registers what it read and answers it: `intake.mail.pipeline`, `poll`,
   `retry`;
7. the service and the checks: `intake.service`, `intake.check`, `intake.check_graph`,
   `intake.demo`;
8. the commands, `casefile.commands`, `intake.commands` and their root groups and support
   (`casefile.cli`, `intake.cli`, `casefile.cli_support`): the only modules that import across
   the two packages from the register's side;
9. the web pages, `casefile.web` (and `casefile web`, which serves them): they call what the
   commands call, and nothing below imports them.

No two modules import each other, directly or round a circle (imports under `if TYPE_CHECKING:`
are never run and do not count for circles; they do count for floors).
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("casefile", "intake")

# Module-name prefix -> floor; a module takes the floor of its longest matching prefix.
FLOORS: dict[str, int] = {
    "intake.extract": 0,
    "casefile": 1,
    "intake.auth": 2,
    "intake.sources": 3,
    "intake.mail": 4,
    "intake.outgoing": 5,
    "intake.mail.pipeline": 6,
    "intake.mail.poll": 6,
    "intake.mail.retry": 6,
    "intake": 7,
    "intake.service": 7,
    "intake.check": 7,
    "intake.check_graph": 7,
    "intake.demo": 7,
    "casefile.commands": 8,
    "casefile.cli": 8,
    "casefile.cli_support": 8,
    "intake.commands": 8,
    "intake.cli": 8,
    "casefile.web": 9,
    "casefile.commands.web": 9,
}
NAMES = {
    0: "the report reader",
    1: "the register",
    2: "sign-in",
    3: "mail sources",
    4: "reading mail",
    5: "outgoing mail",
    6: "the intake pipeline",
    7: "the service and checks",
    8: "the commands",
    9: "the web pages",
}

# Upward imports that another part of issue 23 removes (the due-date rule moves down into
# casefile/due.py). Each entry is (importer, imported); the test fails if one is no longer
# needed, so the list only shrinks.
PENDING: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    type_only: bool

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.imported}"


def _modules() -> dict[str, tuple[Path, bool]]:
    found: dict[str, tuple[Path, bool]] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "migrations" in parts:  # alembic's scripts: loaded by alembic, not imported
                continue
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str) -> str | None:
    """The module of ours that `name` (a module, or a name in one) is, else None."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> list[Import]:
    path, is_package = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for statement in node.body:
                visit(statement, True)
            for statement in node.orelse:
                visit(statement, type_only)
            return
        names: list[str] = []
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            # `from intake.extract import interpret` imports the module interpret.
            names = [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.append(Import(module, target, line, type_only))
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(tree, False)
    return found


IMPORTS = [i for module in MODULES for i in _imports(module)]


def floor_of(module: str) -> int:
    prefix = max((p for p in FLOORS if module == p or module.startswith(p + ".")), key=len)
    return FLOORS[prefix]


def test_every_module_has_a_floor() -> None:
    assert "intake.extract.parse" in MODULES and "casefile.register" in MODULES
    for module in MODULES:
        assert floor_of(module) in NAMES, module


def test_no_import_reaches_up_a_floor() -> None:
    upward = [
        i
        for i in IMPORTS
        if floor_of(i.imported) > floor_of(i.importer) and (i.importer, i.imported) not in PENDING
    ]
    assert not upward, "imports that reach up a floor:\n" + "\n".join(
        f"  {i}: {NAMES[floor_of(i.importer)]} below {NAMES[floor_of(i.imported)]}" for i in upward
    )
    still = {(i.importer, i.imported) for i in IMPORTS}
    assert still >= PENDING, f"no longer imported, drop from PENDING: {PENDING - still}"


def test_the_reader_and_the_register_stand_alone() -> None:
    """The floors as the issue states them, independent of the table above."""
    for i in IMPORTS:
        if i.importer.startswith("intake.extract"):
            assert i.imported.startswith("intake.extract"), str(i)
        if floor_of(i.importer) == 1 and (i.importer, i.imported) not in PENDING:
            assert not i.imported.startswith("intake") or i.imported.startswith("intake.extract"), (
                str(i)
            )


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph (its modules in order, the first repeated), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = walk(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = walk(start)
            if found:
                return found
    return None


def test_no_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], Import] = {}
    for i in IMPORTS:
        if not i.type_only:
            graph.setdefault(i.importer, set()).add(i.imported)
            lines.setdefault((i.importer, i.imported), i)
    circle = _circle(graph)
    assert circle is None, "import circle:\n" + "\n".join(
        f"  {lines[(a, b)]}" for a, b in itertools.pairwise(circle)
    )


def test_the_checker_finds_what_it_should() -> None:
    """The test itself: a circle and an upward import are caught and named."""
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": set()}) is None
    assert floor_of("intake.extract.parse") < floor_of("casefile.register")
    assert floor_of("casefile.register") < floor_of("intake.mail.mime")
    assert floor_of("intake.outgoing.outbox") < floor_of("intake.mail.pipeline")
    assert floor_of("intake.commands.extract") == floor_of("casefile.commands.views") == 8


def test_the_outgoing_package_imports_nothing_heavy() -> None:
    """`intake.outgoing` loads its names on first use: importing the package (as anything of
    outgoing mail does) pays for no template, SMTP or database code."""
    run_time = [i for i in IMPORTS if i.importer == "intake.outgoing" and not i.type_only]
    assert not run_time, "\n".join(str(i) for i in run_time)

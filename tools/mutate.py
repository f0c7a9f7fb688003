"""Mutation run (mutmut 3) over the modules behind the README's promises; see scripts/mutate.

Each group is one module (or package) with the tests that guard it. A group runs in its own
scratch copy of the work tree, because mutmut 3 reads its settings from setup.cfg in the
current folder and rewrites a `mutants/` folder there; the work tree itself is never touched.
Prints the kill rate per group and every surviving mutant (`mutmut show NAME` in the group's
folder shows its diff). Not part of CI: it takes long.

The run itself is on SQLite. Code that only PostgreSQL reaches (the advisory lock, the
dialect's upsert) cannot be killed there, so with --postgresql each mutant that survives a
group is tried once more against the group's `postgresql` tests on PostgreSQL (mutmut's own
MUTANT_UNDER_TEST switch, in the group's mutants/ folder); one that fails there counts as
killed, and is listed as such.

A surviving mutant is explained in tools/mutants/GROUP.toml by what it changes (MutantKey: the
function, the line as written, the line as mutated), not by mutmut's ordinal __mutmut_N, which
shifts whenever its function is edited. An unexplained survivor is printed with the lines of
the [[survivor]] entry that would explain it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Surviving mutants judged equivalent or harmless, one file per group: one [[survivor]] each,
# named by its function, the line it mutates and the mutated line (not by mutmut's ordinal
# __mutmut_N, which shifts with any edit of the function), with why.
EXPLAINED = ROOT / "tools" / "mutants"
# A mutant's name is its module, then x_function or xǁClassǁmethod, then __mutmut_N.
_MODULE = re.compile(r"^(?P<module>.+?)\.x[_ǁ]")
_FUNCTION = re.compile(r"\.x(?:_(?P<function>.+?)|ǁ(?P<cls>[^ǁ]+)ǁ(?P<method>.+?))__mutmut_\d+$")


@dataclass(frozen=True)
class MutantKey:
    """What a mutant changes, stable across edits elsewhere: the function (Class.method for a
    method), the changed line(s) as written and as mutated (each stripped; several joined by a
    newline; empty when the mutant only adds or only removes lines)."""

    function: str
    line: str
    mutant: str


def function_of(name: str) -> str:
    """The function a mutant's name names: x_f__mutmut_3 -> f, xǁCǁm__mutmut_3 -> C.m."""
    match = _FUNCTION.search(name)
    if match is None:
        return name
    if match.group("function"):
        return match.group("function")
    return f"{match.group('cls')}.{match.group('method')}"


def key_of(name: str, diff: str) -> MutantKey:
    """The stable key of mutant `name` from its unified diff (`mutmut show`)."""
    removed: list[str] = []
    added: list[str] = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            removed.append(line[1:].strip())
        elif line.startswith("+"):
            added.append(line[1:].strip())
    return MutantKey(function_of(name), "\n".join(removed), "\n".join(added))


def survivor_key(folder: Path, name: str) -> MutantKey:
    """The stable key of a mutant of the run in `folder` (its diff by `mutmut show`)."""
    mutmut = str(Path(sys.executable).parent / "mutmut")
    shown = subprocess.run(
        [mutmut, "show", name], cwd=folder, capture_output=True, text=True, check=False
    ).stdout
    return key_of(name, shown)


@dataclass(frozen=True)
class Group:
    name: str
    mutate: tuple[str, ...]
    tests: tuple[str, ...]
    # With --postgresql: the tests a survivor on SQLite is tried with on PostgreSQL.
    postgresql: tuple[str, ...] = ()


GROUPS = (
    Group(
        "numbering",
        ("casefile/numbering.py",),
        ("tests/register",),
        postgresql=("tests/register/test_register.py",),
    ),
    Group("matching", ("casefile/matching.py",), ("tests/register",)),
    Group(
        "register",
        ("casefile/register/",),
        ("tests/register", "tests/outgoing/test_rules.py"),
        postgresql=("tests/register/test_one_case_per_insats.py",),
    ),
    # intake/mail is two groups so that each finishes in reasonable time: the pipeline and
    # the poll around it, and the pure parsing modules.
    Group(
        "mail-pipeline",
        (
            "intake/mail/pipeline.py",
            "intake/mail/outcome.py",
            "intake/mail/records.py",
            "intake/mail/poll.py",
            "intake/mail/retry.py",
            "casefile/faults.py",
        ),
        # The tests that run the pipeline in-process. Left out: tests/mail and
        # test_authresults.py never reach these modules; test_crash.py, test_db_outage.py and
        # test_slow_smtp.py drive a real `intake` process (mutmut cannot attribute its calls)
        # and wait out timeouts.
        (
            "tests/intake/test_new_document.py",
            "tests/intake/test_poll.py",
            "tests/intake/test_promises.py",
            "tests/intake/test_attacks.py",
            "tests/intake/test_bounce_address.py",
            "tests/intake/test_sender_trust.py",
            "tests/auth/test_imap_operator.py",
            # The staff-forward hook of _file: forwards polled through the pipeline.
            "tests/staff/test_forward.py",
        ),
        # The dialect branch of _insert_ignore (ON CONFLICT DO NOTHING).
        postgresql=("tests/intake/test_poll.py",),
    ),
    Group(
        "mail-parsing",
        (
            "intake/mail/attachments.py",
            "intake/mail/authresults.py",
            "intake/mail/classify.py",
            "intake/mail/forward.py",
            "intake/mail/mime.py",
        ),
        # Pure functions: their unit tests, and the forward tests that go through a poll. The
        # intake tests that also reach them (poll, attacks, crash, outage) cost minutes for
        # every surviving mutant on a shared machine, and assert less about these functions.
        ("tests/mail", "tests/intake/test_authresults.py", "tests/staff/test_forward.py"),
    ),
    Group(
        "transport",
        ("intake/outgoing/transport.py",),
        (
            "tests/outgoing/test_delivery.py",
            "tests/outgoing/test_promises.py",
            "tests/outgoing/test_transport_replies.py",
            # The session deadline, the login back-off, XOAUTH2 and `casefile check` (which
            # logs in with the transport's own functions).
            "tests/outgoing/test_slow_greeting.py",
            "tests/intake/test_slow_smtp.py",
            "tests/outgoing/test_login_backoff.py",
            "tests/auth/test_smtp_oauth.py",
            "tests/auth/test_check.py",
        ),
    ),
    Group(
        "sender",
        ("intake/outgoing/sender.py",),
        (
            "tests/outgoing/test_delivery.py",
            "tests/outgoing/test_commands.py",
            "tests/outgoing/test_promises.py",
            "tests/outgoing/test_login_backoff.py",
            "tests/outgoing/test_slow_greeting.py",
            "tests/outgoing/test_transport_replies.py",
            "tests/auth/test_smtp_oauth.py",
        ),
    ),
    Group(
        "reminders",
        ("intake/outgoing/reminders.py",),
        (
            "tests/outgoing/test_reminders.py",
            "tests/outgoing/test_commands.py",
            "tests/outgoing/test_promises.py",
        ),
    ),
    Group(
        "findings",
        ("intake/extract/findings.py",),
        ("tests/extract",),
    ),
)


def _lines(items: tuple[str, ...] | list[str]) -> str:
    return "\n" + "\n".join(f"    {item}" for item in items)


def prepare(group: Group, scratch: Path) -> None:
    """A copy of the tracked and new files, with the group's [mutmut] settings."""
    if scratch.exists():
        shutil.rmtree(scratch)
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in files:
        if not raw:
            continue
        source = ROOT / os.fsdecode(raw)
        if not source.is_file():
            continue
        target = scratch / os.fsdecode(raw)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (scratch / "setup.cfg").write_text(
        "[mutmut]\n"
        f"source_paths ={_lines(['casefile', 'intake'])}\n"
        f"only_mutate ={_lines(group.mutate)}\n"
        f"also_copy ={_lines(['templates', 'config', 'tools'])}\n"
        f"pytest_add_cli_args ={_lines(['--db', 'sqlite', '-p', 'no:cacheprovider'])}\n"
        f"pytest_add_cli_args_test_selection ={_lines(group.tests)}\n"
        "use_git_change_detection = false\n",
        encoding="utf-8",
    )


def _pytest_on_postgresql(folder: Path, mutant: str, tests: tuple[str, ...]) -> int:
    """Exit status of the tests on PostgreSQL with one mutant switched on (1: a test failed)."""
    command = [sys.executable, "-m", "pytest", "--rootdir=.", "-x", "-q", "-p", "no:randomly"]
    command += ["-p", "no:cacheprovider", "--db", "postgresql", *tests]
    env = {**os.environ, "MUTANT_UNDER_TEST": mutant, "PYTHONPATH": str(folder)}
    env["PYTEST_PLUGINS"] = "tools.mutant_order"
    try:
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        return 1  # a hang is a kill, as a timeout is in mutmut's own run
    return done.returncode


def killed_on_postgresql(group: Group, scratch: Path, survivors: list[str]) -> list[str]:
    """The survivors that fail the group's PostgreSQL tests."""
    folder = scratch / "mutants"
    # mutmut's check that the mutated code is the code under test: "fail" makes it raise.
    if _pytest_on_postgresql(folder, "fail", group.postgresql) != 1:
        raise SystemExit(f"fel: {group.name}: PostgreSQL-testerna når inte den muterade koden")
    killed = []
    for name in survivors:
        status = _pytest_on_postgresql(folder, name, group.postgresql)
        if status not in (0, 1):
            raise SystemExit(f"fel: {name}: pytest på PostgreSQL gav {status}")
        if status == 1:
            killed.append(name)
    return killed


def run_group(
    group: Group,
    scratch: Path,
    children: int,
    resume: bool,
    postgresql: bool,
    only: tuple[str, ...] = (),
) -> dict[str, object]:
    # mutmut keeps each verdict under mutants/: a resumed run tests only what is left.
    if not (resume and (scratch / "mutants").is_dir()):
        prepare(group, scratch)
    mutmut = str(Path(sys.executable).parent / "mutmut")
    started = time.monotonic()
    log = scratch / "mutmut-run.log"
    with log.open("w") as out:
        subprocess.run(
            [mutmut, "run", "--max-children", str(children), *only],
            cwd=scratch,
            # Order only (tools/mutant_order.py); an environment variable and not a setup.cfg
            # argument, so that a resumed run keeps its verdicts.
            env={**os.environ, "PYTEST_PLUGINS": "tools.mutant_order"},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    subprocess.run([mutmut, "export-cicd-stats"], cwd=scratch, capture_output=True, check=False)
    stats_file = scratch / "mutants" / "mutmut-cicd-stats.json"
    stats: dict[str, int] = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    everything = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=scratch, capture_output=True, text=True
    ).stdout
    verdicts = parse_results(everything)
    on_postgresql: list[str] = []
    if postgresql and group.postgresql:
        survived = sorted(name for name, status in verdicts.items() if status == "survived")
        on_postgresql = killed_on_postgresql(group, scratch, survived)
        for name in on_postgresql:
            verdicts[name] = "killed"
        stats["killed"] = stats.get("killed", 0) + len(on_postgresql)
        stats["survived"] = stats.get("survived", 0) - len(on_postgresql)
    survivors = sorted(name for name, status in verdicts.items() if status == "survived")
    survivors += sorted(name for name, status in verdicts.items() if status == "no tests")
    return {
        "group": group.name,
        "seconds": round(time.monotonic() - started),
        "stats": stats,
        "survivors": survivors,
        "killed_on_postgresql": on_postgresql,
        "modules": per_module(verdicts),
        "folder": str(scratch),
    }


def parse_results(listing: str) -> dict[str, str]:
    """`mutmut results --all true` lines ("name: status") as a mapping."""
    verdicts: dict[str, str] = {}
    for line in listing.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            verdicts[name] = status.strip()
    return verdicts


def per_module(verdicts: dict[str, str]) -> dict[str, list[int]]:
    """Killed and total mutants per module (a timeout counts as killed; skipped is left out)."""
    modules: dict[str, list[int]] = {}
    for name, status in verdicts.items():
        match = _MODULE.match(name)
        module = match.group("module") if match else name
        if status in ("skipped", "not checked"):
            continue
        counts = modules.setdefault(module, [0, 0])
        counts[1] += 1
        if status in ("killed", "timeout"):
            counts[0] += 1
    return modules


def explained(group: str) -> dict[MutantKey, str]:
    """The group's explanations by stable key (tools/mutants/GROUP.toml, [[survivor]] tables)."""
    path = EXPLAINED / f"{group.replace('/', '-')}.toml"
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[MutantKey, str] = {}
    for entry in data.get("survivor", []):
        key = MutantKey(str(entry["function"]), str(entry["line"]), str(entry["mutant"]))
        out[key] = str(entry["why"])
    return out


def score(stats: dict[str, int]) -> tuple[int, int, float]:
    killed = stats.get("killed", 0) + stats.get("timeout", 0)
    total = killed + stats.get("survived", 0) + stats.get("no_tests", 0)
    total += stats.get("suspicious", 0)
    return killed, total, (100.0 * killed / total if total else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", help="group names (default: all)")
    parser.add_argument("--children", type=int, default=2, help="parallel mutants (default 2)")
    parser.add_argument(
        "--scratch", default=os.environ.get("CASEFILE_MUTATE_DIR", "/tmp/casefile-mutate")
    )
    parser.add_argument("--target", type=float, default=85.0, help="per cent killed to aim for")
    parser.add_argument(
        "--resume", action="store_true", help="go on with an interrupted run of the same code"
    )
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="try each survivor once more with the group's PostgreSQL tests",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only the mutants whose names match (fnmatch; repeatable), e.g. after a change to "
        "one function; the figures then cover those alone",
    )
    args = parser.parse_args()
    wanted = [g for g in GROUPS if not args.groups or g.name in args.groups]
    unknown = set(args.groups) - {g.name for g in GROUPS}
    if unknown:
        print(f"fel: okänd grupp: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    results = []
    for group in wanted:
        scratch = Path(args.scratch) / group.name.replace("/", "-")
        print(f"== {group.name} ({', '.join(group.mutate)})", file=sys.stderr, flush=True)
        result = run_group(
            group, scratch, args.children, args.resume, args.postgresql, tuple(args.only)
        )
        results.append(result)
        (Path(args.scratch) / f"{group.name.replace('/', '-')}.json").write_text(
            json.dumps(result, indent=2)
        )
    print(f"{'group':<14}{'killed':>8}{'total':>8}{'score':>9}  {'time':>6}  verdict")
    missed = False
    for result in results:
        stats = result["stats"]
        assert isinstance(stats, dict)
        killed, total, pct = score(stats)
        verdict = "ok" if pct >= args.target else "MISSED"
        missed = missed or verdict == "MISSED"
        print(
            f"{result['group']!s:<14}{killed:>8}{total:>8}{pct:>8.1f}%  "
            f"{result['seconds']!s:>5}s  {verdict}"
        )
    print(f"\n{'module':<34}{'killed':>8}{'total':>8}{'score':>9}")
    for result in results:
        modules = result["modules"]
        assert isinstance(modules, dict)
        for module, (killed, total) in sorted(modules.items()):
            pct = 100.0 * killed / total if total else 0.0
            print(f"{module:<34}{killed:>8}{total:>8}{pct:>8.1f}%")
    for result in results:
        on_postgresql = result["killed_on_postgresql"]
        assert isinstance(on_postgresql, list)
        for name in on_postgresql:
            print(f"killed on PostgreSQL only: {name}")
    unexplained = 0
    for result in results:
        survivors = result["survivors"]
        assert isinstance(survivors, list)
        reasons = explained(str(result["group"]))
        if survivors:
            folder = Path(str(result["folder"]))
            print(f"\nsurviving in {result['group']} (mutmut show NAME in {folder}):")
            for name in survivors:
                key = survivor_key(folder, name)
                why = reasons.get(key)
                unexplained += why is None
                print(f"  {name}: {why or 'NOT EXPLAINED'}")
                if why is None:
                    # What its [[survivor]] entry in the group's toml file would say.
                    print(f"    function = {json.dumps(key.function, ensure_ascii=False)}")
                    print(f"    line = {json.dumps(key.line, ensure_ascii=False)}")
                    print(f"    mutant = {json.dumps(key.mutant, ensure_ascii=False)}")
    if unexplained:
        print(f"\n{unexplained} surviving mutants not explained in {EXPLAINED}/GROUP.toml")
    return 1 if missed or unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())

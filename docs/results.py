"""Regenerate every measured table of docs/results.md, or check that none has drifted.

    python docs/results.py                     # rerun every table, rewrite docs/results.md (and README's copy)
    python docs/results.py synthetic planning  # only these tables
    python docs/results.py --check             # rerun and compare; exit 1 and a diff on any drift
    python docs/results.py --check --cheap     # only the tables cheap enough for the test suite

Why a script: a figure in the docs must come from a command a reader can rerun, and a
table that was right last month is wrong after the simulated user changes. Each table
below is the printed output of one command (run from a scratch folder, as a user would
run it), with the lines that are not a function of the seed (wall times, output paths)
left out, so the same seed prints the same table. The written block records the
command, the commit it ran on and the date beside the table; `--check` compares the
tables only (not the commit or date), so it fails exactly when the code now prints
something else. A table block in docs/results.md looks like

    <!-- table NAME -->
    `COMMAND` · commit `abc1234` · 2026-12-03
    ```text
    ...the output...
    ```
    <!-- end NAME -->

README.md carries the head of the `synthetic` table (down to the exact optimal values)
between the same markers, checked the same way, so the front page and the results page
cannot disagree.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "results.md"
README = REPO / "README.md"


@dataclass(frozen=True)
class Table:
    """One measured table: the command that prints it and which of its lines are the table."""

    name: str
    command: str  # as a user types it in the repository root
    cheap: bool = False  # seconds on 2 cores: the test suite reruns it
    stop_at: str | None = None  # drop this line and everything after it (timings)
    drop: str = r"^\d+ episodes x \d+ policies in |^\(\d+ s\)$"  # lines that are not a function of the seed
    readme_until: str | None = None  # README's copy stops before the line starting with this
    section: str | None = None  # keep only the line starting with this and the indented lines below it


def excerpt(table: Table, output: str, path: Path) -> str:
    """What `path` shows of a table: all of it on the results page, its head in the README."""
    if path != README or table.readme_until is None:
        return output
    lines = output.splitlines()
    cut = next((i for i, line in enumerate(lines) if line.startswith(table.readme_until)), len(lines))
    return "\n".join(lines[:cut])


TABLES: tuple[Table, ...] = (
    Table("synthetic", "proact benchmark --episodes 2000 --seed 0", readme_until="question quality"),
    Table("reliability", "proact benchmark --episodes 300 --replays 4 --seed 0", section="pass^k over"),
    Table("planning", "python benchmarks/planning_personas.py --episodes 1000 --seed 0", cheap=True),
    Table("coding", "proact benchmark --env proact_env/Coding-v0 "
                    "--env-kwargs '{\"dataset_path\": \"{mbpp}\", \"split\": \"test\"}' --episodes 300 --seed 0 "
                    "--policies always_execute,always_clarify,clarify_once,random,seed_rule,threshold"),
    Table("question-relevance", "python benchmarks/question_relevance.py --seed 0",
          stop_at="hearing one question of N characters"),
)
BY_NAME = {table.name: table for table in TABLES}


def data_file(name: str) -> str:
    """A data set's file for a `{name}` in a command (MBPP for the coding tables), or a clear refusal."""
    from proact_env.data import DataNotFoundError, dataset_path

    try:
        return str(dataset_path(name))
    except DataNotFoundError as error:
        raise SystemExit(f"a table needs the {name} data set: {error}") from None


def run_table(table: Table) -> str:
    """Run `table.command` from a scratch folder and return its deterministic lines."""
    argv = [arg.replace("{mbpp}", data_file("mbpp")) if "{mbpp}" in arg else arg for arg in shlex.split(table.command)]
    if argv[0] == "proact":
        argv = [sys.executable, "-m", "proact_env", *argv[1:], "--no-progress"]
    elif argv[0] == "python":
        argv = [sys.executable, str(REPO / argv[1]), *argv[2:]]
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg", TQDM_DISABLE="1")
    with tempfile.TemporaryDirectory() as scratch:
        done = subprocess.run(argv, cwd=scratch, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{table.command} exited {done.returncode}:\n{done.stderr[-3000:]}")
    lines = done.stdout.splitlines()
    if table.section:
        start = next(i for i, line in enumerate(lines) if line.startswith(table.section))
        end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ")), len(lines))
        lines = lines[start:end]
    kept: list[str] = []
    for line in lines:
        if table.stop_at and line.startswith(table.stop_at):
            break
        if not re.search(table.drop, line):
            kept.append(line.rstrip())
    return "\n".join(kept).strip("\n")


def provenance(table: Table) -> str:
    """The line above a table: its command, the commit it ran on, the date."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!*.md"],
                             cwd=REPO, capture_output=True,
                             text=True).stdout.strip()
    if changed:
        commit += " with uncommitted changes"
    return f"`{table.command}` · commit `{commit}` · {datetime.date.today().isoformat()}"


def block_pattern(name: str) -> re.Pattern[str]:
    """A table's block in a markdown file: the markers, the provenance line and the fenced output."""
    return re.compile(rf"<!-- table {re.escape(name)} -->\n(?P<provenance>[^\n]*)\n```text\n(?P<table>.*?)\n```\n"
                      rf"<!-- end {re.escape(name)} -->", re.S)


def slot_pattern(name: str) -> re.Pattern[str]:
    """A table's markers and whatever is between them: what --write replaces (an empty slot included)."""
    return re.compile(rf"<!-- table {re.escape(name)} -->\n.*?<!-- end {re.escape(name)} -->", re.S)


def read_blocks(text: str, name: str) -> list[re.Match[str]]:
    return list(block_pattern(name).finditer(text))


def render_block(table: Table, output: str) -> str:
    return f"<!-- table {table.name} -->\n{provenance(table)}\n```text\n{output}\n```\n<!-- end {table.name} -->"


def files_holding(table: Table) -> list[Path]:
    """Where a table appears: docs/results.md always, README.md when it carries a copy."""
    return [path for path in (RESULTS, README) if slot_pattern(table.name).search(path.read_text(encoding="utf-8"))]


def check(tables: list[Table], results: Path) -> int:
    """Rerun `tables` and compare with every copy of them; the number of drifted or malformed copies."""
    failures = 0
    for table in tables:
        before = failures
        output = run_table(table)
        paths = [results, *(p for p in files_holding(table) if p != RESULTS)]
        for path in paths:
            blocks = read_blocks(path.read_text(encoding="utf-8"), table.name)
            if not blocks:
                print(f"{path}: no block for table {table.name!r} (run python docs/results.py {table.name})")
                failures += 1
                continue
            for block in blocks:
                if not block["provenance"].startswith(f"`{table.command}` · commit `"):
                    print(f"{path}: table {table.name!r} does not record its command `{table.command}`")
                    failures += 1
                expected = excerpt(table, output, path)
                if block["table"] != expected:
                    diff = difflib.unified_diff(block["table"].splitlines(), expected.splitlines(),
                                                f"{path.name} ({table.name})", f"{table.command} now", lineterm="")
                    print("\n".join(diff))
                    print(f"{path}: table {table.name!r} drifted from what `{table.command}` prints now; "
                          f"rerun python docs/results.py {table.name}")
                    failures += 1
        if failures == before:
            print(f"{table.name}: up to date")
    return failures


def write(tables: list[Table]) -> None:
    """Rerun `tables` and replace their blocks in docs/results.md and README.md."""
    for table in tables:
        output = run_table(table)
        for path in files_holding(table):
            block = render_block(table, excerpt(table, output, path))
            text = path.read_text(encoding="utf-8")
            path.write_text(slot_pattern(table.name).sub(lambda _: block, text), encoding="utf-8")
            print(f"{path.relative_to(REPO)}: table {table.name} rewritten")
        if not files_holding(table):
            raise SystemExit(f"{RESULTS}: add a block '<!-- table {table.name} -->' for the new table first")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tables", nargs="*", help=f"tables to rerun (default all: {', '.join(BY_NAME)})")
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on drift")
    parser.add_argument("--cheap", action="store_true", help="only the tables that take seconds")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="the results page --check reads (default docs/results.md)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.tables if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown table {', '.join(unknown)}; the tables are {', '.join(BY_NAME)}")
    tables = [BY_NAME[name] for name in args.tables] if args.tables else list(TABLES)
    if args.cheap:
        tables = [table for table in tables if table.cheap]
    if args.check:
        return 1 if check(tables, args.results) else 0
    write(tables)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The docs: the site builds in strict mode, the README stays a front page, and no measured table drifts.

The heavy tables of docs/results.md (a 2,000-episode benchmark, a benchmark script)
are not rerun here: the suite checks that each records the command that prints it and
the commit it ran on, and reruns the tables that take seconds (`docs/results.py --check
--cheap`), so a change to the env or the simulated user that moves a figure fails here.
`python docs/results.py --check` reruns them all.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def _results_module():
    spec = importlib.util.spec_from_file_location("docs_results", REPO / "docs" / "results.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


results = _results_module()


def test_site_builds_in_strict_mode_without_a_warning(tmp_path):
    pytest.importorskip("mkdocs", reason="pip install -e '.[docs]' (the test extra includes it)")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "WARNING" not in log, log
    assert (tmp_path / "site" / "results" / "index.html").is_file()


def test_every_docs_page_is_in_the_nav():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*(\S+\.md)\s*$", nav, re.M))
    assert listed == {p.name for p in (REPO / "docs").glob("*.md")}


def test_readme_is_a_front_page_opening_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 250, f"README.md has {len(lines)} lines; move reference material to docs/"
    first_block = lines[lines.index("```bash") + 1:]
    first_block = first_block[:first_block.index("```")]
    assert [line.split()[:2] for line in first_block] == [["make", "demo"], ["make", "test"]], first_block
    for heading in ("## Quick start", "## Install", "## Environments", "## The pipeline in three commands",
                    "## A result", "## Documentation"):
        assert heading in lines, f"README.md lost its section {heading!r}"


def _github_slug(heading: str) -> str:
    """GitHub's anchor for a heading (MkDocs' default slugs agree on the headings used here)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_readme_links_resolve_on_github():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#\s]+\.md)(?:#([^)\s]+))?\)", text)
    assert links, "README.md links to no docs page"
    for target, anchor in links:
        path = REPO / target
        assert path.is_file(), f"README.md links to {target}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+\s+(.+)$", path.read_text(encoding="utf-8"), re.M)
            assert anchor in {_github_slug(h) for h in headings}, f"{target} has no heading for #{anchor}"


@pytest.mark.parametrize("table", results.TABLES, ids=lambda t: t.name)
def test_every_table_records_its_command_and_commit(table):
    blocks = results.read_blocks(results.RESULTS.read_text(encoding="utf-8"), table.name)
    assert len(blocks) == 1, f"docs/results.md needs one block for {table.name}: python docs/results.py {table.name}"
    provenance = blocks[0]["provenance"]
    assert re.fullmatch(rf"`{re.escape(table.command)}` · commit `[0-9a-f]{{7,40}}` · \d{{4}}-\d\d-\d\d", provenance), \
        f"{table.name}: {provenance!r} should name the command, a clean commit and a date"
    assert blocks[0]["table"].strip(), f"{table.name}: empty table"


def test_readme_result_is_a_copy_of_the_results_page():
    table = results.BY_NAME["synthetic"]
    readme = results.read_blocks(README.read_text(encoding="utf-8"), table.name)
    page = results.read_blocks(results.RESULTS.read_text(encoding="utf-8"), table.name)
    assert len(readme) == 1 and len(page) == 1
    assert readme[0]["provenance"] == page[0]["provenance"]
    assert readme[0]["table"] == results.excerpt(table, page[0]["table"], README), \
        "README's table differs from docs/results.md: rerun python docs/results.py synthetic"
    assert readme[0]["table"].startswith("policy ") and "exact optimal value" in readme[0]["table"]


def test_check_names_a_drifted_table(tmp_path, monkeypatch, capsys):
    """The comparison itself, without rerunning a benchmark: the stored table passes, one changed figure fails."""
    table = results.BY_NAME["synthetic"]
    page = results.RESULTS.read_text(encoding="utf-8")
    stored = results.read_blocks(page, table.name)[0]["table"]
    monkeypatch.setattr(results, "run_table", lambda _table: stored)
    copy = tmp_path / "results.md"
    copy.write_text(page, encoding="utf-8")
    assert results.check([table], copy) == 0
    figure = re.search(r"\d\.\d{3}", stored)
    drifted = stored[:figure.start()] + f"{float(figure.group(0)) + 0.001:.3f}" + stored[figure.end():]
    monkeypatch.setattr(results, "run_table", lambda _table: drifted)
    assert results.check([table], copy) >= 1
    out = capsys.readouterr().out
    changed_line = next(line for line in drifted.splitlines() if line not in stored.splitlines())
    assert "table 'synthetic' drifted" in out and f"+{changed_line}" in out, out


def test_cheap_tables_are_what_the_code_prints_now():
    """Reruns the tables that take seconds, exactly as CI's `python docs/results.py --check --cheap`."""
    assert any(table.cheap for table in results.TABLES)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(REPO / "docs" / "results.py"), "--check", "--cheap"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

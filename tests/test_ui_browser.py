"""`proact ui` in a real browser: headless Debian chromium, driven by Playwright, against the server on 127.0.0.1.

One person plays an episode as the assistant, another as the user, and a benchmark
results folder and a malformed file are opened; each check reads what the page shows
and what was saved. Screenshots of every page go to $PROACT_SCREENSHOTS (default: the
test's tmp folder). Skipped without chromium or Playwright, except under CI=true.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from proact_env.benchmark.report import write_results
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark

CHROMIUM = "/usr/bin/chromium"
LAUNCH_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
XSS = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def _require_browser():
    reason = None
    if not Path(CHROMIUM).is_file():
        reason = f"{CHROMIUM} is missing (make system-deps installs Debian's chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A results folder, the server on 127.0.0.1 and a headless chromium page."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    root = tmp_path_factory.mktemp("study")
    results = run_benchmark(BenchmarkConfig(policies=("always_execute", "threshold", "optimal"), episodes=30))
    write_results(results, root / "bench")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "proact_env.cli", "ui", "--port", str(port), "--root", str(root),
         "--out", str(root / "study.jsonl"), "--episodes", "1", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=root)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/api/config", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"proact ui exited: {server.stdout.read()}")
            time.sleep(0.1)
    shots = Path(os.environ.get("PROACT_SCREENSHOTS") or root / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_FLAGS)
        assert browser.version.split(".")[0] in subprocess.run([CHROMIUM, "--version"], capture_output=True,
                                                               text=True).stdout  # Debian's, not a download
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        try:
            yield {"root": root, "url": url, "context": context, "shots": shots}
        finally:
            context.close()
            browser.close()
            server.terminate()
            server.wait(timeout=10)


def _start(page, url: str, participant: str, side: str, shots: Path) -> None:
    page.goto(url)
    page.wait_for_selector("#side-user")
    assert "study of when an assistant should ask" in page.inner_text("#instructions")
    page.fill("#participant", participant)
    page.check(f"#side-{side}")
    assert page.is_disabled("#start-button")  # no start without consent
    page.check("#consent")
    page.screenshot(path=str(shots / "01-start.png"), full_page=True)
    page.click("#start-button")


def _saved(root: Path, session_id: str) -> list[dict]:
    lines = [json.loads(line) for line in (root / "study.jsonl").read_text().splitlines()]
    return [line for line in lines if line["human"]["session_id"] == session_id]


def test_play_the_assistant(study):
    page = study["context"].new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    _start(page, study["url"], "T1", "assistant", study["shots"])
    page.wait_for_selector("#assistant-controls", state="visible")
    assert "Should the assistant Clarify" in page.text_content("#decision-prompt")
    page.click("#send-move")  # nothing chosen: refused with a message, nothing saved
    page.wait_for_selector("#error", state="visible")
    assert "Clarify or Execute" in page.inner_text("#error")
    page.check("#act-clarify")
    page.fill("#message", f"Which format should the output use? {XSS}")
    page.click("#send-move")
    page.wait_for_selector("#transcript li")
    page.screenshot(path=str(study["shots"] / "02-assistant-turn.png"), full_page=True)
    first = page.inner_text("#transcript li:first-child")
    assert XSS in first and "reward" in first and "C_interrupt" in first and "lost value" in first
    assert page.evaluate("window.pwned") is None and page.query_selector("#transcript img") is None
    for _ in range(6):
        if page.is_visible("#episode-over"):
            break
        played = page.locator("#transcript li").count()
        page.check("#act-execute")
        page.fill("#message", "Here is the solution: csv, ascending, skip, preserved, integer, keep, utc, utf8.")
        page.click("#send-move")
        page.locator("#transcript li").nth(played).wait_for()
    page.wait_for_selector("#episode-over", state="visible")
    page.screenshot(path=str(study["shots"] / "03-assistant-episode-over.png"), full_page=True)
    shown_turns = page.locator("#transcript li").count()
    page.click("#next")
    page.wait_for_selector("#finished", state="visible")
    assert page.get_attribute("#export", "href") == "/api/sessions/T1-assistant/export"
    page.screenshot(path=str(study["shots"] / "04-finished.png"), full_page=True)
    saved = _saved(study["root"], "T1-assistant")
    assert len(saved) == shown_turns and saved[-1]["done"] and saved[0]["source"] == "human"
    assert saved[0]["action"] == "Clarify" and saved[0]["assistant_msg"].endswith(XSS)
    assert all(line["solver"] is not None for line in saved)  # Synthetic-v0 with the rule-based user
    exported = urllib.request.urlopen(study["url"] + "/api/sessions/T1-assistant/export").read().decode()
    assert [json.loads(line)["assistant_msg"] for line in exported.splitlines()] == [s["assistant_msg"] for s in saved]


def test_play_the_user(study):
    page = study["context"].new_page()
    _start(page, study["url"], "T2", "user", study["shots"])
    replies = 0
    for _ in range(8):
        page.wait_for_selector("#user-controls:not([hidden]), #episode-over:not([hidden])")
        if page.is_visible("#episode-over"):
            break
        if replies == 0:
            assert page.is_visible("#brief-box") and page.locator("#brief li").count() >= 1
            page.screenshot(path=str(study["shots"] / "05-user-turn.png"), full_page=True)
        choices = [c.get_attribute("value") for c in page.query_selector_all("#reply-choices input")]
        choice = "answer" if "answer" in choices else "accept" if "accept" in choices else "give_up"
        page.check(f"#choice-{choice}")
        if choice == "answer":
            for box in page.query_selector_all("#facts input"):
                box.check()
        page.fill("#reply-text", f"my answer {XSS}")
        page.click("#send-reply")
        replies += 1
        page.locator("#transcript li").nth(replies - 1).wait_for()
    page.wait_for_selector("#episode-over", state="visible")
    page.screenshot(path=str(study["shots"] / "06-user-episode-over.png"), full_page=True)
    assert XSS in page.inner_text("#transcript") and page.evaluate("window.pwned") is None
    saved = _saved(study["root"], "T2-user")
    assert len(saved) == replies and saved[-1]["done"]
    assert saved[0]["human"]["reply"]["choice"] in ("answer", "accept", "give_up")
    assert saved[0]["user_reaction"]["user_reply"] == f"my answer {XSS}"
    assert saved[0]["human"]["policy"] == "threshold"


def test_browse_results_and_a_malformed_file(study):
    page = study["context"].new_page()
    page.goto(study["url"])
    page.click("#tab-browse")
    page.fill("#browse-path", "bench")
    page.click("#open")
    page.wait_for_selector("#charts", state="visible")
    assert "3 policies, 90 episodes" in page.inner_text("#browse-summary")
    assert page.locator("#pareto-svg circle.point").count() == 3
    page.click("#pareto-svg circle.point[data-policy='threshold']")
    assert page.input_value("#filter-policy") == "threshold"
    assert page.inner_text("#episode-count").startswith("30 episodes")
    page.screenshot(path=str(study["shots"] / "07-results.png"), full_page=True)
    page.click("#episodes tbody tr:first-child")
    page.wait_for_selector("#episode-detail", state="visible")
    page.locator("#turns tbody tr").first.wait_for()
    note = page.inner_text("#detail-note")
    assert "matches episodes.csv" in note and "Lost value over the episode" in note
    assert "optimal:" in page.inner_text("#turns tbody tr:first-child")
    page.screenshot(path=str(study["shots"] / "08-replayed-episode.png"), full_page=True)
    page.select_option("#filter-outcome", "success")
    assert int(page.inner_text("#episode-count").split()[0]) < 30
    # the calibration chart's lines filter too
    page.click("#calibration-svg circle.point[data-policy='optimal']")
    assert page.input_value("#filter-policy") == "optimal"

    # the played sessions, read like any trajectories file
    page.fill("#browse-path", "study.jsonl")
    page.click("#open")
    page.locator("#browse-summary", has_text="Trajectories").wait_for()
    policies = [o.get_attribute("value") for o in page.query_selector_all("#filter-policy option")]
    assert "human (assistant)" in policies and "threshold (person as user)" in policies
    page.screenshot(path=str(study["shots"] / "09-trajectories.png"), full_page=True)

    bad = study["root"] / "bad.jsonl"
    bad.write_text(json.dumps({"state": {"query": "q", "dialogue_turn": 0, "prev_reject": 0}}) + "\n")
    cli = subprocess.run([sys.executable, "-m", "proact_env.cli", "rewards", "--trajectories", str(bad.resolve()),
                          "--out", str(study["root"] / "p.jsonl")], capture_output=True, text=True)
    cli_message = cli.stderr.strip().removeprefix("proact rewards: error: ")
    assert cli.returncode == 2 and "bad.jsonl:1: field 'action'" in cli_message
    page.fill("#browse-path", "bad.jsonl")
    page.click("#open")
    page.wait_for_selector("#error", state="visible")
    assert page.inner_text("#error") == cli_message
    page.fill("#browse-path", "../../etc/passwd")
    page.click("#open")
    page.locator("#error", has_text="opens files under").wait_for()
    page.fill("#browse-path", "bad.jsonl")
    page.click("#open")
    page.screenshot(path=str(study["shots"] / "10-malformed.png"), full_page=True)

"""The staff console in a real browser (Debian's chromium): a coordinator's everyday path.

Starts the real web app (``bot.web.app``, uvicorn) on a free port with throw-away SQLite
databases holding a few conversations and one request, then: log in, filter to conversations
with a request, open a transcript, mark it reviewed, export CSV. Screenshots of the list, a
transcript and the overview go to ``test-artifacts/staff-*.png`` for a human to look at.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List
from urllib.parse import urlsplit

import pytest

from tests.staff.conftest import EMAIL, FORMULA_NAME, NOW, PASSWORD, make_console, scenario
from tests.support.ports import free_port
from tests.support.stack import ROOT, wait_for

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.support import sample_data

    workdir = tmp_path_factory.mktemp("staff-browser")
    made = make_console(
        f"sqlite:///{workdir / 'requests.db'}", f"sqlite:///{workdir / 'tracker.db'}", "sqlite"
    )
    made.add(*scenario().values())
    # A few more people without a request, so the filter has something to filter out.
    made.add(*sample_data.generate(12, seed=5, days=14, request_share=0.0, now=NOW))
    port = free_port()
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=made.config.database_url,
        TRACKER_DATABASE_URL=made.config.tracker_url,
        VAR_DIR=str(workdir),
        STAFF_SECRET_KEY="browser-test-" + "k" * 40,
        WEB_PORT=str(port),
    )
    log = (workdir / "web.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bot.web.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--ws", "none", "--no-access-log"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/staff/login", 60, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_coordinator_reviews_a_conversation_and_exports(
    browser, artifacts: Path, console_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 860}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: List[str] = []
    hosts = set()
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.on(
        "response",
        lambda reply: errors.append(f"{reply.status} {reply.url}") if reply.status >= 400 else None,
    )
    try:
        # Not logged in: the console sends us to the login page first.
        page.goto(console_url + "/staff/conversations")
        assert "/staff/login" in page.url
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/staff/conversations")
        rows = page.locator("#conversation-table tbody tr")
        assert rows.count() == 4 + 12  # erin opened the chat but never wrote
        page.screenshot(path=str(artifacts / "staff-conversations.png"), full_page=True)

        # Filter to conversations with a request: the select applies at once (staff.js).
        page.get_by_label("Has request").select_option("yes")
        page.wait_for_url("**request=yes**")
        assert rows.count() == 1
        assert "MIBG-" in rows.first.inner_text()

        # Open the transcript by clicking the row.
        rows.first.locator("td").nth(2).click()
        page.wait_for_url("**/staff/conversations/alice-0001")
        transcript = page.locator("#transcript")
        assert "how much does it cost" in transcript.inner_text()
        assert "ask_costs" in transcript.inner_text()
        page.screenshot(path=str(artifacts / "staff-transcript.png"), full_page=False)

        # NLU details can be hidden and come back.
        page.get_by_label("NLU details").uncheck()
        assert not page.locator(".nlu.details").first.is_visible()
        page.get_by_label("NLU details").check()

        # Mark reviewed, with a tag and a note.
        page.get_by_label("Tags").fill("follow-up, costs")
        page.get_by_label("Notes").fill("Wants a cost estimate; called on Monday.")
        page.get_by_role("button", name="Mark reviewed").click()
        page.wait_for_url("**notice=saved")
        assert page.get_by_role("status").inner_text() == "Review saved."
        assert page.locator(".side .pill-reviewed").is_visible()
        page.goto(console_url + "/staff/conversations?status=reviewed")
        assert page.locator("#conversation-table tbody tr").count() == 1
        assert "follow-up" in page.locator("#conversation-table tbody").inner_text()

        # Export the requests as CSV (a real download).
        page.get_by_role("link", name="Requests").click()
        with page.expect_download() as info:
            page.locator("#export-csv").click()
        download = info.value
        assert download.suggested_filename.startswith("requests-")
        target = artifacts / "staff-requests-export.csv"
        download.save_as(str(target))
        exported = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
        assert len(exported) == 1
        assert exported[0]["full_name"] == "'" + FORMULA_NAME
        assert exported[0]["sender_id"] == "alice-0001"

        # The overview.
        page.get_by_role("link", name="Overview").click()
        page.wait_for_selector("svg.chart")
        assert page.locator("svg.chart").count() == 3
        page.screenshot(path=str(artifacts / "staff-overview.png"), full_page=True)

        assert errors == []
        assert hosts == {urlsplit(console_url).netloc}  # nothing from anywhere else
    finally:
        context.close()

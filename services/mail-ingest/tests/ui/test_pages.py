"""The import log in a browser, through the gateway: upload, status filters, retry after fixing a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from crm_kit.testing.stack import USER_PASSWORD, start_stack

FIXTURES = Path(__file__).parent.parent / "fixtures"

pytestmark = pytest.mark.ui


async def test_an_operator_uploads_an_export_filters_the_log_and_retries_a_fixed_file(
    service_env: Any, page: Any, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    overrides = {"mail-ingest": {"inbox": inbox, "scan_seconds": 0.1}}
    async with start_stack(service_env, ["mail-ingest"], overrides=overrides) as stack:
        # The whole import log is a manager's view; an agent sees only the imports whose task went to them.
        await stack.create_user("ana", "manager", str(uuid4()), USER_PASSWORD)
        await stack.login(page, "ana", USER_PASSWORD)

        await page.goto(f"{stack.base_url}/mail-imports")
        await page.set_input_files("#upload-form input[name=file]", str(FIXTURES / "outlook_ro_utf16le.txt"))
        await page.click("#upload-form button[type=submit]")
        await page.wait_for_selector("#import-result[data-status=imported]")
        assert "Imprimanta defectă la sediul din Cluj" in await page.inner_text("#import-result")

        # A file dropped into the folder that is empty fails, with its reason in the log.
        (inbox / "gol.txt").write_bytes(b"")
        await page.goto(f"{stack.base_url}/mail-imports?status=failed")
        for _ in range(50):
            if await page.query_selector("#import-log tr[data-status=failed]"):
                break
            await page.wait_for_timeout(200)
            await page.reload()
        row = await page.inner_text("#import-log tr[data-status=failed]")
        assert "gol.txt" in row
        assert "empty file" in row
        assert await page.query_selector("#import-log tr[data-status=imported]") is None  # the filter holds

        # The operator replaces the file in failed/ with a good export and retries it.
        (inbox / "failed" / "gol.txt").write_bytes((FIXTURES / "thunderbird_en_utf8.txt").read_bytes())
        await page.click("#import-log tr[data-status=failed] .retry-form button")
        await page.wait_for_selector("#import-result[data-status=imported]")
        assert "Offer request for 20 licences" in await page.inner_text("#import-result")

        await page.click("#status-filters a[data-filter=imported]")
        await page.wait_for_selector("#import-log")
        assert len(await page.query_selector_all("#import-log tbody tr")) == 2


async def test_a_two_thousand_character_subject_keeps_the_import_log_within_the_window(
    service_env: Any, page: Any, tmp_path: Path
) -> None:
    overrides = {"mail-ingest": {"inbox": tmp_path / "inbox", "scan_seconds": 0.1}}
    async with start_stack(service_env, ["mail-ingest"], overrides=overrides) as stack:
        await stack.create_user("ana", "manager", str(uuid4()), USER_PASSWORD)
        await stack.login(page, "ana", USER_PASSWORD)
        subject = "Oferta" + "x" * 1994  # one unbroken word: the worst case for wrapping
        export = tmp_path / "lung.eml"
        export.write_text(
            f"From: Client <client@example.com>\nTo: crm@example.com\nSubject: {subject}\n"
            "Date: Tue, 01 Dec 2026 10:00:00 +0200\nMessage-ID: <lung@example.com>\n\nCorpul.\n"
        )

        await page.goto(f"{stack.base_url}/mail-imports")
        await page.set_input_files("#upload-form input[name=file]", str(export))
        await page.click("#upload-form button[type=submit]")
        await page.wait_for_selector("#import-result[data-status=imported]")
        assert subject[:1000] in await page.inner_text("#import-log")  # the log keeps the first 1,000 characters

        page_width = await page.evaluate("document.documentElement.scrollWidth")
        window_width = await page.evaluate("window.innerWidth")
        assert page_width <= window_width, (page_width, window_width)
        await page.screenshot(path="/tmp/ui-misc-shots/mail-imports-long-subject.png", full_page=True)

"""C4 in a browser, through the gateway: an admin changes the import folder and format; the worker follows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crm_kit.testing.stack import start_stack

FIXTURES = Path(__file__).parent.parent / "fixtures"

pytestmark = pytest.mark.ui


async def test_an_admin_moves_the_import_folder_in_romanian_then_reads_the_page_in_english(
    service_env: Any, page: Any, tmp_path: Path
) -> None:
    new = tmp_path / "nou"
    new.mkdir()
    overrides = {"mail-ingest": {"inbox": tmp_path / "vechi", "scan_seconds": 0.1}}
    async with start_stack(service_env, ["mail-ingest"], overrides=overrides) as stack:
        await stack.login(page)
        await page.goto(f"{stack.base_url}/mail-imports")
        await page.click("#mail-import-settings-link")
        assert await page.input_value("input[name=folder]") == str(tmp_path / "vechi")

        # A relative path is refused beside the field, in Romanian; what was typed stays.
        await page.fill("input[name=folder]", "mail-inbox")
        await page.click("#mail-import-settings-form button[type=submit]")
        note = page.locator("[data-field-error=folder]")
        assert await note.inner_text() == "Introduceți o cale absolută pe serverul de import (începe cu /)."
        assert await page.input_value("input[name=folder]") == "mail-inbox"

        await page.fill("input[name=folder]", str(new))
        await page.select_option("select[name=export_format]", label="Fișier .eml (MIME)")
        await page.click("#mail-import-settings-form button[type=submit]")
        await page.wait_for_selector("p.ok[role=status]")
        assert await page.input_value("input[name=folder]") == str(new)
        assert "Salvat de admin" in await page.inner_text("#settings-source")

        # The running worker takes a file dropped into the new folder, without a restart.
        (new / "nou.eml").write_bytes((FIXTURES / "eml_ro_utf8_base64.eml").read_bytes())
        await page.goto(f"{stack.base_url}/mail-imports")
        for _ in range(50):
            if await page.query_selector("#import-log tr[data-status=imported]"):
                break
            await page.wait_for_timeout(200)
            await page.reload()
        assert "nou.eml" in await page.inner_text("#import-log tr[data-status=imported]")
        assert (new / "done" / "nou.eml").is_file()

        await page.goto(f"{stack.base_url}/lang/en?next=/settings/mail-import")
        assert await page.inner_text("h1") == "Email import: folder and format"
        chosen = await page.eval_on_selector("select[name=export_format]", "s => s.selectedOptions[0].text")
        assert chosen == ".eml file (MIME)"

"""`make screens`: screenshots of the main pages in Romanian and English (1280x800 PNG) into docs/screens/.

A throwaway stack (gateway and services on free ports, SQLite in a temporary folder, topics of its own on the
local broker) is filled by ``make demo-large``'s script at a small size, then headless Chromium visits each page
as admin in both languages. Run again after a change to the UI: the files are overwritten.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from crm_commercial.settings import CommercialSettings
from crm_kit.testing.stack import ADMIN_PASSWORD, start_stack
from crm_tasks.settings import TasksSettings
from deploy.demo_large import Sizes, load, marked_name

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "screens"
CHROMIUM = "/usr/bin/chromium"
SERVICES = ["partners", "opportunities", "tasks", "commercial", "campaigns", "notifier", "mail-ingest"]
SIZES = Sizes(partners=300, tasks=600, documents=60)
PAGES = {
    "home": "/",
    "partners": "/partners",
    "partner": "/partners/{partner}",
    "opportunities": "/opportunities",
    "pipeline": "/pipeline",
    "tasks": "/tasks",
    "task-new": "/tasks/new",
    "documents": "/documents?partner_id={partner}",
    "invoice-new": "/documents/invoices/new?partner_id={partner}",
    "campaigns": "/campaigns",
    "emails": "/emails",
    "mail-imports": "/mail-imports",
}


async def _shoot(base_url: str, partner: str) -> list[Path]:
    from playwright.async_api import async_playwright

    made: list[Path] = []
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(headless=True, executable_path=CHROMIUM, args=["--no-sandbox"])
        context = await chromium.new_context(
            viewport={"width": 1280, "height": 800}, locale="ro-RO", timezone_id="Europe/Bucharest"
        )
        page = await context.new_page()
        await page.goto(f"{base_url}/login")
        await page.fill("input[name=username]", "admin")
        await page.fill("input[name=password]", ADMIN_PASSWORD)
        await page.click("form[action='/login'] button[type=submit]")
        await page.wait_for_load_state()
        for language in ("ro", "en"):
            await page.goto(f"{base_url}/lang/{language}?next=/")
            for name, path in PAGES.items():
                await page.goto(base_url + path.format(partner=partner))
                await page.wait_for_load_state("networkidle")
                target = SHOTS / f"{name}-{language}.png"
                await page.screenshot(path=str(target))
                made.append(target)
        await chromium.close()
    return made


async def take() -> list[Path]:
    """Start a stack, fill it, take every screenshot; the files written."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crm-screens-") as tmp:
        folder = Path(tmp)
        prefix = f"screens{uuid.uuid4().hex[:8]}"
        bootstrap = os.environ.get("CRM_KAFKA_BOOTSTRAP", "127.0.0.1:9092")

        def service_env(service: str, **overrides: Any) -> dict[str, Any]:
            return {
                "kafka_bootstrap": bootstrap,
                "topic_prefix": prefix,
                "topic_partitions": 1,
                "blob_dir": folder / "blobs",
                "database_url": f"sqlite+aiosqlite:///{folder / (service + '.db')}",
                "relay_poll_seconds": 0.2,
                **overrides,
            }

        async with start_stack(service_env, SERVICES) as stack:
            await load(
                stack.base_url,
                ADMIN_PASSWORD,
                SIZES,
                tasks_settings=TasksSettings(**service_env("tasks", port=stack.ports["tasks"])),
                commercial_settings=CommercialSettings(**service_env("commercial", port=stack.ports["commercial"])),
                say=lambda line: None,
            )
            found = await stack.client.get("/api/partners/search", params={"q": marked_name(SIZES.partners)})
            partner = str(found.json()["items"][0]["id"])
            opened = await stack.client.post(
                "/api/opportunities", json={"partner_id": partner, "title": "Extindere depozit", "potential": "1250.50"}
            )
            opened.raise_for_status()
            return await _shoot(stack.base_url, partner)


def main() -> None:
    """Take the screenshots and list them."""
    for path in asyncio.run(take()):
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()

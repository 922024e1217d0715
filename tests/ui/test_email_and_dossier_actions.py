"""E1 and D1 in a real browser, in both languages: an invoice is emailed from its page and filed in a dossier.

Screenshots go to ``CRM_UI_SHOTS`` (a folder) when it is set.
"""

from __future__ import annotations

from email.header import decode_header, make_header
from typing import Any

from crm_kit.smtp_sink import SmtpSink
from crm_kit.testing import created, eventually, shoot
from crm_kit.testing.stack import start_stack

LANGUAGES = {"ro": ("Factură", "Pune la dosar", "arhiva ro"), "en": ("Invoice", "File in dossier", "arhiva en")}


async def test_an_invoice_is_emailed_with_its_pdf_and_filed_in_a_dossier_from_its_page_in_both_languages(
    service_env, smtp_sink: SmtpSink, page
) -> None:
    async with start_stack(
        service_env,
        ["partners", "commercial", "notifier"],
        overrides={"notifier": {"smtp_port": smtp_sink.port, "send_backoff_seconds": 0.2}},
    ) as stack:
        api = stack.client
        partner = await created(
            api,
            "/api/partners",
            {
                "kind": "client",
                "name": "Alfa Construcții SRL",
                "sites": [{"name": "Sediu", "emails": ["office@alfa.ro"]}],
            },
        )
        await created(
            api,
            "/api/articles",
            {"code": "LIC", "name": "Licență", "unit": "buc", "price": "100.00", "vat_rate": "21", "photos": []},
        )
        dossiers = {
            lang: await created(
                api, "/api/dossiers", {"name": f"Arhivă {lang.upper()} 2026", "partner_id": partner["id"]}
            )
            for lang in LANGUAGES
        }
        await stack.login(page)
        for lang, (kind, file_action, query) in LANGUAGES.items():
            invoice = await created(
                api, "/api/invoices", {"partner_id": partner["id"], "lines": [{"article_code": "LIC", "qty": "2"}]}
            )

            async def printed(invoice_id: str = invoice["id"]) -> bool:
                return bool((await api.get(f"/api/documents/{invoice_id}")).json().get("printout_sha256"))

            await eventually(printed, timeout=60)
            await page.goto(f"{stack.base_url}/lang/{lang}?next=/documents/{invoice['id']}")
            await page.wait_for_url(f"**/documents/{invoice['id']}")
            context = await page.locator("#crm-context").text_content()
            assert invoice["id"] in (context or "") and partner["id"] in (context or "")  # F2 carries the invoice
            await shoot(page, f"invoice-{lang}")

            # E1: the form opens filled in: the partner's address, the subject naming the invoice, its PDF
            await page.click("#email-document")
            await page.wait_for_url("**/emails/new?document_id=*")
            assert await page.input_value("input[name=subject]") == f"{kind} {invoice['number']}"
            assert await page.is_checked("input[name=to_partner]")
            assert await page.is_checked("input[name=attach_printout]")
            assert "office@alfa.ro" in await page.locator("#email-form").inner_text()
            await shoot(page, f"email-form-{lang}")
            await page.click("#email-form button[type=submit]")
            await page.wait_for_url("**/emails?email_id=*")

            def delivered(number: str = invoice["number"]) -> list[Any]:
                return [m for m in smtp_sink.messages() if number in str(make_header(decode_header(m["Subject"])))]

            async def arrived() -> list[Any]:
                return delivered()

            (mail,) = await eventually(arrived, timeout=60)
            assert "office@alfa.ro" in str(mail["To"])
            pdfs = [p for p in mail.walk() if p.get_content_type() == "application/pdf"]
            assert [p.get_filename() for p in pdfs] == [f"{invoice['number']}.pdf".replace("/", "-")]
            assert pdfs[0].get_payload(decode=True).startswith(b"%PDF")

            async def logged() -> list[str | None]:
                await page.reload()
                rows = page.locator("#email-log tbody tr")
                return [await rows.nth(i).get_attribute("data-status") for i in range(await rows.count())]

            assert (await eventually(logged, timeout=30, interval=0.5))[0] in ("handed_over", "sent")
            link = page.locator("#email-log a.email-document")
            assert await link.get_attribute("href") == f"/documents/{invoice['id']}"
            await shoot(page, f"email-log-{lang}")

            # D1: the invoice's printout goes into a dossier chosen by typing part of its name
            await page.goto(f"{stack.base_url}/documents/{invoice['id']}")
            await page.click(f"#file-document summary:text-is('{file_action}')")
            await page.fill("#file-document-dossier", query)
            option = page.locator("#file-document-dossier-list li[role=option]")
            await option.first.wait_for()
            assert await option.count() == 1 and "Alfa Construcții SRL" in await option.first.inner_text()
            await option.first.click()
            await shoot(page, f"file-in-dossier-{lang}")
            await page.click("#file-document button[type=submit]")
            await page.wait_for_url(f"**/dossiers/{dossiers[lang]['id']}?filed=1")
            rows = await page.locator("#documents tbody tr").all_inner_texts()
            assert len(rows) == 1 and f"{invoice['number']}.pdf" in rows[0]
            assert kind in rows[0]  # the source named, not a code, and linked back to the invoice
            assert await page.locator(f"#documents a[href='/documents/{invoice['id']}']").count() == 1
            await shoot(page, f"dossier-{lang}")
        filed = (await api.get(f"/api/dossiers/{dossiers['en']['id']}")).json()["items"]
        assert [(d["source_type"], d["source_id"]) for d in filed] == [("invoice", invoice["id"])]

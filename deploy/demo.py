"""Demo data loaded once by ``make up`` through the public API (as a user would enter it).

It uses only the paths and fields of API.md; a step a service refuses is reported and skipped,
so a partly built system still comes up. The directory itself says whether to load: a system without a partner
gets the demo, one with partners (the demo's, or a company's own) never does. A marker file said it before, and
stayed behind when the databases were made anew.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

NOT_YET_PATIENCE = 60.0
"""Seconds a step refused for a record another service has not heard of yet is tried again."""

NOT_YET_CODES = frozenset(
    {"partner.unknown", "campaign.partners_unknown", "partner.staff_unknown", "article.unknown", "record.not_found"}
)
"""Refusal codes that mean "not in this service's read model yet" for a record the demo has just created."""


def _not_known_yet(response: httpx.Response) -> bool:
    """Whether a refusal names a record the owning service has not heard of yet (it will, from its events)."""
    if response.status_code not in (404, 409, 422):
        return False
    try:
        extra = response.json().get("extra") or {}
    except ValueError:
        return False
    return isinstance(extra, dict) and extra.get("code") in NOT_YET_CODES


class Demo:
    def __init__(self, base: str, password: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)
        token = self.client.post("/api/auth/token", json={"username": "admin", "password": password})
        token.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def has_partners(self) -> bool:
        """Whether the directory holds any partner (the demo's, or a company's own)."""
        response = self.client.get("/api/partners", params={"limit": 1})
        return response.status_code == 200 and bool(response.json().get("total"))

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        deadline = time.monotonic() + NOT_YET_PATIENCE
        response = self.client.post(path, json=body)
        while _not_known_yet(response) and time.monotonic() < deadline:
            time.sleep(0.5)  # the owning service's read model fills from events: wait for it, then post again
            response = self.client.post(path, json=body)
        if response.status_code >= 400:
            print(f"  demo: {path} answered {response.status_code}: {response.text[:200]}", flush=True)
            return None
        return response.json() if response.content else {}


def load(base: str, password: str) -> None:
    """Create staff, users, partners, articles, a campaign, opportunities and tasks."""
    demo = Demo(base, password)
    if demo.has_partners():
        return
    print("loading demo data ...", flush=True)
    ana = demo.post(
        "/api/staff",
        {
            "name": "Ana Popescu",
            "email": "ana.popescu@example.ro",
            "user_login": "ana",
            "hours_per_day": "8",
            "categories": ["vânzări"],
            "team": "București",
        },
    )
    mihai = demo.post(
        "/api/staff",
        {
            "name": "Mihai Ionescu",
            "email": "mihai.ionescu@example.ro",
            "user_login": "mihai",
            "hours_per_day": "6",
            "categories": ["service"],
            "team": "București",
        },
    )
    ion = demo.post(
        "/api/staff",
        {"name": "Ion Țurcanu", "email": "ion.turcanu@example.ro", "hours_per_day": "8", "categories": ["service"]},
    )
    if ana:
        demo.post("/api/users", {"username": "ana", "password": "ana12345", "role": "manager", "staff_id": ana["id"]})
    if mihai:
        demo.post("/api/users", {"username": "mihai", "password": "mihai123", "role": "agent", "staff_id": mihai["id"]})
    time.sleep(1)  # let the staff events reach the read models
    client = demo.post(
        "/api/partners",
        {
            "kind": "client",
            "name": "Alfa Construcții SRL",
            "fiscal_code": "RO18547290",
            "locality": "Cluj-Napoca",
            "county": "Cluj",
            "turnover": "2500000.00",
            "employees": 42,
            "activity_domain": "construcții",
            "sites": [{"name": "Sediu central", "emails": ["office@alfa-constructii.ro"]}],
            "contacts": [
                {
                    "name": "Dana Mureșan",
                    "role": "achiziții",
                    "email": "dana@alfa-constructii.ro",
                    "phone": "0740000001",
                }
            ],
            "sales_rep_staff_id": ana["id"] if ana else None,
            "service_rep_staff_id": mihai["id"] if mihai else None,
        },
    )
    lead = demo.post(
        "/api/partners",
        {
            "kind": "lead",
            "name": "Beta Logistic SA",
            "locality": "Iași",
            "county": "Iași",
            "turnover": "900000.00",
            "employees": 15,
            "activity_domain": "transport",
            "sites": [{"name": "Depozit", "emails": ["contact@betalogistic.ro"]}],
            "competitors": ["Gamma Soft"],
            "interests": ["ERP", "CRM"],
            "service_responsible": "Radu Stan",
            "sales_rep_staff_id": ana["id"] if ana else None,
        },
    )
    for code, name, price in (
        ("SRV-ORA", "Oră service tehnic", "150.00"),
        ("LIC-ERP", "Licență ERP lunară", "450.00"),
        ("IMPL", "Implementare", "3000.00"),
    ):
        demo.post(
            "/api/articles", {"code": code, "name": name, "unit": "buc", "price": price, "vat_rate": "21", "photos": []}
        )
    demo.post(
        "/api/services",
        {"code": "SERVICE", "name": "Intervenție service", "hourly_rate": "150.00", "article_code": "SRV-ORA"},
    )
    today = datetime.now(UTC).date()
    campaign = demo.post(
        "/api/campaigns",
        {
            "name": "Campanie ERP toamnă",
            "starts_on": today.replace(day=1).isoformat(),
            "ends_on": (today + timedelta(days=90)).isoformat(),
            "objective": "clienți noi ERP",
            "segment": "construcții și transport",
            "estimated_cost": "20000.00",
            "estimated_revenue": "120000.00",
            "return_months": 12,
        },
    )
    if client:
        demo.post(
            "/api/opportunities",
            {
                "partner_id": client["id"],
                "title": "Extindere licențe ERP",
                "potential": "54000.00",
                "probability": 40,
                "expected_signing_on": (today + timedelta(days=45)).isoformat(),
                "owner_staff_id": ana["id"] if ana else None,
                "campaign_id": campaign["id"] if campaign else None,
            },
        )
        if mihai:
            demo.post(
                "/api/tasks",
                {
                    "title": "Verificare server client",
                    "description": "Clientul raportează lentoare.",
                    "responsible_staff_id": mihai["id"],
                    "partner_id": client["id"],
                    "deadline": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                    "billable": True,
                    "service_code": "SERVICE",
                    "planned_start": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                    "planned_hours": "2",
                    "alert": {"channel": "message", "days_before": 1},
                },
            )
    if lead and campaign:
        demo.post(f"/api/campaigns/{campaign['id']}/members", {"partner_ids": [lead["id"]]})
    if ion:
        pass  # Ion is staff without a login: follow-ups delegated to him arrive by email (O7).
    print("demo data loaded", flush=True)

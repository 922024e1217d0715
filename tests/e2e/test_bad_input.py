"""Odd input through the gateway to every service: a clear 400 that stores nothing, never a 5xx."""

from __future__ import annotations

import re
import uuid
from typing import Any

from crm_kit.ports import SERVICE_PORTS
from crm_kit.testing.stack import start_stack

ALL_SERVICES = sorted(SERVICE_PORTS)


def list_routes(document: dict[str, Any]) -> list[str]:
    """Every GET path of the merged OpenAPI that pages with ``offset``, path parameters filled with a UUID."""
    found = []
    for path, item in document["paths"].items():
        params = item.get("get", {}).get("parameters", [])
        if any(p["name"] == "offset" and p["in"] == "query" for p in params):
            found.append(re.sub(r"\{[^}]+\}", str(uuid.UUID(int=1)), path))
    return sorted(found)


async def test_an_offset_beyond_the_bound_is_a_400_naming_it_on_every_list_route_of_every_service(
    service_env,
) -> None:
    async with start_stack(service_env, ALL_SERVICES, parts={"serve"}) as stack:
        document = (await stack.client.get("/api/schema")).json()
        routes = list_routes(document)
        # Every service that lists something is in the table (a service missing from the schema would hide here).
        assert len(routes) >= 20, routes
        wrong = {}
        for path in routes:
            for offset in ("99999999999999999999", "9223372036854775808", "-1"):
                response = await stack.client.get(path, params={"offset": offset})
                if response.status_code != 400 or "offset" not in response.text:
                    wrong[f"{path}?offset={offset}"] = f"{response.status_code} {response.text[:200]}"
            in_range = await stack.client.get(path, params={"offset": "1000000000"})
            if in_range.status_code >= 500:
                wrong[f"{path}?offset=1000000000"] = f"{in_range.status_code} {in_range.text[:200]}"
        assert not wrong, wrong


async def test_a_json_body_nested_too_deep_is_a_400_at_the_gateway_and_at_the_service_and_nothing_is_stored(
    service_env,
) -> None:
    async with start_stack(service_env, ["partners"], parts={"serve"}) as stack:
        deep: Any = "x"
        for _ in range(100):
            deep = [deep]
        body = {"kind": "client", "name": "Adânc SRL", "sites": [], "contacts": [], "interests": deep}
        through_gateway = await stack.client.post("/api/partners", json=body)
        assert through_gateway.status_code == 400, through_gateway.text
        assert "64 levels" in through_gateway.json()["detail"]

        # The service's own edge refuses it too (the kit's HTTP edge, not only the gateway's).
        direct = await stack.client.post(
            f"http://127.0.0.1:{stack.ports['partners']}/api/partners",
            content=b"[" * 100_000 + b"]" * 100_000,
            headers={"content-type": "application/json"},
        )
        assert direct.status_code == 400, direct.text

        listed = await stack.client.get("/api/partners")
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == 0

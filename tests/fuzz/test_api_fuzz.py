"""Schemathesis over the whole OpenAPI, as admin and without a token: no 5xx, no undocumented status, bodies in schema.

Run by ``make fuzz`` (``CRM_FUZZ=1``), not by ``make test``. The whole system (gateway and every service, their
HTTP loops only) runs in the test's event loop; schemathesis sends its requests from a worker thread.
Bounded by ``CRM_FUZZ_EXAMPLES`` (per operation and generation mode, default 20; a third of it without a token)
and reproducible by ``CRM_FUZZ_SEED`` (default 1).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from crm_kit.ports import SERVICE_PORTS
from crm_kit.testing.stack import start_stack

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.skipif(not os.environ.get("CRM_FUZZ"), reason="the fuzz run is `make fuzz` (CRM_FUZZ=1)"),
]

EXAMPLES = int(os.environ.get("CRM_FUZZ_EXAMPLES", "20"))
SEED = int(os.environ.get("CRM_FUZZ_SEED", "1"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass
class Report:
    """What one run sent and what broke (each distinct failure once, with one example)."""

    label: str
    requests: int = 0
    operations: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        by_class = Counter(f"{code // 100}xx" for code in self.statuses.elements())
        lines = [
            f"fuzz {self.label}: {self.requests} requests over {self.operations} operations, "
            f"answers {dict(sorted(by_class.items()))}, {len(self.failures)} distinct failures"
        ]
        lines += [f"  FAIL {op}: {title}\n    {example}" for (op, title), example in self.failures.items()]
        lines += [f"  skipped {s}" for s in self.skipped]
        return "\n".join(lines)


def without_streams(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The document without Server-Sent Events operations (one request holds the connection for minutes)."""
    paths: dict[str, Any] = {}
    dropped = []
    for path, item in document["paths"].items():
        kept = {}
        for method, operation in item.items():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            if any("text/event-stream" in r.get("content", {}) for r in responses.values()):
                dropped.append(f"{method.upper()} {path}")
            else:
                kept[method] = operation
        if kept:
            paths[path] = kept
    return {**document, "paths": paths}, dropped


def fuzz(document: dict[str, Any], base_url: str, token: str | None, examples: int) -> Report:
    """Send generated requests (valid and invalid) to every operation; check status and response schema."""
    report = Report("as admin" if token else "without a token")
    schema = schemathesis.openapi.from_dict(document)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    session = requests.Session()
    for result in schema.get_all_operations():
        try:
            operation = result.ok()
        except Exception as exc:
            report.skipped.append(f"an operation schemathesis cannot read: {exc}")
            continue
        report.operations += 1
        for mode in MODES:

            @seed(SEED)
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case: schemathesis.Case) -> None:
                label = case.operation.label
                response = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
                report.requests += 1
                report.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (Failure, FailureGroup) as exc:
                    failures = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
                    for failure in failures:
                        key = (label, failure.title)
                        example = f"{response.status_code} {case.as_curl_command(headers)[:300]}"
                        report.failures.setdefault(key, f"{example}\n    {str(failure)[:400]}")

            try:
                send()
            except HypothesisException as exc:  # e.g. a schema no value satisfies: reported, not fatal
                report.skipped.append(f"{operation.label} ({mode}): {type(exc).__name__}")
    session.close()
    return report


@pytest.mark.timeout(1800)
async def test_no_request_to_the_api_is_a_server_error_or_breaks_its_own_schema(
    service_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    services = sorted(SERVICE_PORTS.keys() - {"gateway"})
    async with start_stack(service_env, services, parts={"serve"}) as stack:
        answer = await stack.client.get("/api/schema")
        assert answer.status_code == 200, answer.text
        document = answer.json()
        assert all(v == "reachable" for v in document["x-crm-services"].values()), document["x-crm-services"]
        document, streams = without_streams(document)
        started = time.monotonic()
        reports = [
            await asyncio.to_thread(fuzz, document, stack.base_url, stack.admin_token, EXAMPLES),
            await asyncio.to_thread(fuzz, document, stack.base_url, None, max(1, EXAMPLES // 3)),
        ]
        elapsed = time.monotonic() - started
    with capsys.disabled():  # the summary on the terminal whether the run passes or not
        print()
        for report in reports:
            print(report.summary())
        print(f"not fuzzed (Server-Sent Events): {', '.join(streams) or 'none'}")
        total = sum(r.requests for r in reports)
        print(f"fuzz: {total} requests in {elapsed:.0f}s (seed {SEED}, examples {EXAMPLES})")
    assert not any(r.failures for r in reports), "\n".join(r.summary() for r in reports)

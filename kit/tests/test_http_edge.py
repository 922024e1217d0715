"""The HTTP edge every app shares: the JSON depth guard and the logged catch-all for unexpected exceptions."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar import Litestar, get, post
from litestar.testing import AsyncTestClient

from crm_kit.http import EDGE_EXCEPTION_HANDLERS, EDGE_MIDDLEWARE
from crm_kit.json_depth import MAX_DEPTH, json_depth

received: list[Any] = []


@post("/echo", status_code=200)
async def echo(data: Any) -> dict[str, int]:
    received.append(data)
    return {"depth": json_depth(repr(data).replace("'", '"').encode())}


@get("/boom")
async def boom() -> None:
    raise RuntimeError("a bug")


def edge_app() -> Litestar:
    # logging_config=None: Litestar would otherwise replace the root handlers (and caplog's) at startup.
    return Litestar(
        [echo, boom],
        middleware=EDGE_MIDDLEWARE,
        exception_handlers=dict(EDGE_EXCEPTION_HANDLERS),
        logging_config=None,
    )


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b'"just a string"', 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": "[[[["}]}', 3),
        (b'["\\"[[[", [[]]]', 3),
        (b'["\\\\", [["]"]]]', 3),
        (b'["unclosed [[[[', 1),
    ],
)
def test_json_depth_counts_brackets_outside_strings_only(text: bytes, depth: int) -> None:
    assert json_depth(text) == depth


async def test_a_body_at_the_bound_is_decoded_and_one_level_deeper_is_a_400_that_never_reaches_the_handler() -> None:
    received.clear()
    async with AsyncTestClient(app=edge_app()) as client:
        at_bound = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
        assert (await client.post("/echo", content=at_bound, headers={"content-type": "application/json"})).json() == {
            "depth": MAX_DEPTH
        }
        deeper = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
        refused = await client.post("/echo", content=deeper, headers={"content-type": "application/json"})
        assert refused.status_code == 400
        assert refused.json() == {
            "status_code": 400,
            "detail": f"the JSON body nests deeper than {MAX_DEPTH} levels",
            "extra": {},
        }
    assert len(received) == 1


async def test_an_unexpected_exception_is_logged_with_its_traceback_and_answered_with_a_problem_body(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with AsyncTestClient(app=edge_app()) as client:
        with caplog.at_level(logging.ERROR, logger="crm_kit.http"):
            response = await client.get("/boom")
    assert response.status_code == 500
    body = response.json()
    reference = body["extra"]["reference"]
    assert body["detail"] == f"internal error (reference {reference})"
    assert "a bug" not in response.text  # the cause stays in the log
    [record] = [r for r in caplog.records if r.name == "crm_kit.http"]
    assert reference in record.getMessage()
    assert record.exc_info is not None
    assert "RuntimeError" in record.getMessage()

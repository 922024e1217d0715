"""The error answers of a running stack are the ones contracts/openapi.json documents, in its Problem body."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import jsonschema

from crm_gateway import contract
from crm_kit.testing.stack import start_stack

DOC: dict[str, Any] = json.loads(contract.OUTPUT.read_text())
PROBLEM = jsonschema.Draft202012Validator(DOC["components"]["schemas"]["Problem"])


def assert_documented(method: str, path: str, response: httpx.Response, status: int) -> None:
    """The answer has ``status``, the operation documents it, and its body is a Problem."""
    assert response.status_code == status, response.text
    assert str(status) in DOC["paths"][path][method]["responses"], f"{method.upper()} {path} lacks {status}"
    PROBLEM.validate(response.json())


async def test_the_errors_a_running_stack_answers_are_documented_with_their_problem_body(service_env: Any) -> None:
    async with start_stack(service_env, ["partners"]) as stack:
        api = stack.client
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=30.0) as anonymous:
            assert_documented("get", "/api/partners", await anonymous.get("/api/partners"), 401)
            wrong = await anonymous.post("/api/auth/token", json={"username": "admin", "password": "wrong-password"})
            assert_documented("post", "/api/auth/token", wrong, 401)
        assert_documented("post", "/api/partners", await api.post("/api/partners", json={"kind": "client"}), 400)
        missing = await api.get(f"/api/partners/{uuid.uuid4()}")
        assert_documented("get", "/api/partners/{partner_id}", missing, 404)
        agent = await stack.user_client("ana", role="agent")
        assert_documented("post", "/api/users", await agent.post("/api/users", json={}), 403)
        # The tasks service is not started: the gateway answers for it.
        assert_documented("get", "/api/tasks", await api.get("/api/tasks"), 503)

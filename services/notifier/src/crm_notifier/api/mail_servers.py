"""C1: mail servers (admin), a user's own credentials, and the connection test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from crm_kit.errors import Invalid, NotFound
from crm_kit.identity import Identity, requires_role
from crm_kit.ids import new_id
from crm_notifier import smtp
from crm_notifier.api.context import ApiContext
from crm_notifier.api.schemas import CredentialsIn, MailServerIn, MailServerPatch, TestIn
from crm_notifier.delivering import server_config
from crm_notifier.domain.headers import check_address, check_header
from crm_notifier.store import repository as repo


def view(row: dict[str, Any]) -> dict[str, Any]:
    """A mail server as the API shows it: never the password."""
    return {
        "id": row["id"],
        "name": row["name"],
        "host": row["host"],
        "port": row["port"],
        "tls_mode": row["tls_mode"],
        "sender": row["sender"],
        "username": row["username"],
        "has_password": bool(row["password_enc"]),
        "is_default": row["is_default"],
        "rate_per_minute": row["rate_per_minute"],
        "created_at": row["created_at"],
    }


def _check(values: dict[str, Any]) -> None:
    for name in ("name", "host", "username"):
        if values.get(name):
            check_header(name, values[name])
    if values.get("sender"):
        values["sender"] = check_address(values["sender"])


class MailServerController(Controller):
    path = "/api/mail-servers"
    tags = ["mail servers (C1)"]

    @get("/")
    async def list_servers(self, api: NamedDependency[ApiContext]) -> dict[str, Any]:
        """Every configured mail server (passwords never shown)."""
        async with api.db.read() as conn:
            rows = await repo.mail_servers(conn)
        return {"items": [view(r) for r in rows], "total": len(rows)}

    @post("/", guards=[requires_role("admin")])
    async def create_server(self, api: NamedDependency[ApiContext], data: JSONBody[MailServerIn]) -> dict[str, Any]:
        """Add a mail server; the password is stored encrypted."""
        values = data.model_dump(exclude={"password"})
        _check(values)
        values.update(
            id=str(new_id()),
            password_enc=api.box.seal(data.password),
            created_at=datetime.now(UTC),
        )
        async with api.db.transaction() as conn:
            if not await repo.mail_servers(conn):
                values["is_default"] = True  # the first server is the default one
            await repo.insert_mail_server(conn, values)
            row = await repo.mail_server(conn, values["id"])
        assert row is not None
        return view(row)

    @get("/{server_id:str}")
    async def get_server(self, api: NamedDependency[ApiContext], server_id: FromPath[str]) -> dict[str, Any]:
        async with api.db.read() as conn:
            row = await repo.mail_server(conn, server_id)
        if row is None:
            raise NotFound(f"no mail server {server_id}")
        return view(row)

    @patch("/{server_id:str}", guards=[requires_role("admin")])
    async def update_server(
        self, api: NamedDependency[ApiContext], server_id: FromPath[str], data: JSONBody[MailServerPatch]
    ) -> dict[str, Any]:
        """Change a mail server; an omitted password keeps the stored one, an empty one removes it."""
        values = data.model_dump(exclude_unset=True, exclude={"password"})
        _check(values)
        if "password" in data.model_fields_set:
            values["password_enc"] = api.box.seal(data.password)
        if values.get("is_default") is False:
            raise Invalid("choose another server as the default instead", field="is_default")
        async with api.db.transaction() as conn:
            if await repo.mail_server(conn, server_id) is None:
                raise NotFound(f"no mail server {server_id}")
            if values:
                await repo.update_mail_server(conn, server_id, values)
            row = await repo.mail_server(conn, server_id)
        assert row is not None
        return view(row)

    @post("/{server_id:str}/test", status_code=HTTP_200_OK)
    async def test_server(
        self,
        api: NamedDependency[ApiContext],
        identity: NamedDependency[Identity],
        server_id: FromPath[str],
        data: JSONBody[TestIn | None] = None,
    ) -> dict[str, Any]:
        """Connect, encrypt, log in and try the sender; says in words what failed."""
        async with api.db.read() as conn:
            row = await repo.mail_server(conn, server_id)
            cred = await repo.credentials(conn, identity.username)
        if row is None:
            raise NotFound(f"no mail server {server_id}")
        if data is not None and data.use_my_credentials:
            if cred is None or cred["server_id"] != server_id:
                raise Invalid("you have no credentials of your own on this server", field="use_my_credentials")
        else:
            cred = None
        try:
            config = server_config(row, api.box, min(api.settings.smtp_timeout_seconds, 10.0), cred, identity.username)
        except ValueError as exc:
            return {"ok": False, "server": row["name"], "steps": [], "error": str(exc)}
        steps = await smtp.test_connection(config)
        failed = next((s for s in steps if not s["ok"]), None)
        return {
            "ok": failed is None,
            "server": row["name"],
            "steps": steps,
            "error": failed["detail"] if failed else None,
        }

    @put("/{server_id:str}/credentials")
    async def set_credentials(
        self,
        api: NamedDependency[ApiContext],
        identity: NamedDependency[Identity],
        server_id: FromPath[str],
        data: JSONBody[CredentialsIn],
    ) -> dict[str, Any]:
        """The caller's own login on this server; emails they send go through it."""
        check_header("username", data.username)
        sender = check_address(data.sender) if data.sender else None
        async with api.db.transaction() as conn:
            if await repo.mail_server(conn, server_id) is None:
                raise NotFound(f"no mail server {server_id}")
            existing = await repo.credentials(conn, identity.username)
            sealed = (
                api.box.seal(data.password)
                if data.password is not None
                else (existing["password_enc"] if existing and existing["server_id"] == server_id else None)
            )
            await repo.save_credentials(
                conn,
                {
                    "user_login": identity.username,
                    "server_id": server_id,
                    "username": data.username,
                    "password_enc": sealed,
                    "sender": sender,
                    "updated_at": datetime.now(UTC),
                },
            )
        return {"server_id": server_id, "username": data.username, "has_password": bool(sealed), "sender": sender}

    @get("/credentials/me")
    async def my_credentials(
        self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity]
    ) -> dict[str, Any]:
        """The caller's own credentials (without the password), or nulls."""
        async with api.db.read() as conn:
            cred = await repo.credentials(conn, identity.username)
        if cred is None:
            return {"server_id": None, "username": None, "has_password": False, "sender": None}
        return {
            "server_id": cred["server_id"],
            "username": cred["username"],
            "has_password": bool(cred["password_enc"]),
            "sender": cred["sender"],
        }

    @delete("/{server_id:str}/credentials", status_code=HTTP_204_NO_CONTENT)
    async def delete_credentials(
        self, api: NamedDependency[ApiContext], identity: NamedDependency[Identity], server_id: FromPath[str]
    ) -> None:
        async with api.db.transaction() as conn:
            await repo.delete_credentials(conn, identity.username)

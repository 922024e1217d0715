"""C1: mail servers and a user's own credentials: what may be stored, and which server sends an email (pure)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crm_kit.errors import Conflict, Invalid
from crm_notifier.domain.headers import check_address, check_header
from crm_notifier.domain.models import Row, ServerConfig

OpenPassword = Callable[[str | None], str | None]
"""Opens a sealed password (None when none is stored); raises ValueError when the key changed."""


def checked(values: dict[str, Any]) -> dict[str, Any]:
    """Server values safe in mail headers, the sender normalised.

    Raises:
        Invalid: a name, host or user name with a line break, or a sender that is not an address.
    """
    for name in ("name", "host", "username"):
        if values.get(name):
            check_header(name, values[name])
    if values.get("sender"):
        values["sender"] = check_address(values["sender"])
    return values


def new_server(values: Row, existing: list[Row]) -> Row:
    """A server to add: the first one is the default one."""
    return {**values, "is_default": True} if not existing else values


def check_change(values: Row) -> None:
    """A change may make a server the default, not take that away (another one is chosen instead).

    Raises:
        Invalid: ``is_default`` set to false.
    """
    if values.get("is_default") is False:
        raise Invalid(
            "choose another server as the default instead", field="is_default", code="mail_server.default_unset"
        )


def check_removal(server: Row, users: int) -> None:
    """A server may be removed unless it is the default one or someone's own credentials name it.

    Raises:
        Conflict: the default server (make another one the default first), or one in use.
    """
    if server.get("is_default"):
        raise Conflict(
            "the default mail server cannot be deleted: make another server the default first",
            code="mail_server.is_default",
        )
    if users:
        raise Conflict(
            f"the mail server is in use by {users} user(s) with their own credentials",
            code="mail_server.in_use",
            params={"users": users},
        )


def kept_password(existing: Row | None, server_id: str) -> str | None:
    """The sealed password kept when a user saves their credentials without one: the old one on the same server."""
    return existing["password_enc"] if existing and existing["server_id"] == server_id else None


def server_config(
    row: Row,
    open_password: OpenPassword,
    timeout: float,
    credentials: Row | None = None,
    login: str | None = None,
    *,
    anonymous: bool = False,
) -> ServerConfig:
    """A configured mail server, with a user's own credentials when given.

    ``anonymous``: without the stored user name and password (used when they cannot be decrypted).

    Raises:
        ValueError: a stored password the current key cannot open.
    """
    username = None if anonymous else row["username"]
    password = None if anonymous else open_password(row["password_enc"])
    sender = row["sender"]
    key = row["id"]
    if credentials is not None:
        username = credentials["username"]
        password = open_password(credentials["password_enc"])
        sender = credentials["sender"] or sender
        key = f"{row['id']}:{login}"
    return ServerConfig(
        key=key,
        name=row["name"],
        host=row["host"],
        port=row["port"],
        tls_mode=row["tls_mode"],
        sender=sender,
        username=username or None,
        password=password,
        rate_per_minute=row["rate_per_minute"] or 0,
        timeout=timeout,
    )


def sending_server(
    login: str | None,
    servers: list[Row],
    credentials: dict[str, Row],
    open_password: OpenPassword,
    timeout: float,
    fallback: ServerConfig,
) -> tuple[ServerConfig, bool]:
    """The server an email asked for by ``login`` goes through, and whether a stored password was unreadable.

    The user's own credentials on a configured server first, else the default server (else the first one),
    else the fallback from the settings. A password the key cannot open: the default server without login.
    """
    by_id = {s["id"]: s for s in servers}
    default = next((s for s in servers if s["is_default"]), servers[0] if servers else None)
    cred = credentials.get(login) if login else None
    try:
        if cred is not None and cred["server_id"] in by_id:
            return server_config(by_id[cred["server_id"]], open_password, timeout, cred, login), False
        if default is not None:
            return server_config(default, open_password, timeout), False
        return fallback, False
    except ValueError:
        if default is None:
            return fallback, True
        return server_config(default, open_password, timeout, anonymous=True), True

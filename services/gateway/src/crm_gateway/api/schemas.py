"""HTTP request and response bodies of the gateway's own API."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from crm_gateway.domain.users import User


@dataclass
class TokenRequest:
    """Credentials exchanged for an access token."""

    username: str
    password: str


@dataclass
class TokenResponse:
    """A bearer token for ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


@dataclass
class UserCreate:
    """A new user."""

    username: str
    password: str
    role: str
    staff_id: UUID | None = None
    language: str | None = None


@dataclass
class UserOut:
    """A user as the API shows it (never the password hash)."""

    id: str
    username: str
    role: str
    staff_id: str | None
    language: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(user.id, user.username, user.role, user.staff_id, user.language)


@dataclass
class UserPage:
    """One page of users."""

    items: list[UserOut]
    total: int


@dataclass
class BlobOut:
    """A stored blob's address and size."""

    sha256: str
    size: int


@dataclass
class PasswordChange:
    """The current password and the new one."""

    current_password: str
    new_password: str

"""Argon2 password hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# A hash to verify against when the user does not exist, so a wrong login and a wrong password take the same time.
_DUMMY = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An argon2id hash (with its own salt) of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether a password matches a stored hash (``None``: no such user, still costs one check)."""
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False

"""SMTP passwords at rest: encrypted with a Fernet key from the settings, never returned by the API."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


def new_key() -> str:
    """A fresh Fernet key (32 random bytes, urlsafe base64)."""
    return Fernet.generate_key().decode()


def is_key(key: str) -> bool:
    """Whether ``key`` is a valid Fernet key."""
    try:
        Fernet(key.encode())
    except ValueError:
        return False
    return True


class CredentialBox:
    """Encrypts and decrypts stored SMTP passwords with the notifier's own key (never one derived from another secret).

    A password sealed under another key (an earlier key, or the key the notifier once derived from the
    identity secret) cannot be opened: ``open`` says so, and the delivery worker then uses the server
    without login until an admin enters the password again.
    """

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, password: str | None) -> str | None:
        if not password:
            return None
        return self._fernet.encrypt(password.encode()).decode()

    def open(self, sealed: str | None) -> str | None:
        """The password, or None when none is stored.

        Raises:
            ValueError: the key changed since the password was stored.
        """
        if not sealed:
            return None
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ValueError("the stored password cannot be decrypted with the current key; enter it again") from None

"""SMTP passwords at rest: encrypted with a Fernet key from the settings, never returned by the API."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class CredentialBox:
    """Encrypts and decrypts stored SMTP passwords."""

    def __init__(self, key: str, fallback_secret: str) -> None:
        if key:
            self._fernet = Fernet(key.encode())
        else:
            # Development only: a key derived from the identity secret, so a fresh checkout works.
            digest = hashlib.sha256(f"crm-notifier-credentials:{fallback_secret}".encode()).digest()
            self._fernet = Fernet(base64.urlsafe_b64encode(digest))

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

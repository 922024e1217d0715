"""Email addresses: one normal form (trimmed, lower case), so matching is case-insensitive."""

from __future__ import annotations

import re

_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]{2,}$")


class InvalidEmail(ValueError):
    """Text that is not one email address."""


def normalise_email(raw: str) -> str:
    """The address in normal form: ``" <Ana.Pop@Firma.RO> "`` -> ``"ana.pop@firma.ro"``.

    Raises:
        InvalidEmail: not a single address (or it holds CR/LF or spaces).
    """
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    text = text.lower()
    if len(text) > 254 or not _ADDRESS.match(text) or ".." in text:
        raise InvalidEmail(f"{raw.strip()!r} is not an email address")
    return text


def split_emails(raw: str) -> list[str]:
    """Addresses written in one cell, separated by ``;``, ``,`` or spaces (not yet normalised)."""
    return [part for part in re.split(r"[;,\s]+", raw) if part]

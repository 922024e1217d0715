"""Address lists as clients write them: ``;`` or ``,`` separated, wrapped, quoted, with display names."""

from __future__ import annotations

import re
from email.utils import getaddresses

from crm_mail_ingest.domain.model import Address

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
"""An address; the domain may be a bare host name (``guest@localhost``), as RFC 5322 allows."""
_MAX_ADDRESSES = 1000


def _one(chunk: str) -> Address | None:
    chunk = chunk.strip().strip(",;").strip()
    if not chunk:
        return None
    bracket = re.search(r"<\s*([^<>\s]+@[^<>\s]+)\s*>", chunk)
    if bracket:
        name = (chunk[: bracket.start()] + chunk[bracket.end() :]).strip().strip("\"'").strip()
        return Address(bracket.group(1).lower(), name)
    bare = _EMAIL.search(chunk)
    if bare:
        rest = (chunk[: bare.start()] + chunk[bare.end() :]).strip().strip("()[]\"' ").strip()
        # Outlook writes "Name [mailto:x@y]" or "x@y (Name)" in some versions.
        rest = re.sub(r"\[?mailto:?\]?", "", rest, flags=re.IGNORECASE).strip(" []")
        return Address(bare.group(0).lower(), rest)
    return Address("", chunk.strip("\"'"))


def parse_addresses(value: str) -> list[Address]:
    """Split a header value into addresses; a name without an address is kept with an empty email."""
    value = " ".join(value.split())
    if not value:
        return []
    if ";" in value:
        parts = _split_outside_quotes(value, ";")
    elif value.count("@") > 1 and "," in value:
        parts = [f"{n} <{a}>" if n and a else (a or n) for n, a in getaddresses([value])]
    else:
        parts = [value]
    return [a for a in (_one(p) for p in parts[:_MAX_ADDRESSES]) if a is not None]


def _split_outside_quotes(value: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts

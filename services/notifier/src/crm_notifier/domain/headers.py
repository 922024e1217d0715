"""Header safety: values with CR or LF are refused (no header injection); addresses are checked."""

from __future__ import annotations

import re

from crm_kit.errors import Invalid

_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
MAX_SUBJECT = 998


def check_header(name: str, value: str) -> str:
    """Return ``value`` if it is safe in a mail header.

    Raises:
        Invalid: the value holds a line break or a control character.
    """
    if any(ch in value for ch in "\r\n\x00"):
        raise Invalid(f"{name} must not contain line breaks (header injection refused)", field=name)
    if len(value) > MAX_SUBJECT:
        raise Invalid(f"{name} is longer than {MAX_SUBJECT} characters", field=name)
    return value


def check_address(value: str) -> str:
    """A normalised email address (trimmed, lower case).

    Raises:
        Invalid: not one plain address, or it holds a line break.
    """
    check_header("address", value)
    address = value.strip().lower()
    if not _ADDRESS.match(address):
        raise Invalid(f"{value!r} is not an email address", field="address")
    return address

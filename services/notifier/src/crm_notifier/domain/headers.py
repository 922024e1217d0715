"""Header safety: values with any line break or control character are refused (no header injection)."""

from __future__ import annotations

import re

from crm_kit.errors import Invalid

_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+\.[^@\s<>,;:\"()\[\]\\]+$")
MAX_SUBJECT = 998

# Every character some policy of the ``email`` package (or a mail client) may treat as a line end:
# all of Unicode category Cc (U+0000-U+001F, U+007F-U+009F, so also VT, FF, U+001C-U+001E and NEL U+0085)
# plus the line and paragraph separators U+2028/U+2029 — together everything ``str.splitlines()`` splits on.
# compat32 split a subject on U+000B and pushed the text after it into the body.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def unsafe_character(value: str) -> str | None:
    """The first character of ``value`` that is a line break or a control character, or None."""
    found = _UNSAFE.search(value)
    return found.group() if found else None


def one_line(value: str) -> str:
    """``value`` with every line break and control character replaced by a space (for generated subjects)."""
    return _UNSAFE.sub(" ", value)


def check_header(name: str, value: str) -> str:
    """Return ``value`` if it is safe in a mail header.

    Raises:
        Invalid: the value holds a line break or a control character, or is too long.
    """
    bad = unsafe_character(value)
    if bad is not None:
        raise Invalid(
            f"{name} must not contain line breaks or control characters "
            f"(found U+{ord(bad):04X}; header injection refused)",
            field=name,
            code="email.header_unsafe",
            params={"name": name, "character": f"U+{ord(bad):04X}"},
        )
    if len(value) > MAX_SUBJECT:
        raise Invalid(
            f"{name} is longer than {MAX_SUBJECT} characters",
            field=name,
            code="record.too_long",
            params={"limit": MAX_SUBJECT},
        )
    return value


def check_address(value: str) -> str:
    """A normalised email address (trimmed, lower case).

    Raises:
        Invalid: not one plain address, or it holds a line break or a control character.
    """
    check_header("address", value)
    address = value.strip().lower()
    if not _ADDRESS.match(address):
        raise Invalid(
            f"{value!r} is not an email address",
            field="address",
            code="record.email_invalid",
            params={"email": value.strip()},
        )
    return address

"""Pages of a list: how many items one call may ask for, and from where."""

from __future__ import annotations

from crm_kit.errors import Invalid


def check_page(limit: int, offset: int, max_limit: int) -> None:
    """Check a page's bounds.

    Raises:
        Invalid: ``limit`` outside 1..``max_limit`` or a negative ``offset``.
    """
    if not 1 <= limit <= max_limit:
        raise Invalid(
            f"limit must be between 1 and {max_limit}", code="search.limit_range", params={"limit": max_limit}
        )
    if offset < 0:
        raise Invalid("offset cannot be negative", code="search.offset_negative")

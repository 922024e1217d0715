"""The one page shape of every list route: ``limit`` (1..MAX_LIMIT) and ``offset`` (0..MAX_OFFSET), both checked.

An unchecked ``offset`` reaches the database: above 2**63-1 SQLite overflows (a 500), and any huge value makes
PostgreSQL count rows for nothing. Both bounds are validated before the handler runs, so a bad value is a 400
naming the parameter and its range.

Usage in a handler (the default page size stays the route's own)::

    async def listing(self, limit: Limit = 50, offset: Offset = 0) -> Page: ...
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

MAX_LIMIT = 1000
"""The largest page a client may ask for."""

MAX_OFFSET = 1_000_000_000
"""Far beyond any real list, far below the 64-bit limit of the databases."""

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"Page size (1 to {MAX_LIMIT}).")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description=f"Rows to skip (0 to {MAX_OFFSET}).")]

__all__ = ["MAX_LIMIT", "MAX_OFFSET", "Limit", "Offset"]

"""The store: async engine (SQLite WAL or PostgreSQL), units of work, and the kit's own tables."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from crm_kit.errors import Conflict, NotFound

UTCDateTime = sa.DateTime(timezone=True)

READ_ONLY = "crm_read_only"
"""Execution option marking a connection that only reads (SQLite then begins deferred)."""


def kit_tables(metadata: sa.MetaData) -> None:
    """Add the outbox, inbox, lease and idempotency-key tables to a service's metadata."""
    sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(120), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("ce_type", sa.String(200), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.Index(
            "ix_outbox_unsent",
            "id",
            postgresql_where=sa.text("sent_at IS NULL"),
            sqlite_where=sa.text("sent_at IS NULL"),
        ),
    )
    sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(120), primary_key=True),
        sa.Column("ce_type", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("processed_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "leases",
        metadata,
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("user_id", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(2000), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(200), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("completed_at", UTCDateTime, nullable=True),
        sa.Index("ix_idempotency_keys_created_at", "created_at"),
    )


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL mode, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite would issue BEGIN itself, lazily; the "begin" hook below does it instead.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        # SQLite has one writer: BEGIN IMMEDIATE takes the write lock up front, so two
        # transactions never deadlock upgrading a read lock. Reads (Database.read) begin
        # deferred, so in WAL mode they never wait for, or hold up, a writer.
        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, **kwargs)


BeginHook = Callable[["Database", AsyncConnection], Awaitable[Callable[[], None] | None]]
"""Runs first in a unit of work; what it returns runs once that unit of work has committed."""

begin_hook: ContextVar[BeginHook | None] = ContextVar("crm_begin_hook", default=None)
"""The hook of the current request, if any: how an idempotency key joins the handler's own transaction."""


WRITER_WAIT_SECONDS = 30.0
"""How long a unit of work waits for this process's SQLite writer slot (as long as the busy timeout)."""


class Database:
    """One service's database: an engine plus after-commit hooks (the relay's wake-up).

    On SQLite the units of work of one process queue for the single writer slot in the event loop
    (an ``asyncio.Lock``), instead of in SQLite's busy handler, which sleeps in steps of up to
    100 ms whenever another connection of the same process holds the write lock. Other processes
    on the same file still meet the busy timeout.
    """

    def __init__(self, url: str, metadata: sa.MetaData) -> None:
        self.url = url
        self.metadata = metadata
        self.engine = create_engine(url)
        self._after_commit: list[Callable[[], None]] = []
        self._writer: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` after every unit of work that commits."""
        self._after_commit.append(hook)

    @asynccontextmanager
    async def transaction(self, *, hooks: bool = True) -> AsyncIterator[AsyncConnection]:
        """A unit of work: commits on success, rolls back on error, then runs after-commit hooks.

        ``hooks=False`` skips the hooks, for units of work that publish nothing (the relay's own
        bookkeeping), so the relay is not woken up by its own commits.

        A request's ``begin_hook`` (the Idempotency-Key of an HTTP write) writes its row first, so the
        key is stored in the same commit as the effect it guards.
        """
        begin = begin_hook.get()
        committed: Callable[[], None] | None = None
        async with self._writer_slot(), self.engine.begin() as conn:
            if begin is not None:
                committed = await begin(self, conn)
            yield conn
        if committed is not None:
            committed()
        if hooks:
            for hook in self._after_commit:
                hook()

    @asynccontextmanager
    async def _writer_slot(self) -> AsyncIterator[None]:
        if not self.is_sqlite:
            yield
            return
        loop = asyncio.get_running_loop()
        if self._writer is None or self._writer[0] is not loop:
            self._writer = (loop, asyncio.Lock())
        lock = self._writer[1]
        async with asyncio.timeout(WRITER_WAIT_SECONDS):
            await lock.acquire()
        try:
            yield
        finally:
            lock.release()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only connection (no after-commit hooks; on SQLite it takes no write lock)."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            yield conn

    async def create_all(self) -> None:
        """Create every table (tests and throwaway stores; services use migrations)."""
        async with self.transaction(hooks=False) as conn:
            await conn.run_sync(self.metadata.create_all)

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(conn: AsyncConnection) -> Any:
    """The dialect's INSERT construct (for ON CONFLICT DO NOTHING)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


LOCK_BUCKETS = 32
"""How many locks ``lock_keys`` may take per space: PostgreSQL's lock table holds about 64 per connection."""


async def lock_keys(conn: AsyncConnection, space: str, keys: Iterable[str]) -> None:
    """Hold a lock on each key of ``space`` until the transaction ends (PostgreSQL advisory locks).

    For the "park until it is known" pattern: the transaction that finds a row missing and parks work for
    it, and the one that stores the row and takes the parked work, both lock the key first, so one of
    them always sees the other's commit (under READ COMMITTED, without it, each can miss the other and
    the parked work waits for ever). Keys are hashed into ``LOCK_BUCKETS`` locks, so a batch of thousands
    takes at most that many (two keys of one bucket merely wait for each other); one statement takes them
    in order, so two transactions never deadlock on them. SQLite runs one writer at a time: nothing to do.
    """
    wanted = sorted(set(keys))
    if conn.dialect.name != "postgresql" or not wanted:
        return
    await conn.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock(hashtext(:space), b) FROM (SELECT DISTINCT hashtext(k) & :mask AS b"
            " FROM unnest(CAST(:keys AS text[])) AS k ORDER BY b) AS buckets"
        ),
        {"space": space, "keys": wanted, "mask": LOCK_BUCKETS - 1},
    )


async def transition(
    conn: AsyncConnection,
    table: sa.Table,
    key: Mapping[str, Any],
    *,
    expected: Mapping[str, Any],
    values: Mapping[str, Any],
    lost: Callable[[sa.Row[Any]], str | Conflict],
) -> None:
    """Move one row from the ``expected`` state to ``values``, or raise ``Conflict``: one winner per transition.

    The condition travels in the UPDATE itself (``WHERE <key> AND <expected>``), so on PostgreSQL's
    READ COMMITTED two transactions that both read the old state cannot both win: the second UPDATE
    waits for the first, re-checks the condition on the committed row and matches nothing. SQLite
    serializes writers, so the same statement is enough there.

    Args:
        conn: the unit of work.
        table: the table holding the row.
        key: column -> value naming the row (its primary key).
        expected: column -> the value the transition starts from; a tuple, list or set means "one of",
            ``None`` means NULL.
        values: the columns the transition writes.
        lost: builds the loser's message from the row as it is now (say what happened, when and by whom), or
            the whole ``Conflict`` when it carries a code the UI translates.

    Raises:
        NotFound: no row has this key.
        Conflict: the row is no longer in the expected state (another request won); the message is ``lost``'s.
    """
    where = [_matches(table.c[name], value) for name, value in key.items()]
    condition = [_matches(table.c[name], value) for name, value in expected.items()]
    result = await conn.execute(table.update().where(*where, *condition).values(**values))
    if result.rowcount == 1:
        return
    # READ COMMITTED: this statement sees what the winner committed, so the message tells what happened.
    current = (await conn.execute(sa.select(table).where(*where))).first()
    if current is None:
        raise NotFound(f"no {table.name} row {', '.join(str(v) for v in key.values())}", code="record.not_found")
    raise _lost(lost(current), {name: _plain(current._mapping[name]) for name in expected})


async def insert_once(
    conn: AsyncConnection,
    table: sa.Table,
    values: Mapping[str, Any],
    *,
    key: Mapping[str, Any],
    lost: Callable[[sa.Row[Any]], str | Conflict],
) -> None:
    """Insert the row an intent creates, or raise ``Conflict`` if a row with its ``key`` exists: one winner.

    The key must be the table's primary key or a unique constraint. ``ON CONFLICT DO NOTHING`` waits
    for a concurrent insert of the same key to commit, so the loser then reads the winner's row.

    Raises:
        Conflict: the row was created already (by a concurrent twin of this request); the message is ``lost``'s.
    """
    insert = dialect_insert(conn)(table).values(**values).on_conflict_do_nothing(index_elements=list(key))
    if (await conn.execute(insert.returning(*(table.c[name] for name in key)))).first() is not None:
        return
    where = [_matches(table.c[name], value) for name, value in key.items()]
    current = (await conn.execute(sa.select(table).where(*where))).one()
    raise _lost(lost(current), {name: _plain(value) for name, value in key.items()})


def _lost(told: str | Conflict, state: Mapping[str, object]) -> Conflict:
    """The loser's ``Conflict`` (``lost``'s text, or its own coded error), naming the state it met."""
    error = told if isinstance(told, Conflict) else Conflict(told)
    for name, value in state.items():
        error.extra.setdefault(name, value)
    return error


def _matches(column: sa.Column[Any], value: Any) -> sa.ColumnElement[bool]:
    if value is None:
        return column.is_(None)
    if isinstance(value, tuple | list | set | frozenset):
        present = [v for v in value if v is not None]
        if len(present) < len(value):  # NULL is never IN a list: "one of" with None says "or NULL"
            return sa.or_(column.is_(None), column.in_(present))
        return column.in_(present)
    # The column's own type binds the value (UUIDs on SQLite, timezone-aware datetimes).
    return cast(sa.ColumnElement[bool], column == value)


def _plain(value: Any) -> Any:
    """A JSON-friendly value for the 409 body's ``extra``."""
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)

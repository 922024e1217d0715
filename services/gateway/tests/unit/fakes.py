"""In-memory twins of the gateway's ports, for unit tests of its use cases (no database, no broker, no argon2)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from crm_gateway.domain.logins import AlreadyCounted, Failures, ThrottlePolicy
from crm_gateway.domain.users import User
from crm_gateway.ports import Publisher, Repository
from crm_gateway.service_layer import UseCases
from crm_kit.testing.fakes import FakeClock, FakeUnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SESSION_TTL = timedelta(hours=8)


@dataclass
class StoredSession:
    """A session row: whose, and until when."""

    user_id: str
    expires_at: datetime


class Races(set[str]):
    """Keys whose next first insert loses a race to another request; not part of the store, so a rollback keeps it."""

    def __deepcopy__(self, memo: dict[int, object]) -> Races:
        return self


@dataclass
class InMemoryRepository:
    """The ``Repository`` port in dicts; a failure record inserted twice raises like the store's unique key."""

    accounts: dict[str, User] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, StoredSession] = field(default_factory=dict)
    failure_records: dict[str, Failures] = field(default_factory=dict)
    race_on: Races = field(default_factory=Races)

    async def user(self, user_id: str) -> User | None:
        return self.accounts.get(user_id)

    async def user_by_username(self, username: str) -> tuple[User, str] | None:
        name = username.strip().lower()
        found = next((u for u in self.accounts.values() if u.username == name), None)
        return None if found is None else (found, self.hashes[found.id])

    async def users(self, limit: int, offset: int) -> tuple[list[User], int]:
        ordered = sorted(self.accounts.values(), key=lambda u: u.username)
        return ordered[offset : offset + limit], len(ordered)

    async def add_user(self, user: User, password_hash: str, now: datetime) -> None:
        self.accounts[user.id] = user
        self.hashes[user.id] = password_hash

    async def set_language(self, user_id: str, language: str) -> None:
        if user_id in self.accounts:
            self.accounts[user_id] = replace(self.accounts[user_id], language=language)

    async def password_hash(self, user_id: str) -> str | None:
        return self.hashes.get(user_id)

    async def set_password(self, user_id: str, password_hash: str) -> None:
        user = self.accounts[user_id]
        self.accounts[user_id] = replace(user, token_version=user.token_version + 1)
        self.hashes[user_id] = password_hash

    async def token_version(self, user_id: str) -> int | None:
        user = self.accounts.get(user_id)
        return None if user is None else user.token_version

    async def add_session(self, key: str, user_id: str, now: datetime, expires: datetime) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s.user_id != user_id or s.expires_at > now}
        self.sessions[key] = StoredSession(user_id, expires)

    async def session_user(self, key: str, now: datetime) -> User | None:
        found = self.sessions.get(key)
        return None if found is None or found.expires_at <= now else self.accounts.get(found.user_id)

    async def delete_session(self, key: str) -> None:
        self.sessions.pop(key, None)

    async def delete_sessions_of(self, user_id: str, now: datetime) -> None:
        self.sessions = {k: s for k, s in self.sessions.items() if s.user_id != user_id and s.expires_at > now}

    async def failures(self, keys: list[str]) -> list[Failures]:
        return [self.failure_records[k] for k in keys if k in self.failure_records]

    async def save_failures(self, record: Failures, existed: bool) -> None:
        if not existed and record.key in self.race_on:
            self.race_on.discard(record.key)
            raise AlreadyCounted(record.key)
        self.failure_records[record.key] = record

    async def forget_failures(self, key: str, stale_before: datetime, now: datetime) -> None:
        def stale(r: Failures) -> bool:
            return r.last_failure_at < stale_before and (r.locked_until is None or r.locked_until < now)

        self.failure_records = {k: r for k, r in self.failure_records.items() if k != key and not stale(r)}


@dataclass
class FakePublisher:
    """The ``Publisher`` port: the gateway publishes nothing, so this records nothing (and must stay empty)."""

    published: list[tuple[str, object]] = field(default_factory=list)


class PlainPasswords:
    """The ``PasswordHasher`` port without the cost: a readable, salted-looking "hash"."""

    def hash(self, password: str) -> str:
        return f"plain${password}"

    def verify(self, password_hash: str | None, password: str) -> bool:
        return password_hash is not None and password_hash == f"plain${password}"


class NamedTokens:
    """The ``AccessTokens`` port: a token that names the user and their token version."""

    def issue_access(self, user: User) -> str:
        return f"token:{user.id}:{user.token_version}"


POLICY = ThrottlePolicy(user_failures=3, address_failures=5, lock_seconds=30, max_lock_seconds=300, window_seconds=900)


@dataclass
class World:
    """Use cases on fakes, with the fakes at hand to arrange and to look at."""

    repo: InMemoryRepository
    publisher: FakePublisher
    clock: FakeClock
    uow: FakeUnitOfWork[Repository, Publisher]
    uses: UseCases


def world() -> World:
    """Empty fakes, a clock at ``T0``, and the use cases on them (3 failures lock a username, 5 an address)."""
    repo, publisher, clock = InMemoryRepository(), FakePublisher(), FakeClock(T0)
    # mypy checks the fakes against the ports here.
    uow = FakeUnitOfWork[Repository, Publisher](repo, publisher, clock)
    uses = UseCases(
        uow, passwords=PlainPasswords(), tokens=NamedTokens(), throttle=POLICY, session_ttl=SESSION_TTL, clock=clock
    )
    return World(repo, publisher, clock, uow, uses)

"""Every gateway use case on in-memory fakes: logging in (throttled), sessions, users and passwords."""

from __future__ import annotations

import pytest

from crm_gateway.domain.logins import AlreadyCounted
from crm_gateway.domain.users import User
from crm_gateway.service_layer import (
    BadCredentials,
    ChangePassword,
    CreateUser,
    EnsureAdmin,
    LogIn,
    LogOut,
    OpenSession,
    SetLanguage,
    Throttled,
)
from crm_kit.errors import Conflict, Invalid

from .fakes import SESSION_TTL, Races, World, world

STAFF = "0190a000-0000-7000-8000-00000000a001"


async def _ana(w: World, password: str = "pass1") -> User:
    return await w.uses.create_user(CreateUser("Ana", password, "agent", STAFF))


# --- users ---------------------------------------------------------------------------------------------------


async def test_a_created_user_is_stored_lowercased_with_a_hash_not_the_password() -> None:
    w = world()
    ana = await _ana(w)
    assert (ana.username, ana.role, ana.staff_id, ana.language) == ("ana", "agent", STAFF, "ro")
    assert w.repo.hashes[ana.id] == "plain$pass1"
    assert w.publisher.published == []  # the gateway publishes nothing


async def test_a_taken_username_is_refused_and_nothing_more_is_stored() -> None:
    w = world()
    await _ana(w)
    with pytest.raises(Conflict):
        await w.uses.create_user(CreateUser("ana ", "other1", "manager"))
    assert len(w.repo.accounts) == 1
    assert w.uow.rollbacks == 1


async def test_a_user_with_a_bad_role_or_short_password_is_refused_before_the_store() -> None:
    w = world()
    with pytest.raises(Invalid):
        await w.uses.create_user(CreateUser("ana", "pass1", "owner"))
    with pytest.raises(Invalid):
        await w.uses.create_user(CreateUser("ana", "p", "agent"))
    assert w.repo.accounts == {}


async def test_a_taken_username_and_a_short_password_carry_the_codes_the_ui_translates() -> None:
    w = world()
    await _ana(w)
    with pytest.raises(Conflict) as taken:
        await w.uses.create_user(CreateUser("ana ", "other1", "manager"))
    assert (taken.value.status_code, taken.value.code, taken.value.params) == (
        409,
        "user.username_taken",
        {"username": "ana"},
    )
    assert taken.value.extra["field"] == "username"
    with pytest.raises(Invalid) as short:
        await w.uses.create_user(CreateUser("ion", "p", "agent"))
    assert (short.value.status_code, short.value.code, short.value.params) == (
        422,
        "user.password_too_short",
        {"limit": 4},
    )
    assert len(w.repo.accounts) == 1


async def test_the_first_admin_is_created_once() -> None:
    w = world()
    assert await w.uses.ensure_admin(EnsureAdmin("admin-pass")) is True
    assert await w.uses.ensure_admin(EnsureAdmin("another")) is False
    (admin,) = w.repo.accounts.values()
    assert (admin.username, admin.role, w.repo.hashes[admin.id]) == ("admin", "admin", "plain$admin-pass")


async def test_users_are_listed_by_username_a_page_at_a_time_and_read_by_id() -> None:
    w = world()
    for name in ("maria", "ana", "ion"):
        await w.uses.create_user(CreateUser(name, "pass1", "agent"))
    page, total = await w.uses.users(2, 0)
    assert ([u.username for u in page], total) == (["ana", "ion"], 3)
    assert await w.uses.user(page[0].id) == page[0]
    assert await w.uses.user("nobody") is None


async def test_a_language_of_the_ui_is_remembered_and_another_is_refused() -> None:
    w = world()
    ana = await _ana(w)
    await w.uses.set_language(SetLanguage(ana.id, "en"))
    assert w.repo.accounts[ana.id].language == "en"
    with pytest.raises(Invalid):
        await w.uses.set_language(SetLanguage(ana.id, "fr"))
    assert w.repo.accounts[ana.id].language == "en"


# --- logging in ----------------------------------------------------------------------------------------------


async def test_good_credentials_authenticate_whatever_the_case_of_the_username() -> None:
    w = world()
    ana = await _ana(w)
    assert await w.uses.authenticate(LogIn(" ANA", "pass1", "10.0.0.1")) == ana


async def test_a_wrong_password_and_an_unknown_user_are_refused_alike_and_counted() -> None:
    w = world()
    await _ana(w)
    with pytest.raises(BadCredentials):
        await w.uses.authenticate(LogIn("ana", "wrong", "10.0.0.1"))
    with pytest.raises(BadCredentials):
        await w.uses.authenticate(LogIn("ghost", "pass1", "10.0.0.1"))
    counts = {k: r.failures for k, r in w.repo.failure_records.items()}
    assert counts == {"user:ana": 1, "user:ghost": 1, "addr:10.0.0.1": 2}


async def test_a_username_is_locked_after_too_many_failures_even_for_the_right_password() -> None:
    w = world()
    await _ana(w)
    for _ in range(3):
        with pytest.raises(BadCredentials):
            await w.uses.authenticate(LogIn("ana", "wrong", "10.0.0.1"))
    with pytest.raises(Throttled) as locked:
        await w.uses.authenticate(LogIn("ana", "pass1", "10.0.0.2"))
    assert locked.value.retry_after == 30
    assert w.repo.failure_records["user:ana"].failures == 3  # a refused attempt checks nothing and counts nothing


async def test_a_lock_ends_after_its_time_and_a_good_login_clears_the_usernames_count() -> None:
    w = world()
    await _ana(w)
    for _ in range(3):
        with pytest.raises(BadCredentials):
            await w.uses.authenticate(LogIn("ana", "wrong", "10.0.0.1"))
    w.clock.advance(seconds=31)
    await w.uses.authenticate(LogIn("ana", "pass1", "10.0.0.1"))
    assert "user:ana" not in w.repo.failure_records
    assert w.repo.failure_records["addr:10.0.0.1"].failures == 3  # one own account must not reset an address


async def test_a_failure_that_loses_the_race_to_insert_its_key_is_counted_again_on_top() -> None:
    w = world()
    w.repo.race_on.add("user:ana")
    with pytest.raises(BadCredentials):
        await w.uses.authenticate(LogIn("ana", "wrong", "10.0.0.1"))
    assert w.repo.failure_records["user:ana"].failures == 1
    assert w.uow.rollbacks == 1


async def test_a_failure_that_loses_the_race_twice_is_not_swallowed() -> None:
    w = world()

    class AlwaysRacing(Races):
        def discard(self, _: object) -> None:
            pass

    w.repo.race_on = AlwaysRacing({"user:ana"})
    with pytest.raises(AlreadyCounted):
        await w.uses.authenticate(LogIn("ana", "wrong", "10.0.0.1"))
    assert w.repo.failure_records == {}


async def test_a_token_is_issued_for_good_credentials_only() -> None:
    w = world()
    ana = await _ana(w)
    assert await w.uses.issue_token(LogIn("ana", "pass1")) == f"token:{ana.id}:0"
    with pytest.raises(BadCredentials):
        await w.uses.issue_token(LogIn("ana", "nope"))


# --- sessions ------------------------------------------------------------------------------------------------


async def test_a_login_opens_a_session_whose_cookie_names_the_user_and_ends_the_old_one() -> None:
    w = world()
    ana = await _ana(w)
    planted = await w.uses.open_session(OpenSession(ana))
    logged_in = await w.uses.log_in(LogIn("ana", "pass1", "10.0.0.1", replaces=planted))
    assert logged_in.user == ana
    assert await w.uses.session_user(logged_in.cookie) == ana
    assert await w.uses.session_user(planted) is None
    assert logged_in.cookie not in w.repo.sessions  # only the cookie's hash is stored


async def test_a_refused_login_opens_no_session() -> None:
    w = world()
    await _ana(w)
    with pytest.raises(BadCredentials):
        await w.uses.log_in(LogIn("ana", "wrong"))
    assert w.repo.sessions == {}


async def test_a_session_expires_after_its_time() -> None:
    w = world()
    cookie = await w.uses.open_session(OpenSession(await _ana(w)))
    w.clock.advance(seconds=SESSION_TTL.total_seconds() + 1)
    assert await w.uses.session_user(cookie) is None


async def test_logging_out_ends_the_session_and_a_nonsense_cookie_is_nobody() -> None:
    w = world()
    cookie = await w.uses.open_session(OpenSession(await _ana(w)))
    await w.uses.log_out(LogOut(cookie))
    assert await w.uses.session_user(cookie) is None
    await w.uses.log_out(LogOut("x" * 500))
    assert await w.uses.session_user("") is None


# --- passwords -----------------------------------------------------------------------------------------------


async def test_a_password_change_ends_every_session_and_older_token_and_returns_a_fresh_token() -> None:
    w = world()
    ana = await _ana(w)
    cookie = await w.uses.open_session(OpenSession(ana))
    changed = await w.uses.change_password(ChangePassword(ana.id, "pass1", "newpass", "10.0.0.1"))
    assert changed.user.token_version == 1
    assert changed.access_token == f"token:{ana.id}:1"
    assert await w.uses.session_user(cookie) is None
    assert await w.uses.token_current(ana.id, 0) is False
    assert await w.uses.token_current(ana.id, 1) is True
    assert await w.uses.authenticate(LogIn("ana", "newpass")) == changed.user


async def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failure() -> None:
    w = world()
    ana = await _ana(w)
    cookie = await w.uses.open_session(OpenSession(ana))
    with pytest.raises(BadCredentials):
        await w.uses.change_password(ChangePassword(ana.id, "wrong", "newpass", "10.0.0.1"))
    assert w.repo.hashes[ana.id] == "plain$pass1"
    assert await w.uses.session_user(cookie) == ana
    assert w.repo.failure_records["user:ana"].failures == 1


async def test_a_stolen_session_cannot_guess_the_current_password_past_the_lock() -> None:
    w = world()
    ana = await _ana(w)
    for _ in range(3):
        with pytest.raises(BadCredentials):
            await w.uses.change_password(ChangePassword(ana.id, "guess", "newpass", "10.0.0.1"))
    with pytest.raises(Throttled):
        await w.uses.change_password(ChangePassword(ana.id, "pass1", "newpass", "10.0.0.1"))
    assert w.repo.hashes[ana.id] == "plain$pass1"


async def test_a_too_short_new_password_is_refused_and_the_old_one_stays() -> None:
    w = world()
    ana = await _ana(w)
    with pytest.raises(Invalid):
        await w.uses.change_password(ChangePassword(ana.id, "pass1", "ab"))
    assert w.repo.hashes[ana.id] == "plain$pass1"
    assert w.repo.accounts[ana.id].token_version == 0


async def test_the_password_of_a_user_who_does_not_exist_cannot_be_changed() -> None:
    w = world()
    with pytest.raises(BadCredentials):
        await w.uses.change_password(ChangePassword("nobody", "pass1", "newpass"))
    assert await w.uses.token_current("nobody", 0) is False

from datetime import UTC, datetime, timedelta

import pytest

from crm_gateway.auth.passwords import Passwords
from crm_gateway.auth.tokens import ACCESS, SESSION, InvalidToken, TokenIssuer
from crm_gateway.domain.users import User, new_user
from crm_kit.errors import Invalid

PASSWORDS = Passwords(time_cost=1, memory_kib=8192)
hash_password = PASSWORDS.hash
verify_password = PASSWORDS.verify
SECRET = "a-test-secret-that-is-long-enough-32b"
ANA = User(id="u-1", username="ana", role="agent", staff_id="s-1", language="en")


def test_a_password_matches_its_hash_and_nothing_else() -> None:
    stored = hash_password("corect horse")
    assert stored.startswith("$argon2id$")
    assert "corect horse" not in stored
    assert verify_password(stored, "corect horse")
    assert not verify_password(stored, "Corect horse")
    assert not verify_password(stored, "")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("same") != hash_password("same")


def test_an_unknown_user_or_a_broken_hash_never_verifies() -> None:
    assert not verify_password(None, "not-a-real-password")
    assert not verify_password("not a hash", "x")


def test_a_token_names_the_user_it_was_issued_for() -> None:
    issuer = TokenIssuer(SECRET, timedelta(hours=8))
    assert issuer.verify(issuer.issue(ANA)) == ANA


def test_a_token_signed_with_another_secret_is_rejected() -> None:
    forged = TokenIssuer("an-attacker-secret-that-is-32-bytes-long", timedelta(hours=8)).issue(ANA)
    with pytest.raises(InvalidToken, match="not valid"):
        TokenIssuer(SECRET, timedelta(hours=8)).verify(forged)


def test_an_expired_token_is_rejected() -> None:
    issuer = TokenIssuer(SECRET, timedelta(hours=8))
    old = issuer.issue(ANA, now=datetime.now(UTC) - timedelta(hours=9))
    with pytest.raises(InvalidToken, match="expired"):
        issuer.verify(old)


def test_a_tampered_token_is_rejected() -> None:
    issuer = TokenIssuer(SECRET, timedelta(hours=8))
    header, payload, signature = issuer.issue(ANA).split(".")
    admin = (
        TokenIssuer("another-secret-that-is-also-32-bytes-long", timedelta(hours=8))
        .issue(User("u-1", "ana", "admin", None))
        .split(".")[1]
    )
    with pytest.raises(InvalidToken):
        issuer.verify(f"{header}.{admin}.{signature}")
    assert payload != admin


def test_a_session_cookie_is_not_an_access_token_and_vice_versa() -> None:
    issuer = TokenIssuer(SECRET, timedelta(hours=8))
    with pytest.raises(InvalidToken):
        issuer.verify(issuer.issue(ANA, SESSION), ACCESS)
    with pytest.raises(InvalidToken):
        issuer.verify(issuer.issue(ANA, ACCESS), SESSION)


def test_a_new_user_needs_a_known_role_a_sane_username_and_a_password() -> None:
    assert new_user(" Ana.Pop ", "pass1", "manager", "", None).username == "ana.pop"
    with pytest.raises(Invalid, match="role"):
        new_user("ana", "pass1", "boss", None, None)
    with pytest.raises(Invalid, match="username"):
        new_user("a b", "pass1", "agent", None, None)
    with pytest.raises(Invalid, match="password"):
        new_user("ana", "pw", "agent", None, None)
    with pytest.raises(Invalid, match="language"):
        new_user("ana", "pass1", "agent", None, "fr")


def test_a_new_users_staff_id_is_a_uuid_because_the_store_keeps_it_in_a_uuid_column() -> None:
    staff_id = "0190a7b3-1c2d-7e4f-8a9b-000000000002"
    assert new_user("ana", "pass1", "agent", staff_id, None).staff_id == staff_id
    with pytest.raises(Invalid, match="staff id") as refused:
        new_user("ana", "pass1", "agent", "s1", None)
    assert refused.value.extra == {"field": "staff_id"}

"""Header safety, retry policy, rate limit, recipients and size of a document email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm_kit.errors import Invalid, NotFound
from crm_notifier.domain.composing import AttachmentRef, PartnerCard, check_size, recipients
from crm_notifier.domain.failures import RetryPolicy, classify
from crm_notifier.domain.headers import check_address, check_header
from crm_notifier.domain.ratelimit import TokenBucket

ALFA = PartnerCard(
    "p1",
    "Alfa SRL",
    ["office@alfa.ro"],
    [
        {"contact_id": "c1", "name": "Maria", "email": "maria@alfa.ro"},
        {"contact_id": "c2", "name": "Ion", "email": None},
    ],
)


@pytest.mark.parametrize("value", ["Hi\r\nBcc: x@y.z", "Hi\nX: y", "Hi\rX", "nul\x00"])
def test_header_values_with_line_breaks_are_refused(value: str) -> None:
    with pytest.raises(Invalid, match="header injection refused"):
        check_header("subject", value)


def test_addresses_are_normalised_and_anything_else_is_refused() -> None:
    assert check_address(" Ana@Firma.RO ") == "ana@firma.ro"
    for bad in ("ana", "ana@firma", "a@b.ro, c@d.ro", "Ana <ana@firma.ro>"):
        with pytest.raises(Invalid):
            check_address(bad)


def test_4xx_and_no_answer_are_temporary_and_5xx_permanent() -> None:
    assert classify(451) == "temporary"
    assert classify(None) == "temporary"
    assert classify(550) == "permanent"


def test_retries_back_off_exponentially_up_to_a_ceiling_then_give_up() -> None:
    policy = RetryPolicy(max_attempts=4, first_delay=5, max_delay=12)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [5, 10, 12, 12]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.next_attempt_at(2, now) == now + timedelta(seconds=10)
    assert not policy.gives_up(3)
    assert policy.gives_up(4)


def test_the_rate_limit_lets_a_burst_through_then_spaces_sends() -> None:
    bucket = TokenBucket(per_minute=120)  # 2 per second, burst of 2
    assert bucket.wait(0.0) == 0
    assert bucket.wait(0.0) == 0
    assert bucket.wait(0.0) == pytest.approx(0.5)
    assert TokenBucket(per_minute=0).wait(0.0) == 0


def test_a_document_email_goes_to_the_partner_and_chosen_people_once_each() -> None:
    found = recipients(
        ALFA, to_partner=True, contact_ids=["c1"], staff_emails={"s1": "agent@firma.ro"}, extra=["Office@alfa.ro"]
    )
    assert found == ["office@alfa.ro", "maria@alfa.ro", "agent@firma.ro"]


def test_chosen_people_without_an_address_or_from_another_partner_are_refused_in_words() -> None:
    with pytest.raises(Invalid, match="Ion has no email address"):
        recipients(ALFA, to_partner=False, contact_ids=["c2"], staff_emails={}, extra=[])
    with pytest.raises(NotFound, match="not a contact person of Alfa SRL"):
        recipients(ALFA, to_partner=False, contact_ids=["zz"], staff_emails={}, extra=[])
    with pytest.raises(Invalid, match="no email address in the directory"):
        recipients(None, to_partner=False, contact_ids=[], staff_emails={"s9": None}, extra=[])
    with pytest.raises(Invalid, match="no recipient"):
        recipients(None, to_partner=False, contact_ids=[], staff_emails={}, extra=[])


def test_an_email_over_the_size_limit_is_refused_with_both_sizes() -> None:
    small = [AttachmentRef("a.pdf", "0" * 64, 1000)]
    assert check_size(small, "body", 10_000) > 1000
    with pytest.raises(Invalid, match=r"limit per message is 1\.0 MB"):
        check_size([AttachmentRef("big.pdf", "0" * 64, 1_000_000)], "", 1_048_576)

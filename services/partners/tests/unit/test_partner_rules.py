"""The partner's own rules: every broken field reported at once, updates keep ids, lead conversion."""

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

import pytest

from crm_kit.errors import Conflict, Invalid
from crm_partners.domain.partners import PartnerInput, SiteInput, build_partner, convert_lead, update_partner

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = count()


def ids() -> str:
    return f"00000000-0000-7000-8000-{next(_ids):012d}"


def test_every_broken_field_is_reported_in_one_answer() -> None:
    data = PartnerInput(
        name=" ",
        kind="prospect",
        fiscal_code="RO123",
        county="Narnia",
        turnover="-1",
        employees="zece",
        sites=[SiteInput(name="A", emails=["ok@x.ro", "OK@x.ro", "nu-e-email"])],
    )
    with pytest.raises(Invalid) as caught:
        build_partner(data, partner_id=ids(), now=NOW, new_id=ids)
    fields = [e["field"] for e in caught.value.extra["errors"]]  # type: ignore[union-attr]
    assert fields == [
        "name",
        "kind",
        "fiscal_code",
        "county",
        "turnover",
        "employees",
        "sites[0].emails",
        "sites[0].emails",
    ]


def test_a_partner_is_stored_in_normal_form() -> None:
    partner = build_partner(
        PartnerInput(
            name="  Acme   SRL ",
            fiscal_code="ro14399840",
            county="cluj",
            turnover="1000.5",
            sites=[SiteInput(name="", emails=["Office@Acme.ro"])],
            competitors=["Beta", "beta", " "],
        ),
        partner_id=ids(),
        now=NOW,
        new_id=ids,
    )
    assert partner.name == "Acme SRL" and partner.fiscal_code == "RO14399840" and partner.fiscal_digits == "14399840"
    assert partner.county == "Cluj" and partner.turnover == Decimal("1000.50")
    assert partner.sites[0].name == "Sediu principal" and partner.emails == {"office@acme.ro": partner.sites[0].site_id}
    assert partner.competitors == ("Beta",)


def test_an_update_keeps_the_ids_of_sites_it_names_and_refuses_sites_of_others() -> None:
    partner = build_partner(
        PartnerInput(name="Acme", sites=[SiteInput(name="Centru", emails=["a@x.ro"])]),
        partner_id=ids(),
        now=NOW,
        new_id=ids,
    )
    site_id = partner.sites[0].site_id
    changed = update_partner(
        partner, {"sites": [SiteInput(name="Centru", emails=["b@x.ro"], site_id=site_id)]}, now=NOW, new_id=ids
    )
    assert changed.sites[0].site_id == site_id and changed.version == 2 and changed.name == "Acme"
    with pytest.raises(Invalid, match="not a site of this partner"):
        update_partner(partner, {"sites": [SiteInput(name="X", site_id=ids())]}, now=NOW, new_id=ids)
    with pytest.raises(Invalid, match="unknown partner fields"):
        update_partner(partner, {"colour": "blue"}, now=NOW, new_id=ids)


def test_only_a_lead_converts_to_a_client() -> None:
    lead = build_partner(PartnerInput(name="Acme", kind="lead"), partner_id=ids(), now=NOW, new_id=ids)
    client = convert_lead(lead, now=NOW)
    assert client.kind == "client" and client.version == 2
    with pytest.raises(Conflict):
        convert_lead(client, now=NOW)

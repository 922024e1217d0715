"""Partners (clients, leads, suppliers) with their sites, emails, contacts, representatives and lead fields."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_kit.errors import Conflict, Invalid
from crm_partners.domain.counties import UnknownCounty, county_name
from crm_partners.domain.emails import InvalidEmail, normalise_email
from crm_partners.domain.fiscal import InvalidFiscalCode, parse_fiscal_code
from crm_partners.domain.text import clean, fold

KINDS = ("client", "lead", "supplier")
MAX_TURNOVER = Decimal("1e15")


@dataclass(frozen=True)
class Site:
    """A site (sediu) of a partner; each of its email addresses belongs to this partner only."""

    site_id: str
    name: str
    emails: tuple[str, ...]


@dataclass(frozen=True)
class Contact:
    """A contact person at a partner."""

    contact_id: str
    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Partner:
    """One entry of the partner directory (nomenclatorul de parteneri)."""

    id: str
    kind: str
    name: str
    created_at: datetime
    updated_at: datetime
    fiscal_code: str | None = None
    trade_register: str | None = None
    locality: str | None = None
    county: str | None = None
    address: str | None = None
    turnover: Decimal | None = None
    employees: int | None = None
    activity_domain: str | None = None
    sites: tuple[Site, ...] = ()
    contacts: tuple[Contact, ...] = ()
    sales_rep_staff_id: str | None = None
    service_rep_staff_id: str | None = None
    campaign_id: str | None = None
    competitors: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    service_responsible: str | None = None
    version: int = 1

    @property
    def fiscal_digits(self) -> str | None:
        """The CUI without the RO prefix (what makes two partners the same company)."""
        return self.fiscal_code.removeprefix("RO") if self.fiscal_code else None

    @property
    def emails(self) -> dict[str, str]:
        """Every site email -> its site id."""
        return {email: site.site_id for site in self.sites for email in site.emails}

    @property
    def staff_ids(self) -> set[str]:
        """The staff members it refers to (its representatives)."""
        return {s for s in (self.sales_rep_staff_id, self.service_rep_staff_id) if s}


@dataclass
class SiteInput:
    """A site as a user wrote it; ``site_id`` keeps an existing site's id on update."""

    name: str
    emails: list[str] = field(default_factory=list)
    site_id: str | None = None


@dataclass
class ContactInput:
    """A contact person as a user wrote it."""

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    contact_id: str | None = None


@dataclass
class PartnerInput:
    """A partner's fields as received (from HTTP or a CSV row), before the rules are checked."""

    name: str
    kind: str = "client"
    fiscal_code: str | None = None
    trade_register: str | None = None
    locality: str | None = None
    county: str | None = None
    address: str | None = None
    turnover: Decimal | str | None = None
    employees: int | str | None = None
    activity_domain: str | None = None
    sites: list[SiteInput] = field(default_factory=list)
    contacts: list[ContactInput] = field(default_factory=list)
    sales_rep_staff_id: str | None = None
    service_rep_staff_id: str | None = None
    campaign_id: str | None = None
    competitors: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    service_responsible: str | None = None


FIELDS = tuple(PartnerInput.__dataclass_fields__)
"""The fields a user may set or change."""


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, object]] = []

    def add(self, field_name: str, message: str, *, code: str | None = None, **params: object) -> None:
        # The code and params let the web UI show the field's message in the user's language.
        item: dict[str, object] = {"field": field_name, "message": message}
        if code is not None:
            item.update(code=code, params=params)
        self.items.append(item)

    def raise_if_any(self, what: str) -> None:
        if self.items:
            first = self.items[0]["message"]
            more = f" (and {len(self.items) - 1} more)" if len(self.items) > 1 else ""
            raise Invalid(f"{what}: {first}{more}", code="record.fields_invalid", errors=self.items)


def _uuid(value: str | None, field_name: str, errors: _Errors) -> str | None:
    text = clean(value)
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        errors.add(field_name, f"{field_name} {text!r} is not an id (UUID)", code="record.choose_from_list")
        return None


def _words(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        text = clean(value)
        if text and fold(text) not in seen:
            seen[fold(text)] = text
    return tuple(seen.values())


def build_partner(
    data: PartnerInput,
    *,
    partner_id: str,
    now: datetime,
    new_id: Callable[[], str],
    previous: Partner | None = None,
) -> Partner:
    """Check every rule of a partner's own fields and return the partner.

    Rules that need other partners (an email or a fiscal code used elsewhere) or the staff
    directory are checked by the caller, which knows them.

    Raises:
        Invalid: one or more fields break a rule; ``extra["errors"]`` lists them all.
    """
    errors = _Errors()
    name = clean(data.name)
    if not name:
        errors.add("name", "a partner needs a name", code="partner.name_missing")
    elif len(name) > 300:
        errors.add("name", "the name is longer than 300 characters", code="record.too_long", limit=300)
    if data.kind not in KINDS:
        errors.add("kind", f"kind must be one of {', '.join(KINDS)}, not {data.kind!r}", code="record.choose_from_list")

    fiscal_code = None
    if clean(data.fiscal_code):
        try:
            fiscal_code = str(parse_fiscal_code(str(data.fiscal_code)))
        except InvalidFiscalCode as exc:
            errors.add("fiscal_code", str(exc), code=exc.code, **exc.params)

    county = None
    if clean(data.county):
        try:
            county = county_name(str(data.county))
        except UnknownCounty as exc:
            errors.add("county", str(exc), code="partner.unknown_county", county=str(data.county))

    turnover: Decimal | None = None
    if data.turnover is not None and str(data.turnover).strip() != "":
        try:
            turnover = Decimal(str(data.turnover).strip().replace(" ", "")).quantize(Decimal("0.01"))
            if turnover < 0 or turnover >= MAX_TURNOVER:
                errors.add(
                    "turnover", "the turnover must be zero or more, and below 10^15", code="partner.turnover_range"
                )
                turnover = None
        except (InvalidOperation, ValueError):
            errors.add(
                "turnover",
                f"turnover {data.turnover!r} is not an amount (e.g. 1250000.00)",
                code="record.not_an_amount",
            )

    employees: int | None = None
    if data.employees is not None and str(data.employees).strip() != "":
        try:
            employees = int(str(data.employees).strip())
            if employees < 0 or employees > 10_000_000:
                errors.add(
                    "employees",
                    "the number of employees must be between 0 and 10000000",
                    code="partner.employees_range",
                )
                employees = None
        except ValueError:
            errors.add(
                "employees", f"employees {data.employees!r} is not a whole number", code="record.not_a_whole_number"
            )

    old_sites = {s.site_id for s in previous.sites} if previous else set()
    sites: list[Site] = []
    seen_emails: dict[str, int] = {}
    for i, site in enumerate(data.sites):
        site_name = clean(site.name) or ("Sediu principal" if i == 0 else None)
        if not site_name:
            errors.add(f"sites[{i}].name", f"site {i + 1} needs a name", code="partner.site_name_missing", number=i + 1)
        emails: list[str] = []
        for raw in site.emails:
            try:
                email = normalise_email(raw)
            except InvalidEmail as exc:
                errors.add(f"sites[{i}].emails", str(exc), code="record.email_invalid", email=raw)
                continue
            if email in seen_emails:
                errors.add(
                    f"sites[{i}].emails",
                    f"{email} is given twice; an address belongs to one site",
                    code="partner.email_twice",
                    email=email,
                )
                continue
            seen_emails[email] = i
            emails.append(email)
        site_id = _uuid(site.site_id, f"sites[{i}].site_id", errors)
        if site_id is not None and site_id not in old_sites:
            errors.add(
                f"sites[{i}].site_id", f"site {site_id} is not a site of this partner", code="record.choose_from_list"
            )
        sites.append(Site(site_id=site_id or new_id(), name=site_name or "", emails=tuple(emails)))

    old_contacts = {c.contact_id for c in previous.contacts} if previous else set()
    contacts: list[Contact] = []
    for i, contact in enumerate(data.contacts):
        contact_name = clean(contact.name)
        if not contact_name:
            errors.add(
                f"contacts[{i}].name",
                f"contact {i + 1} needs a name",
                code="partner.contact_name_missing",
                number=i + 1,
            )
        contact_email: str | None = None
        if clean(contact.email):
            try:
                contact_email = normalise_email(str(contact.email))
            except InvalidEmail as exc:
                errors.add(f"contacts[{i}].email", str(exc), code="record.email_invalid", email=str(contact.email))
        contact_id = _uuid(contact.contact_id, f"contacts[{i}].contact_id", errors)
        if contact_id is not None and contact_id not in old_contacts:
            errors.add(
                f"contacts[{i}].contact_id",
                f"contact {contact_id} is not a contact of this partner",
                code="record.choose_from_list",
            )
        contacts.append(
            Contact(
                contact_id=contact_id or new_id(),
                name=contact_name or "",
                role=clean(contact.role),
                email=contact_email,
                phone=clean(contact.phone),
            )
        )

    sales = _uuid(data.sales_rep_staff_id, "sales_rep_staff_id", errors)
    service = _uuid(data.service_rep_staff_id, "service_rep_staff_id", errors)
    campaign = _uuid(data.campaign_id, "campaign_id", errors)
    errors.raise_if_any("the partner cannot be saved")

    return Partner(
        id=partner_id,
        kind=data.kind,
        name=name or "",
        created_at=previous.created_at if previous else now,
        updated_at=now,
        fiscal_code=fiscal_code,
        trade_register=clean(data.trade_register),
        locality=clean(data.locality),
        county=county,
        address=clean(data.address),
        turnover=turnover,
        employees=employees,
        activity_domain=clean(data.activity_domain),
        sites=tuple(sites),
        contacts=tuple(contacts),
        sales_rep_staff_id=sales,
        service_rep_staff_id=service,
        campaign_id=campaign,
        competitors=_words(data.competitors),
        interests=_words(data.interests),
        service_responsible=clean(data.service_responsible),
        version=previous.version + 1 if previous else 1,
    )


def input_of(partner: Partner) -> PartnerInput:
    """The partner's current fields as an input (the base an update is applied to)."""
    return PartnerInput(
        name=partner.name,
        kind=partner.kind,
        fiscal_code=partner.fiscal_code,
        trade_register=partner.trade_register,
        locality=partner.locality,
        county=partner.county,
        address=partner.address,
        turnover=partner.turnover,
        employees=partner.employees,
        activity_domain=partner.activity_domain,
        sites=[SiteInput(name=s.name, emails=list(s.emails), site_id=s.site_id) for s in partner.sites],
        contacts=[
            ContactInput(name=c.name, role=c.role, email=c.email, phone=c.phone, contact_id=c.contact_id)
            for c in partner.contacts
        ],
        sales_rep_staff_id=partner.sales_rep_staff_id,
        service_rep_staff_id=partner.service_rep_staff_id,
        campaign_id=partner.campaign_id,
        competitors=list(partner.competitors),
        interests=list(partner.interests),
        service_responsible=partner.service_responsible,
    )


def update_partner(
    partner: Partner, changes: Mapping[str, Any], *, now: datetime, new_id: Callable[[], str]
) -> Partner:
    """The partner with some fields changed (the others kept), every rule checked again.

    Raises:
        Invalid: an unknown field, or a field that breaks a rule.
    """
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise Invalid(
            f"unknown partner fields: {', '.join(unknown)}",
            code="record.unknown_fields",
            params={"fields": ", ".join(unknown)},
            fields=unknown,
        )
    data = replace(input_of(partner), **dict(changes))
    return build_partner(data, partner_id=partner.id, now=now, new_id=new_id, previous=partner)


def convert_lead(partner: Partner, *, now: datetime) -> Partner:
    """A won lead becomes a client (L2).

    Raises:
        Conflict: the partner is not a lead.
    """
    if partner.kind != "lead":
        raise Conflict(
            f"{partner.name} is a {partner.kind}, not a lead",
            code="partner.not_a_lead",
            params={"name": partner.name, "kind": partner.kind},
        )
    return replace(partner, kind="client", updated_at=now, version=partner.version + 1)


def email_owners_conflicts(
    partner: Partner, owners: Mapping[str, str], names: Mapping[str, str] | None = None
) -> list[dict[str, object]]:
    """Errors for site emails that already belong to another partner.

    Args:
        partner: the partner about to be saved.
        owners: email -> the id of the partner it belongs to now.
        names: partner id -> name, so a person reads which partner (the id when a name is not known).
    """
    found: list[dict[str, object]] = []
    for email, owner in sorted(owners.items()):
        if owner != partner.id and email in partner.emails:
            name = (names or {}).get(owner, owner)
            found.append(
                {
                    "field": "sites",
                    "message": f"{email} already belongs to another partner ({name})",
                    "code": "partner.email_taken",
                    "params": {"email": email, "owner": name},
                }
            )
    return found


def check_in_directory(
    partner: Partner,
    *,
    email_owners: Mapping[str, str],
    fiscal_owners: Mapping[str, str],
    known_staff: set[str],
    owner_names: Mapping[str, str] | None = None,
) -> None:
    """The rules that need the rest of the directory: unique site emails and CUI, known representatives.

    Args:
        partner: the partner about to be saved.
        email_owners: which partner each of its site emails belongs to now (those that belong to one).
        fiscal_owners: which partner has its CUI now.
        known_staff: which of its representatives are in the staff directory.
        owner_names: the names of the partners that own its emails or CUI (id -> name), named in the errors.

    Raises:
        Conflict: an email or the CUI belongs to another partner.
        Invalid: a representative is not a staff member.
    """
    errors = email_owners_conflicts(partner, email_owners, owner_names)
    if partner.fiscal_digits:
        owner = fiscal_owners.get(partner.fiscal_digits)
        if owner and owner != partner.id:
            name = (owner_names or {}).get(owner, owner)
            errors.append(
                {
                    "field": "fiscal_code",
                    "message": f"fiscal code {partner.fiscal_code} is already partner {name}",
                    "code": "partner.fiscal_code_taken",
                    "params": {"fiscal_code": partner.fiscal_code, "owner": name},
                }
            )
    if errors:
        first = errors[0]
        params = first["params"]
        raise Conflict(
            str(first["message"]),
            code=str(first["code"]),
            params=params if isinstance(params, dict) else {},
            errors=errors,
        )
    missing = partner.staff_ids - known_staff
    if missing:
        raise Invalid(
            f"no staff member {sorted(missing)[0]} in the staff directory",
            code="partner.staff_unknown",
            staff_ids=sorted(missing),
        )


def unchanged(before: Partner, after: Partner) -> bool:
    """Whether an update changed nothing but its time and version (then nothing is saved nor published)."""
    ignore = {"updated_at": None, "version": 0}
    return {**before.__dict__, **ignore} == {**after.__dict__, **ignore}


def check_kind(kind: str | None) -> str | None:
    """A kind filter (empty means any).

    Raises:
        Invalid: not one of KINDS.
    """
    if kind and kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}", code="record.choose_from_list")
    return kind or None


@dataclass(frozen=True)
class PartnerFilter:
    """The filters of the partner list (API.md); text filters match folded text."""

    kind: str | None = None
    name: str | None = None
    fiscal_code: str | None = None
    locality: str | None = None
    county: str | None = None
    activity_domain: str | None = None
    turnover_min: Decimal | None = None
    turnover_max: Decimal | None = None
    employees_min: int | None = None
    employees_max: int | None = None
    sales_rep_staff_id: str | None = None
    service_rep_staff_id: str | None = None
    campaign_id: str | None = None
    email: str | None = None


def checked_filter(f: PartnerFilter) -> PartnerFilter:
    """The filter with its kind checked, its county named as stored and empty texts dropped.

    Raises:
        Invalid: an unknown kind or county.
    """
    try:
        county = county_name(f.county) if f.county else None
    except UnknownCounty as exc:
        raise Invalid(str(exc), code="partner.unknown_county", params={"county": f.county}) from None
    return replace(
        f,
        kind=check_kind(f.kind),
        name=f.name or None,
        fiscal_code=f.fiscal_code or None,
        locality=f.locality or None,
        county=county,
        activity_domain=f.activity_domain or None,
        email=f.email or None,
    )


SEARCH_QUERY_MAX = 100
"""The longest query a picker search accepts (characters)."""


def check_search(q: str) -> str:
    """A picker's query as given.

    Raises:
        Invalid: longer than SEARCH_QUERY_MAX.
    """
    if len(q) > SEARCH_QUERY_MAX:
        raise Invalid(
            f"q must be at most {SEARCH_QUERY_MAX} characters",
            code="search.query_too_long",
            params={"limit": SEARCH_QUERY_MAX},
        )
    return q

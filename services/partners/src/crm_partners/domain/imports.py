"""CSV import of partners: read the file, check every row, report per-row errors; all rows or none."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as _field
from datetime import datetime

from crm_kit.errors import Invalid
from crm_kit.ids import is_uuid
from crm_partners.domain.emails import split_emails
from crm_partners.domain.partners import ContactInput, Partner, PartnerInput, SiteInput
from crm_partners.domain.staff import StaffMember
from crm_partners.domain.text import fold

COLUMNS = (
    "kind",
    "name",
    "fiscal_code",
    "trade_register",
    "locality",
    "county",
    "address",
    "turnover",
    "employees",
    "activity_domain",
    "site_name",
    "emails",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "sales_rep",
    "service_rep",
    "sales_rep_staff_id",
    "service_rep_staff_id",
    "campaign_id",
    "competitors",
    "interests",
    "service_responsible",
)
"""The columns a file may have (in any order); only ``name`` is required.

``sales_rep`` and ``service_rep`` name a staff member by email, user login or name (an id works too);
``sales_rep_staff_id`` and ``service_rep_staff_id`` are the same with ids, kept for older files.
"""

STAFF_COLUMNS = {"sales_rep": "sales_rep_staff_id", "service_rep": "service_rep_staff_id"}
"""The friendly staff columns and the id columns they fill."""

_ALIASES = {
    "tip": "kind",
    "denumire": "name",
    "nume": "name",
    "cui": "fiscal_code",
    "cif": "fiscal_code",
    "cod fiscal": "fiscal_code",
    "nr reg com": "trade_register",
    "nr. reg. com.": "trade_register",
    "registrul comertului": "trade_register",
    "localitate": "locality",
    "judet": "county",
    "adresa": "address",
    "cifra de afaceri": "turnover",
    "angajati": "employees",
    "numar angajati": "employees",
    "domeniu": "activity_domain",
    "domeniu de activitate": "activity_domain",
    "sediu": "site_name",
    "email": "emails",
    "emailuri": "emails",
    "persoana de contact": "contact_name",
    "functie": "contact_role",
    "email contact": "contact_email",
    "telefon": "contact_phone",
    "concurenti": "competitors",
    "interese": "interests",
    "responsabil service": "service_responsible",
    "reprezentant vanzari": "sales_rep",
    "agent vanzari": "sales_rep",
    "reprezentant service": "service_rep",
}

_KINDS = {"client": "client", "lead": "lead", "prospect": "lead", "supplier": "supplier", "furnizor": "supplier"}


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row: its line in the file (the header is line 1), the field, the message.

    ``code`` and ``params`` (``crm_kit.errors``) let the web UI say it in the reader's language.
    """

    row: int
    field: str
    message: str
    code: str | None = None
    params: Mapping[str, object] = _field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"row": self.row, "field": self.field, "message": self.message}
        if self.code:
            found.update(code=self.code, params=dict(self.params))
        return found


def _column(header: str) -> str | None:
    key = fold(header).replace("_", " ").strip()
    if key.replace(" ", "_") in COLUMNS:
        return key.replace(" ", "_")
    return _ALIASES.get(key)


def read_rows(text: str, *, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """The file's data rows as ``(line, {column: value})``; the delimiter (``,`` or ``;``) is detected.

    Raises:
        Invalid: empty file, no ``name`` column, unknown columns, or more than ``max_rows`` rows.
    """
    body = text.lstrip("\ufeff")
    first_line = body.split("\n", 1)[0]
    if not first_line.strip():
        raise Invalid(
            "the file is empty: the first line must name the columns (name, fiscal_code, county, ...)",
            code="partner_import.file_empty",
        )
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    header = next(reader)
    columns = [_column(h) for h in header]
    unknown = [h for h, c in zip(header, columns, strict=True) if c is None and h.strip()]
    if unknown:
        raise Invalid(
            f"unknown columns: {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}",
            columns=list(COLUMNS),
            code="partner_import.columns_unknown",
            params={"columns": ", ".join(unknown), "allowed": ", ".join(COLUMNS)},
        )
    if "name" not in columns:
        raise Invalid("the file has no name column", code="partner_import.name_column_missing")
    rows: list[tuple[int, dict[str, str]]] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= max_rows:
            raise Invalid(
                f"the file has more than {max_rows} rows; split it",
                code="partner_import.too_many_rows",
                params={"limit": max_rows},
            )
        row = {c: v.strip() for c, v in zip(columns, values, strict=False) if c is not None}
        rows.append((reader.line_num, row))
    if not rows:
        raise Invalid("the file has no data rows", code="partner_import.no_rows")
    return rows


def with_campaign(rows: list[tuple[int, dict[str, str]]], campaign_id: str | None) -> list[tuple[int, dict[str, str]]]:
    """The rows with ``campaign_id`` filled in where the file leaves it empty (the campaign chosen for the file)."""
    if not campaign_id:
        return rows
    return [(line, row if row.get("campaign_id") else {**row, "campaign_id": campaign_id}) for line, row in rows]


def staff_references(rows: Iterable[tuple[int, Mapping[str, str]]]) -> set[str]:
    """The staff the rows name other than by id (emails, logins, names), each once, to be looked up together."""
    return {
        value
        for _, row in rows
        for column in STAFF_COLUMNS
        if (value := (row.get(column) or "").strip()) and not is_uuid(value)
    }


def staff_key(reference: str) -> str:
    """How a staff reference is compared: an email or login in lower case, a name folded (no diacritics)."""
    return fold(reference)


@dataclass(frozen=True)
class StaffDirectory:
    """The staff members a file's references found, by the keys a row may use (email, login, name)."""

    by_key: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, members: Iterable[StaffMember]) -> StaffDirectory:
        keys: dict[str, set[str]] = {}
        for m in members:
            for ref in (m.email, m.user_login, m.name):
                if ref:
                    keys.setdefault(staff_key(ref), set()).add(m.id)
        return cls({k: frozenset(v) for k, v in keys.items()})

    def ids(self, reference: str) -> frozenset[str]:
        return self.by_key.get(staff_key(reference), frozenset())


def resolve_staff(rows: list[tuple[int, dict[str, str]]], directory: StaffDirectory) -> list[RowError]:
    """Put each row's representatives (a staff email, login, name or id) in their id columns, in place.

    Returns:
        An error for each reference that names nobody, or several people (then the email tells them apart).
    """
    errors: list[RowError] = []
    for line, row in rows:
        for column, id_column in STAFF_COLUMNS.items():
            value = (row.pop(column, "") or "").strip()
            if not value:
                continue
            if is_uuid(value):
                row[id_column] = value
                continue
            found = directory.ids(value)
            if len(found) == 1:
                row[id_column] = next(iter(found))
            elif not found:
                errors.append(
                    RowError(
                        line,
                        column,
                        f"no staff member with the email, login or name {value}",
                        "partner_import.staff_not_found",
                        {"value": value},
                    )
                )
            else:
                errors.append(
                    RowError(
                        line,
                        column,
                        f"{len(found)} staff members are named {value}; give the email",
                        "partner_import.staff_ambiguous",
                        {"value": value, "count": len(found)},
                    )
                )
    return errors


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def row_input(row: Mapping[str, str]) -> PartnerInput:
    """A partner input from one CSV row (one site and at most one contact)."""
    emails = split_emails(row.get("emails", ""))
    sites = (
        [SiteInput(name=row.get("site_name") or "Sediu principal", emails=emails)]
        if emails or row.get("site_name")
        else []
    )
    contacts = []
    if row.get("contact_name"):
        contacts.append(
            ContactInput(
                name=row["contact_name"],
                role=row.get("contact_role") or None,
                email=row.get("contact_email") or None,
                phone=row.get("contact_phone") or None,
            )
        )
    kind_text = fold(row.get("kind", "")) or "client"
    return PartnerInput(
        name=row.get("name", ""),
        kind=_KINDS.get(kind_text, kind_text),
        fiscal_code=row.get("fiscal_code") or None,
        trade_register=row.get("trade_register") or None,
        locality=row.get("locality") or None,
        county=row.get("county") or None,
        address=row.get("address") or None,
        turnover=(row.get("turnover") or "").replace(",", ".") or None,
        employees=row.get("employees") or None,
        activity_domain=row.get("activity_domain") or None,
        sites=sites,
        contacts=contacts,
        sales_rep_staff_id=row.get("sales_rep_staff_id") or None,
        service_rep_staff_id=row.get("service_rep_staff_id") or None,
        campaign_id=row.get("campaign_id") or None,
        competitors=_list(row.get("competitors", "")),
        interests=_list(row.get("interests", "")),
        service_responsible=row.get("service_responsible") or None,
    )


def check_rows(
    rows: list[tuple[int, dict[str, str]]], build: Callable[[PartnerInput], Partner]
) -> tuple[list[tuple[int, Partner]], list[RowError]]:
    """Build every row's partner; the rows that break a rule become errors (every broken field listed)."""
    built: list[tuple[int, Partner]] = []
    errors: list[RowError] = []
    for line, row in rows:
        try:
            built.append((line, build(row_input(row))))
        except Invalid as exc:
            items = exc.extra.get("errors") or [{"field": "", "message": exc.message, "code": exc.extra.get("code")}]
            errors += [_row_error(line, item) for item in items]  # type: ignore[attr-defined]
    return built, errors


def _row_error(line: int, item: Mapping[str, object]) -> RowError:
    code = item.get("code")
    params = item.get("params")
    return RowError(
        line,
        str(item["field"]),
        str(item["message"]),
        str(code) if code else None,
        dict(params) if isinstance(params, Mapping) else {},
    )


def repeated_in_file(built: list[tuple[int, Partner]]) -> list[RowError]:
    """Errors for rows that repeat an email address or a CUI of an earlier row of the same file."""
    errors: list[RowError] = []
    first_email: dict[str, int] = {}
    first_cui: dict[str, int] = {}
    for line, partner in built:
        for email in partner.emails:
            if email in first_email:
                errors.append(
                    RowError(
                        line,
                        "emails",
                        f"{email} is also on line {first_email[email]}",
                        "partner_import.email_in_file",
                        {"email": email, "line": first_email[email]},
                    )
                )
            else:
                first_email[email] = line
        digits = partner.fiscal_digits
        if digits and digits in first_cui:
            errors.append(
                RowError(
                    line,
                    "fiscal_code",
                    f"fiscal code {digits} is also on line {first_cui[digits]}",
                    "partner_import.fiscal_code_in_file",
                    {"fiscal_code": digits, "line": first_cui[digits]},
                )
            )
        elif digits:
            first_cui[digits] = line
    return errors


def check_against_directory(
    built: list[tuple[int, Partner]],
    *,
    email_owners: Mapping[str, str],
    fiscal_owners: Mapping[str, str],
    known_staff: set[str],
    owner_names: Mapping[str, str] | None = None,
) -> list[RowError]:
    """Errors for rows whose email or CUI is already in the directory, or whose representative is unknown.

    Args:
        built: the rows' partners by line.
        email_owners: which partner each email belongs to (those that belong to one).
        fiscal_owners: which partner has each CUI.
        known_staff: the staff ids that exist.
        owner_names: the owners' names by id: an error names the other partner (``owner``) and keeps its id
            (``owner_id``) so a page can link to it.
    """
    names = owner_names or {}
    errors: list[RowError] = []
    for line, partner in built:
        for email in sorted(partner.emails):
            if email in email_owners:
                owner = email_owners[email]
                name = names.get(owner, owner)
                errors.append(
                    RowError(
                        line,
                        "emails",
                        f"{email} already belongs to partner {name}",
                        "partner.email_taken",
                        {"email": email, "owner": name, "owner_id": owner},
                    )
                )
        if partner.fiscal_digits and partner.fiscal_digits in fiscal_owners:
            owner = fiscal_owners[partner.fiscal_digits]
            name = names.get(owner, owner)
            errors.append(
                RowError(
                    line,
                    "fiscal_code",
                    f"fiscal code {partner.fiscal_digits} is already partner {name}",
                    "partner.fiscal_code_taken",
                    {"fiscal_code": partner.fiscal_digits, "owner": name, "owner_id": owner},
                )
            )
        for field_name in ("sales_rep_staff_id", "service_rep_staff_id"):
            staff_id = getattr(partner, field_name)
            if staff_id and staff_id not in known_staff:
                errors.append(
                    RowError(
                        line,
                        field_name,
                        f"no staff member {staff_id}",
                        "partner_import.staff_not_found",
                        {"value": staff_id},
                    )
                )
    return errors


_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_LEGACY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<email>\S+) is also on line (?P<line>\d+)$"), "partner_import.email_in_file"),
    (
        re.compile(r"^fiscal code (?P<fiscal_code>\d+) is also on line (?P<line>\d+)$"),
        "partner_import.fiscal_code_in_file",
    ),
    (re.compile(rf"^(?P<email>\S+) already belongs to partner (?P<owner_id>{_UUID})$"), "partner.email_taken"),
    (
        re.compile(rf"^fiscal code (?P<fiscal_code>\d+) is already partner (?P<owner_id>{_UUID})$"),
        "partner.fiscal_code_taken",
    ),
    (re.compile(r"^no staff member (?P<value>\S+)$"), "partner_import.staff_not_found"),
    (re.compile(r"^a partner needs a name$"), "partner.name_missing"),
    (re.compile(r"^the name is longer than (?P<limit>\d+) characters$"), "record.too_long"),
    (re.compile(r"^kind must be one of .+, not '.*'$"), "record.choose_from_list"),
    (
        re.compile(r"^unknown county '(?P<county>.*)': use one of the 41 counties or București$"),
        "partner.unknown_county",
    ),
    (
        re.compile(r"^fiscal code '(?P<fiscal_code>.*)' must be 2 to 10 digits, optionally after RO$"),
        "partner.fiscal_code_format",
    ),
    (re.compile(r"^fiscal code '(?P<fiscal_code>.*)' cannot start with 0$"), "partner.fiscal_code_leading_zero"),
    (
        re.compile(r"^fiscal code '(?P<fiscal_code>.*)' has a wrong check digit \(expected (?P<expected>\d)\)$"),
        "partner.fiscal_code_check_digit",
    ),
    (re.compile(r"^the turnover must be zero or more, and below 10\^15$"), "partner.turnover_range"),
    (re.compile(r"^turnover .+ is not an amount \(e\.g\. 1250000\.00\)$"), "record.not_an_amount"),
    (re.compile(r"^the number of employees must be between 0 and 10000000$"), "partner.employees_range"),
    (re.compile(r"^employees .+ is not a whole number$"), "record.not_a_whole_number"),
    (re.compile(r"^'(?P<email>.*)' is not an email address$"), "record.email_invalid"),
    (re.compile(r"^(?P<email>\S+) is given twice; an address belongs to one site$"), "partner.email_twice"),
    (re.compile(r"^contact (?P<number>\d+) needs a name$"), "partner.contact_name_missing"),
    (re.compile(r"^site (?P<number>\d+) needs a name$"), "partner.site_name_missing"),
)
"""The row errors imports stored before errors had codes (their English texts), with the code each one has now."""


def coded(error: Mapping[str, object]) -> dict[str, object]:
    """A stored row error with a code: one kept from before errors had codes gets the code its text stands for.

    An error that has a code, or whose text is none of the old ones, is returned as it is. An old "already
    belongs to partner <id>" keeps the id as ``owner_id`` (and as ``owner`` until ``named_owners`` names it).
    """
    found = dict(error)
    if found.get("code"):
        params = found.get("params")
        if isinstance(params, Mapping) and "owner_id" not in params and re.fullmatch(_UUID, str(params.get("owner"))):
            found["params"] = {**params, "owner_id": params["owner"]}  # coded before the owner was named
        return found
    text = str(found.get("message") or "")
    for pattern, code in _LEGACY:
        match = pattern.match(text)
        if match:
            values: dict[str, object] = dict(match.groupdict())
            if "owner_id" in values:
                values["owner"] = values["owner_id"]
            found.update(code=code, params=values)
            return found
    return found


def unnamed_owners(errors: Iterable[Mapping[str, object]]) -> set[str]:
    """The partners the errors name only by id (``owner`` is still the ``owner_id``): to be looked up."""
    found: set[str] = set()
    for error in errors:
        params = error.get("params")
        if isinstance(params, Mapping) and params.get("owner_id") and params.get("owner") == params["owner_id"]:
            found.add(str(params["owner_id"]))
    return found


def readable(item: PartnerImport, owner_names: Mapping[str, str]) -> PartnerImport:
    """The import as a reader gets it: every error with a code, the other partners named (``owner_names``: id -> name).

    Errors stored before they had codes get theirs (``coded``); an owner named by its id gets its name.
    """
    errors: list[dict[str, object]] = []
    for error in item.errors:
        found = coded(error)
        params = found.get("params")
        if isinstance(params, Mapping) and str(params.get("owner_id") or "") in owner_names:
            found["params"] = {**params, "owner": owner_names[str(params["owner_id"])]}
        errors.append(found)
    return replace(item, errors=tuple(errors))


IMPORT_STATUSES = ("validating", "storing", "rejected", "imported", "failed")
REPORTED_ERRORS = 1000
"""The most per-row errors an import keeps (the message still counts every broken row)."""


@dataclass(frozen=True)
class PartnerImport:
    """One CSV import: its file, where it is and its per-row errors.

    It is ``validating`` while rows are checked (``processed_rows`` counts them), ``storing`` while the checked
    partners are written (``imported`` counts those written so far; none is visible until all are), then
    ``rejected``, ``imported`` or ``failed``.
    """

    id: str
    file_name: str
    status: str
    total_rows: int
    created_at: datetime
    processed_rows: int = 0
    imported: int = 0
    errors: tuple[dict[str, object], ...] = ()
    message: str | None = None
    finished_at: datetime | None = None
    created_by: str | None = None


def new_import(*, import_id: str, file_name: str, total_rows: int, by: str | None, now: datetime) -> PartnerImport:
    """An import that starts validating its rows (an empty file name becomes ``partners.csv``)."""
    return PartnerImport(
        id=import_id,
        file_name=file_name[:200] or "partners.csv",
        status="validating",
        total_rows=total_rows,
        created_at=now,
        created_by=by,
    )


def progressed(item: PartnerImport, processed_rows: int) -> PartnerImport:
    """The import after ``processed_rows`` rows were checked (never more than the file has)."""
    return replace(item, processed_rows=min(processed_rows, item.total_rows))


def storing(item: PartnerImport, stored: int) -> PartnerImport:
    """The import while its checked partners are written: ``stored`` of them so far (all or none commit)."""
    return replace(item, status="storing", processed_rows=item.total_rows, imported=min(stored, item.total_rows))


def rejected(item: PartnerImport, errors: list[RowError], *, now: datetime) -> PartnerImport:
    """The import refused as a whole: nothing imported, the errors kept by line (all rows or none)."""
    ordered = sorted(errors, key=lambda e: (e.row, e.field))
    broken = len({e.row for e in ordered})
    return replace(
        item,
        status="rejected",
        errors=tuple(e.as_dict() for e in ordered[:REPORTED_ERRORS]),
        message=f"{broken} of {item.total_rows} rows have errors; nothing was imported",
        finished_at=now,
    )


def imported(item: PartnerImport, count: int, *, now: datetime) -> PartnerImport:
    """The import done: every row became a partner."""
    return replace(
        item,
        status="imported",
        processed_rows=item.total_rows,
        imported=count,
        message=f"{count} partners imported",
        finished_at=now,
    )


def failed(item: PartnerImport, reason: str, *, now: datetime) -> PartnerImport:
    """The import stopped by an unexpected failure (the reason is kept, cut to 500 characters)."""
    return replace(item, status="failed", imported=0, message=reason[:500], finished_at=now)

"""The machine codes of the services' domain errors (``crm_kit.errors``) the web UI names in both languages.

Each is a catalogue entry with context ``error`` whose texts name the error's params as ``%(name)s``;
``tests/unit/test_error_codes.py`` checks that every code the services raise is listed here.
"""

ERROR_CODES: tuple[str, ...] = (
    "article.not_in_picker_list",
    "campaign.period_invalid",
    "opportunity.already_at_stage",
    "opportunity.lost_needs_reason",
    "opportunity.reason_only_when_lost",
    "opportunity.stage_not_allowed",
    "partner.contact_name_missing",
    "partner.email_taken",
    "partner.email_twice",
    "partner.employees_range",
    "partner.fiscal_code_check_digit",
    "partner.fiscal_code_format",
    "partner.fiscal_code_invalid",
    "partner.fiscal_code_leading_zero",
    "partner.fiscal_code_taken",
    "partner.name_missing",
    "partner.not_a_lead",
    "partner.site_name_missing",
    "partner.staff_unknown",
    "partner.turnover_range",
    "partner.unknown_county",
    "record.changed_meanwhile",
    "record.choose_from_list",
    "record.email_invalid",
    "record.fields_invalid",
    "record.not_a_whole_number",
    "record.not_an_amount",
    "record.not_found",
    "record.too_long",
    "record.unknown_fields",
    "search.query_too_long",
    "task.not_open",
)
"""Sorted; a code a service raises that is missing here fails the test (and shows the service's English text)."""

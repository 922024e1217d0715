"""Romanian fiscal codes (CUI/CIF): normalisation and the check digit."""

from __future__ import annotations

from dataclasses import dataclass

_KEY = "753217532"


class InvalidFiscalCode(ValueError):
    """A fiscal code that is malformed or whose check digit is wrong; ``code`` and ``params`` name why for the UI."""

    def __init__(self, message: str, *, code: str, params: dict[str, object]) -> None:
        """The English text, and the machine code and values the web UI translates."""
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class FiscalCode:
    """A valid CUI: its digits, and whether it was written with the ``RO`` (VAT payer) prefix."""

    digits: str
    vat_payer: bool

    def __str__(self) -> str:
        return f"RO{self.digits}" if self.vat_payer else self.digits


def check_digit(body: str) -> int:
    """The check digit of a CUI's digits without the last one (the control key is 753217532)."""
    padded = body.rjust(9, "0")
    total = sum(int(d) * int(k) for d, k in zip(padded, _KEY, strict=True))
    control = total * 10 % 11
    return 0 if control == 10 else control


def parse_fiscal_code(raw: str) -> FiscalCode:
    """Parse ``RO 14399840``, ``ro14399840`` or ``14399840``.

    Raises:
        InvalidFiscalCode: not 2 to 10 digits after an optional RO, or a wrong check digit.
    """
    text = "".join(raw.split()).upper()
    vat_payer = text.startswith("RO")
    digits = text[2:] if vat_payer else text
    if not digits.isascii() or not digits.isdigit() or not 2 <= len(digits) <= 10:
        raise InvalidFiscalCode(
            f"fiscal code {raw.strip()!r} must be 2 to 10 digits, optionally after RO",
            code="partner.fiscal_code_format",
            params={"fiscal_code": raw.strip()},
        )
    if digits[0] == "0":
        raise InvalidFiscalCode(
            f"fiscal code {raw.strip()!r} cannot start with 0",
            code="partner.fiscal_code_leading_zero",
            params={"fiscal_code": raw.strip()},
        )
    expected = check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidFiscalCode(
            f"fiscal code {raw.strip()!r} has a wrong check digit (expected {expected})",
            code="partner.fiscal_code_check_digit",
            params={"fiscal_code": raw.strip(), "expected": expected},
        )
    return FiscalCode(digits=digits, vat_payer=vat_payer)

"""Settings of the commercial service (env prefix ``CRM_COMMERCIAL_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_kit.ports import SERVICE_PORTS
from crm_kit.settings import ServiceSettings


class CommercialSettings(ServiceSettings):
    """What the commercial service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CRM_COMMERCIAL_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="commercial", description="The service's name (ce_source, group id).")
    port: int = Field(default=SERVICE_PORTS["commercial"], description="HTTP port.")
    currency: str = Field(default="RON", description="Currency of every document (ISO code).")
    timezone: str = Field(
        default="Europe/Bucharest", description="Time zone that decides a document's issue date (the business day)."
    )
    offer_valid_days: int = Field(
        default=30, ge=1, description="Days an offer stays valid when the request names none."
    )
    company_name: str = Field(default="Compania Noastră S.R.L.", description="Issuer name printed on every document.")
    company_fiscal_code: str = Field(default="RO00000000", description="Issuer fiscal code (CUI) printed on documents.")
    company_address: str = Field(default="București, România", description="Issuer address printed on documents.")
    font_dir: Path = Field(
        default=Path("/usr/share/fonts/truetype/dejavu"),
        description="Folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf (Unicode fonts for Romanian diacritics).",
    )

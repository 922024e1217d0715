"""Settings of the opportunities service (env prefix CRM_OPPORTUNITIES_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_kit.ports import SERVICE_PORTS
from crm_kit.settings import ServiceSettings


class OpportunitiesSettings(ServiceSettings):
    """What the opportunities service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CRM_OPPORTUNITIES_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="opportunities", description="Service name: ce_source and consumer group.")
    port: int = Field(default=SERVICE_PORTS["opportunities"], description="HTTP port of the opportunities API.")
    currency: str = Field(default="RON", description="Currency of sales potentials and requested documents.")
    offer_validity_days: int = Field(
        default=30, ge=1, le=365, description="Days an offer stays valid when the request does not say."
    )

"""Settings of the campaigns service (env prefix ``CRM_CAMPAIGNS_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_kit.ports import SERVICE_PORTS
from crm_kit.settings import ServiceSettings


class CampaignsSettings(ServiceSettings):
    """What the campaigns service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CRM_CAMPAIGNS_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="campaigns", description="The service's name (ce_source, consumer group).")
    port: int = Field(default=SERVICE_PORTS["campaigns"], description="HTTP port of the campaigns API.")
    request_chunk: int = Field(
        default=500,
        ge=1,
        le=5000,
        description="Most partner ids carried by one CampaignMembersAdded or OpportunitiesRequested event.",
    )

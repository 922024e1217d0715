"""Settings of the partners service (env prefix CRM_PARTNERS_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_kit.ports import SERVICE_PORTS
from crm_kit.settings import ServiceSettings


class PartnersSettings(ServiceSettings):
    """The partner and staff directories, the partner history and the dossiers."""

    model_config = SettingsConfigDict(env_prefix="CRM_PARTNERS_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="partners", description="The service's name, used as ce_source and group id.")
    port: int = Field(default=SERVICE_PORTS["partners"], description="HTTP port.")
    history_page_max: int = Field(
        default=200, ge=1, description="Largest page of the partner history one call returns."
    )
    list_page_max: int = Field(default=500, ge=1, description="Largest page of a directory list one call returns.")
    import_max_rows: int = Field(default=50_000, ge=1, description="Most rows one CSV partner import may hold.")
    import_progress_every: int = Field(
        default=500, ge=1, description="A CSV import records its progress after this many validated rows."
    )

"""Settings of the tasks service (env prefix ``CRM_TASKS_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_kit.ports import SERVICE_PORTS
from crm_kit.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    """What the tasks service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CRM_TASKS_", extra="ignore", populate_by_name=True)

    service_name: str = Field(default="tasks", description="The service's name (ce_source, consumer group).")
    port: int = Field(default=SERVICE_PORTS["tasks"], description="HTTP port of the tasks API.")
    timezone: str = Field(
        default="Europe/Bucharest", description="Local time zone: working days, reports and naive input times."
    )
    currency: str = Field(default="RON", description="Currency of the service catalogue's hourly rates.")
    billing_quantum_minutes: int = Field(
        default=15, ge=1, le=240, description="Billed hours are counted in steps of this many minutes (T9)."
    )
    billing_rounding: Literal["up", "nearest", "none"] = Field(
        default="up", description="How worked time is rounded to the quantum: up (default), nearest, or not at all."
    )
    max_planned_hours: int = Field(
        default=500, ge=1, description="Largest planned_hours accepted on a task; more is refused as absurd."
    )
    scheduler_interval_seconds: float = Field(
        default=5.0, gt=0, le=25, description="How often the reminder scheduler looks for due reminders."
    )
    scheduler_batch_size: int = Field(
        default=500, ge=1, description="Most reminders the scheduler claims in one transaction."
    )
    scheduler_claim_delay_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Pause inside the claim transaction before it commits; fault-injection tests only, keep 0.",
    )

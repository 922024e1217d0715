"""A minimal service built with the kit, for fault-injection tests run as a separate process."""

from __future__ import annotations

import sys
from typing import ClassVar

import sqlalchemy as sa
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crm_contracts import topics
from crm_contracts.base import Event
from crm_kit.cli import main
from crm_kit.inbox import Context, Subscriptions
from crm_kit.service import Service
from crm_kit.settings import ServiceSettings
from crm_kit.store import kit_tables


class Pinged(Event):
    """A test event."""

    topic: ClassVar[str] = topics.TASKS
    event_name: ClassVar[str] = "KitPinged"
    key_field: ClassVar[str] = "ping_id"
    ping_id: str = Field(description="id")
    n: int = Field(description="sequence number")


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_PROBE_", extra="ignore")
    service_name: str = "probe"
    fail_on: int = Field(default=-1, description="A sequence number whose handler always fails (poison).")


def build(settings: ProbeSettings) -> tuple[Service, sa.Table]:
    metadata = sa.MetaData()
    kit_tables(metadata)
    effects = sa.Table(
        "effects", metadata, sa.Column("ping_id", sa.String, primary_key=True), sa.Column("n", sa.Integer)
    )
    subs = Subscriptions()

    @subs.on(Pinged)
    async def record(ctx: Context, event: Pinged) -> None:
        if event.n == settings.fail_on:
            raise RuntimeError(f"cannot handle {event.n}")
        # A plain INSERT: a second application of the same event would violate the primary key.
        await ctx.conn.execute(effects.insert().values(ping_id=event.ping_id, n=event.n))

    return Service(name=settings.service_name, settings=settings, metadata=metadata, subscriptions=subs), effects


def bootstrap() -> Service:
    return build(ProbeSettings())[0]


if __name__ == "__main__":
    sys.exit(main(bootstrap))

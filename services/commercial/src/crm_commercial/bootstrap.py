"""The composition root: settings, store, use cases, subscribers, printout worker and HTTP app, wired once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from litestar import Litestar

from crm_commercial.api.routes import CONTROLLERS, Api
from crm_commercial.events.subscribers import build_subscriptions
from crm_commercial.handlers import Commercial
from crm_commercial.printing import Printouts
from crm_commercial.printouts import Issuer
from crm_commercial.settings import CommercialSettings
from crm_commercial.store import tables
from crm_commercial.store.tables import metadata
from crm_kit.http import blob_refs_in, create_app
from crm_kit.service import Service

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def bootstrap(settings: CommercialSettings | None = None, clock: Callable[[], datetime] = _utcnow) -> Service:
    """Build the commercial service (nothing connects until it runs)."""
    settings = settings or CommercialSettings()
    # fontTools logs every glyph subset at INFO, once per printout.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    service = Service(name="commercial", settings=settings, metadata=metadata, migrations=MIGRATIONS)
    commercial = Commercial(
        blobs=service.blobs,
        issuer=Issuer(settings.company_name, settings.company_fiscal_code, settings.company_address),
        font_dir=settings.font_dir,
        currency=settings.currency,
        timezone=ZoneInfo(settings.timezone),
        offer_valid_days=settings.offer_valid_days,
    )
    service.subscriptions = build_subscriptions(commercial, clock)
    printouts = Printouts(service.db, service.outbox, commercial)
    service.db.on_commit(printouts.wake)
    service.workers["printouts"] = printouts.run

    def make_app(svc: Service) -> Litestar:
        api = Api(
            db=svc.db, outbox=svc.outbox, blobs=svc.blobs, commercial=commercial, clock=clock, printouts=printouts
        )
        return create_app(
            svc,
            CONTROLLERS,
            dependencies={"api": lambda: api},
            title="CRM commercial (ERP side)",
            blob_refs=blob_refs_in(svc.db, tables.documents.c.printout_sha256, tables.articles.c.photos),
        )

    service.app_factory = make_app
    return service

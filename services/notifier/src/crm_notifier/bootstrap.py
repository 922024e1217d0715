"""The composition root: settings, store, outbox, consumer handlers, delivery worker and HTTP app."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from crm_kit.http import create_app
from crm_kit.service import Service
from crm_notifier.api.context import ApiContext
from crm_notifier.api.emails import EmailController, blob_check
from crm_notifier.api.mail_servers import MailServerController
from crm_notifier.api.messages import MessageController
from crm_notifier.api.notification_settings import NotificationSettingsController
from crm_notifier.credentials import CredentialBox
from crm_notifier.delivering import DeliveryWorker
from crm_notifier.events.publisher import Publisher
from crm_notifier.events.subscribers import build_subscriptions
from crm_notifier.notifying import Notifier
from crm_notifier.rendering import Renderer
from crm_notifier.settings import NotifierSettings
from crm_notifier.store.tables import metadata

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def bootstrap(settings: NotifierSettings | None = None) -> Service:
    """Build the notifier; nothing runs until the service's loops are started."""
    settings = settings or NotifierSettings()
    renderer = Renderer(settings.web_base_url, settings.default_language)
    service = Service(name="notifier", settings=settings, metadata=metadata, migrations=MIGRATIONS)
    publisher = Publisher(service.outbox)
    notifier = Notifier(renderer, publisher, settings.default_language)
    service.subscriptions = build_subscriptions(notifier)
    box = CredentialBox(settings.credentials_key)
    worker = DeliveryWorker(service.db, settings, publisher, service.blobs, box)
    service.db.on_commit(worker.wake)
    service.workers["deliver"] = worker.run
    api = ApiContext(
        db=service.db, settings=settings, publisher=publisher, box=box, blobs=service.blobs, notifier=notifier
    )

    def make_app(svc: Service) -> Litestar:
        return create_app(
            svc,
            [MailServerController, EmailController, MessageController, NotificationSettingsController],
            dependencies={"api": lambda: api},
            title="CRM notifier",
            blob_refs=blob_check(api),
        )

    service.app_factory = make_app
    return service

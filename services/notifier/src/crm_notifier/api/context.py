"""What the HTTP handlers need, built once by bootstrap and injected as ``api``."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit.blobs import BlobStore
from crm_kit.store import Database
from crm_notifier.credentials import CredentialBox
from crm_notifier.events.publisher import Publisher
from crm_notifier.notifying import Notifier
from crm_notifier.settings import NotifierSettings


@dataclass
class ApiContext:
    """The store, the publisher, the notifier, the credential box, the blobs and the settings."""

    db: Database
    settings: NotifierSettings
    publisher: Publisher
    box: CredentialBox
    blobs: BlobStore
    notifier: Notifier

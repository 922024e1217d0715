"""The Kafka topics: one per bounded context, each with a dead-letter topic."""

PARTNERS = "crm.partners"
COMMERCIAL = "crm.commercial"
OPPORTUNITIES = "crm.opportunities"
CAMPAIGNS = "crm.campaigns"
TASKS = "crm.tasks"
NOTIFICATIONS = "crm.notifications"
MAIL = "crm.mail"

ALL = (PARTNERS, COMMERCIAL, OPPORTUNITIES, CAMPAIGNS, TASKS, NOTIFICATIONS, MAIL)
"""Every topic name, without a deployment prefix."""

TOPIC_MODULES = {
    PARTNERS: "partners",
    COMMERCIAL: "commercial",
    OPPORTUNITIES: "opportunities",
    CAMPAIGNS: "campaigns",
    TASKS: "tasks",
    NOTIFICATIONS: "notifications",
    MAIL: "mail",
}
"""The contracts module that defines each topic's events."""


PUBLISHERS = {
    PARTNERS: "partners",
    COMMERCIAL: "commercial",
    OPPORTUNITIES: "opportunities",
    CAMPAIGNS: "campaigns",
    TASKS: "tasks",
    NOTIFICATIONS: "notifier",
    MAIL: "mail-ingest",
}
"""The service that owns each topic; its ``ce_source`` is ``/crm/<service>``."""

PARTITIONS = 6
"""Partitions of each topic the project creates (the default of ``CRM_TOPIC_PARTITIONS``)."""
EVENT_RETENTION_MS = -1
"""Event topics keep every event, so a new consumer can replay from offset 0 (ADR 0006)."""
DLQ_RETENTION_MS = 30 * 24 * 3600 * 1000
"""Dead letters are kept 30 days: long enough to look at, fix and replay them."""


def source(service: str) -> str:
    """The ``ce_source`` of a service's events, e.g. ``/crm/tasks``."""
    return f"/crm/{service}"


def dlq(topic: str) -> str:
    """The dead-letter topic of a topic."""
    return f"{topic}.dlq"


def is_dlq(topic: str) -> bool:
    """Whether a topic is a dead-letter topic."""
    return topic.endswith(".dlq")

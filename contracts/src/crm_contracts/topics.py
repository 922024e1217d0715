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


def dlq(topic: str) -> str:
    """The dead-letter topic of a topic."""
    return f"{topic}.dlq"


def is_dlq(topic: str) -> bool:
    """Whether a topic is a dead-letter topic."""
    return topic.endswith(".dlq")

"""The registry of every contract event, to parse raw Kafka messages into models."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from pydantic import ValidationError

from crm_contracts.base import ContractError, Event
from crm_contracts.topics import TOPIC_MODULES

_REGISTRY: dict[str, type[Event]] = {}


def _load() -> None:
    if _REGISTRY:
        return
    for module_name in TOPIC_MODULES.values():
        module = importlib.import_module(f"crm_contracts.{module_name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event and "event_name" in vars(obj):
                _REGISTRY[obj.ce_type()] = obj


def all_events() -> Iterable[type[Event]]:
    """Every registered event class, sorted by ce_type."""
    _load()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def event_class(ce_type: str) -> type[Event]:
    """The class for a ce_type, or ContractError when unknown."""
    _load()
    try:
        return _REGISTRY[ce_type]
    except KeyError:
        raise ContractError(ce_type, "unknown event type (or version)") from None


def parse(ce_type: str, payload: bytes | str) -> Event:
    """Parse a raw payload into its contract model.

    Raises:
        ContractError: unknown type or a payload that does not match its schema.
    """
    cls = event_class(ce_type)
    try:
        return cls.model_validate_json(payload)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ContractError(ce_type, f"invalid payload: {errors}") from None

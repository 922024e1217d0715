"""A service's settings class and ``bootstrap`` found by its name (``partners`` -> ``crm_partners``).

The test stack, the OpenAPI generator and ``crm replay`` build any service this way, without
the kit depending on the services.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from crm_kit.settings import ServiceSettings


def settings_class(name: str) -> type[ServiceSettings]:
    """The settings class of service ``name`` (the ServiceSettings subclass in ``crm_<name>.settings``)."""
    module = importlib.import_module(f"crm_{name.replace('-', '_')}.settings")
    for value in vars(module).values():
        if (
            inspect.isclass(value)
            and issubclass(value, ServiceSettings)
            and value is not ServiceSettings
            and value.__module__ == module.__name__
        ):
            return value
    raise LookupError(f"no ServiceSettings subclass in {module.__name__}")


def bootstrap_function(name: str) -> Callable[..., Any]:
    """The ``bootstrap`` of service ``name``."""
    return importlib.import_module(f"crm_{name.replace('-', '_')}.bootstrap").bootstrap  # type: ignore[no-any-return]

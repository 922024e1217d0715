"""Every service's HTTP app builds without Litestar's deprecation warnings: handler signatures say what each
parameter is (``FromQuery``, ``FromPath``, ``JSONBody``, ``NamedDependency`` ...), as Litestar 3 will require."""

from __future__ import annotations

import gc
import importlib
import warnings

import pytest

from crm_kit.ports import SERVICE_PORTS
from crm_kit.service import Service

SERVICES = [*(name.replace("-", "_") for name in SERVICE_PORTS), "gateway"]


def _service(name: str) -> Service:
    module = importlib.import_module(f"crm_{name}.bootstrap")
    if hasattr(module, "bootstrap"):
        return module.bootstrap()  # type: ignore[no-any-return]
    return module.build().service  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", SERVICES)
def test_the_app_builds_without_signatures_litestar_3_drops(name: str) -> None:
    service = _service(name)
    gc.collect()  # what earlier tests left behind is finalized now, not inside the block below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        service.app()
    # A connection another test left open and the collector finalizes here is not this app's warning.
    messages = sorted({str(w.message)[:200] for w in caught if not issubclass(w.category, ResourceWarning)})
    assert not messages, f"{len(caught)} warnings, e.g. {messages[:3]}"

"""``contracts/openapi.json``: the whole API's OpenAPI, built from every app without starting anything.

Each service's Litestar app is built through its ``bootstrap`` with throwaway settings (nothing
connects; services are imported by name, so the gateway does not depend on them), and their schemas
go through the gateway's own ``document`` step, the one that serves ``/api/schema``.
``python -m crm_gateway.contract --write`` regenerates the file; ``--check`` fails on drift.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from crm_gateway.api.openapi import document
from crm_kit.discovery import bootstrap_function, settings_class
from crm_kit.ports import SERVICE_PORTS

OUTPUT = Path(__file__).resolve().parents[4] / "contracts" / "openapi.json"
"""In the repository's ``contracts/`` folder, beside ``asyncapi.yaml`` (the workspace installs the gateway editable)."""
_THROWAWAY_SECRET = "openapi-generation-only-" + "x" * 16  # no app built here ever serves


def app_schema(name: str, scratch: Path) -> dict[str, Any]:
    """The OpenAPI of service ``name``'s app, built with settings that point at ``scratch`` only."""
    values: dict[str, Any] = {
        "identity_secret": _THROWAWAY_SECRET,
        "database_url": f"sqlite+aiosqlite:///{scratch / (name + '.db')}",
        "blob_dir": scratch / "blobs",
        "topic_prefix": "openapi-",
    }
    if name == "gateway":
        values["token_secret"] = _THROWAWAY_SECRET
    service = bootstrap_function(name)(settings_class(name)(**values))
    schema: dict[str, Any] = service.app().openapi_schema.to_schema()
    return schema


def render() -> str:
    """The document as committed: the gateway's finishing step over every service's schema, sorted keys."""
    with tempfile.TemporaryDirectory(prefix="crm-openapi-") as tmp:
        scratch = Path(tmp)
        gateway = app_schema("gateway", scratch)
        services = {name: app_schema(name, scratch) for name in SERVICE_PORTS}
    return json.dumps(document(gateway, services), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    """Print, write or drift-check ``contracts/openapi.json``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write contracts/openapi.json")
    parser.add_argument("--check", action="store_true", help="fail when the committed file differs")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            sys.stderr.write("contracts/openapi.json is out of date: run `make openapi` and commit it\n")
            sys.exit(1)
        return
    if args.write:
        OUTPUT.write_text(text)
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()

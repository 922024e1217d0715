"""The partners service keeps the one shape (#20): a pure domain, a framework-free service layer, adapters apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import crm_partners

SRC = Path(crm_partners.__file__).parent
FRAMEWORKS = ("sqlalchemy", "litestar", "faststream", "aiokafka", "httpx", "crm_contracts", "pydantic")


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (absolute names)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def offending(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{p.relative_to(SRC)} imports {name}"
        for p in paths
        for name in imports_of(p)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def test_the_domain_imports_no_framework_no_adapter_and_only_the_kits_pure_modules() -> None:
    domain = sorted((SRC / "domain").glob("*.py"))
    assert offending(domain, (*FRAMEWORKS, "crm_partners.api", "crm_partners.events", "crm_partners.store")) == []
    kit = {n for p in domain for n in imports_of(p) if n.startswith("crm_kit")}
    assert kit <= {"crm_kit.errors", "crm_kit.ids", "crm_kit.scoping", "crm_kit.search"}


@pytest.mark.parametrize("module", ["service_layer.py", "ports.py"])
def test_the_use_cases_and_ports_know_no_sql_no_http_no_contract(module: str) -> None:
    adapters = ("crm_partners.api", "crm_partners.events", "crm_partners.store", "crm_partners.bootstrap")
    assert offending([SRC / module], (*FRAMEWORKS, *adapters)) == []


@pytest.mark.parametrize(
    ("adapter", "others"),
    [
        ("api", ("crm_partners.events", "crm_partners.store", "sqlalchemy")),
        ("events", ("crm_partners.api", "crm_partners.store", "sqlalchemy", "litestar")),
        ("store", ("crm_partners.api", "crm_partners.events", "crm_partners.service_layer", "litestar")),
    ],
)
def test_an_adapter_does_not_import_another(adapter: str, others: tuple[str, ...]) -> None:
    files = [p for p in (SRC / adapter).rglob("*.py") if "migrations" not in p.parts]
    assert offending(files, others) == []

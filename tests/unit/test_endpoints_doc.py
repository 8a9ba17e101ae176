"""docs/endpoints.md is the generated table of every endpoint with its roles and scope, and it is current."""

from __future__ import annotations

from pathlib import Path

from services.gateway.app import create_app
from services.system import endpoint_table

ROOT = Path(__file__).resolve().parents[2]
#: Public on purpose: the health probes, and the outward event schemas a CloudEvent's `dataschema` points at.
PUBLIC = {("get", "/healthz"), ("get", "/readyz"), ("get", "/v1/schemas"), ("get", "/v1/schemas/{type_name}.json"),
          # The transparency log's key and signed heads: public, as a CT log's are (docs/audit.md).
          ("get", "/v1/audit/keys"), ("get", "/v1/audit/tree-heads/latest"), ("get", "/v1/audit/tree-heads")}


def test_the_committed_endpoint_table_is_current() -> None:
    committed = (ROOT / "docs" / "endpoints.md").read_text()
    assert committed == endpoint_table(), (
        "docs/endpoints.md is stale: run `python -m services.system endpoints > docs/endpoints.md`"
    )


def test_every_operation_declares_its_roles_and_scope() -> None:
    undeclared = [
        (method, path)
        for path, operations in create_app().openapi()["paths"].items()
        for method, op in operations.items()
        if (method, path) not in PUBLIC and not (op.get("x-gb-roles") and op.get("x-gb-scope"))
    ]
    assert undeclared == []

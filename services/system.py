"""The system's composition: which services run. The one module that names them all.

The kernel knows no service; the gateway, the projector, the runner and the tools get the services
from here. Adding a service is its package (with a contract that builds its ``SERVICE``), one entry
below and its compose entries (a test keeps compose and the runner equal).

    python -m services.system relay --service membership   # one service's outbox relay
    python -m services.system asyncapi > docs/asyncapi.json # the partners' AsyncAPI document (outward events)
    python -m services.system endpoints > docs/endpoints.md # every endpoint with its roles and scope
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from services.auditlog.contract.service import SERVICE as AUDITLOG
from services.investment.contract.service import SERVICE as INVESTMENT
from services.kernel import logs
from services.kernel.events import EventRegistry
from services.kernel.service import ServiceDefinition
from services.membership.contract.service import SERVICE as MEMBERSHIP
from services.partners.contract.service import SERVICE as PARTNERS
from services.secondment.contract.service import SERVICE as SECONDMENT
from services.workers.contract.service import SERVICE as WORKERS

#: Services that own an event store (one PostgreSQL database each) and publish to Kafka, in start order.
#: The audit log comes last: it logs every other service's events (services/auditlog).
SERVICES: tuple[ServiceDefinition, ...] = (MEMBERSHIP, SECONDMENT, INVESTMENT, PARTNERS, WORKERS, AUDITLOG)
#: The gateway owns only read models, in a database of its own.
READ_MODEL_DATABASE = "gateway"


def service(name: str) -> ServiceDefinition:
    for definition in SERVICES:
        if definition.name == name:
            return definition
    raise SystemExit(f"unknown service {name!r}; known: {', '.join(s.name for s in SERVICES)}")


def names() -> tuple[str, ...]:
    return tuple(s.name for s in SERVICES)


def registries() -> dict[str, EventRegistry[Any]]:
    """Each service's event registry, by service name."""
    return {s.name: s.registry for s in SERVICES}


def default_ports() -> dict[str, int]:
    return {s.name: s.default_port for s in SERVICES}


def topics() -> list[str]:
    return [s.topic for s in SERVICES]


def endpoint_table() -> str:
    """docs/endpoints.md: every operation of the public API with who may call it and which records they reach,
    read from the OpenAPI document (each operation's x-gb-roles and x-gb-scope)."""
    from services.gateway.app import create_app

    paths: dict[str, dict[str, Any]] = create_app().openapi()["paths"]
    rows: dict[str, list[str]] = {}
    for path, operations in paths.items():
        for method, op in operations.items():
            roles = ", ".join(f"`{r}`" for r in op.get("x-gb-roles", [])) or "public"
            scope = op.get("x-gb-scope", "—").replace("|", "\\|")
            what = " ".join((op.get("description") or op.get("summary", "")).strip().split("\n\n")[0].split())
            summary = what.split(". ")[0].rstrip(".").replace("|", "\\|")
            tag = (op.get("tags") or ["other"])[0]
            rows.setdefault(tag, []).append(f"| {method.upper()} | `{path}` | {summary} | {roles} | {scope} |")
    out = [
        "# Endpoints, roles and scope",
        "",
        "Generated from the gateway's OpenAPI document (`python -m services.system endpoints > docs/endpoints.md`);",
        "`tests/unit/test_endpoints_doc.py` fails when it is out of date. A command's roles and scope come from its",
        "route row in `services/<service>/contract/routes.py`; a query's from its declaration in",
        "`services/gateway/api/`. The role is checked by the gateway; the scope by the owning service (commands:",
        "`services/membership/access.py`, the secondment and investment domains) or by the gateway (reads:",
        "`services/gateway/api/access.py`), both with the one rule of `services/pure/scope.py`.",
        "",
    ]
    for tag in sorted(rows):
        out += [f"## {tag}", "", "| Method | Path | What | Roles | Scope |", "|---|---|---|---|---|", *rows[tag], ""]
    return "\n".join(out)


def main() -> None:
    from services.kernel import relay
    from services.partners.contract import asyncapi

    parser = argparse.ArgumentParser(description="Golden Bridge service tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("relay", help="publish a service's outbox to Kafka").add_argument("--service", required=True)
    commands.add_parser("asyncapi", help="print the partners' county-wide AsyncAPI document (the outward events)")
    commands.add_parser("endpoints", help="print the table of every public endpoint with its roles and scope")
    args = parser.parse_args()
    if args.command == "asyncapi":
        sys.stdout.write(asyncapi.render())
        return
    if args.command == "endpoints":
        sys.stdout.write(endpoint_table())
        return
    logs.configure()  # JSON lines with the correlation id (services/kernel/logs.py)
    definition = service(args.service)
    asyncio.run(relay.main(definition.name, definition.registry))


if __name__ == "__main__":
    main()

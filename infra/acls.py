"""Kafka principals and their ACLs: who may read and write which topic, as data.

One principal per kind of process (infra/processes.py names each process's principal); the broker
refuses everything an ACL does not allow (``allow.everyone.if.no.acl.found=false``):

| principal           | may                                                                           |
|---------------------|-------------------------------------------------------------------------------|
| broker              | super user: the broker's own inter-broker and controller connections          |
| operator            | super user: creates topics and ACLs; the runner, tests and developer tools    |
| relay-<service>     | WRITE its own service's event topic (idempotent producer: WRITE implies the   |
|                     | InitProducerId right since KIP-679, so no cluster-wide IdempotentWrite)        |
| projector           | READ every event topic; consumer groups prefixed ``gb-projector``             |
| funds-credit        | READ gb.investment.events; groups prefixed ``gb-policy-funds-credit`` (it     |
|                     | writes through the secondment service's HTTP API, never to Kafka)             |
| gateway             | DESCRIBE every event topic (its health check compares end offsets with the    |
|                     | read models' checkpoints; it reads no record)                                 |
| partner-<name>      | later: READ topics and groups prefixed ``gb.partner.<name>.`` (partner_grants) |

ACLs are created by the operator with the Admin API's CreateAcls (aiokafka 0.14 has the request but
no admin method for it); creating one that exists changes nothing, so ``ensure_acls`` is idempotent
and runs on every ``infra-up`` and in docker-compose's one-shot ``topics`` job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest

from services import system
from services.kernel.kafka import admin_client
from services.kernel.settings import KAFKA_OPERATOR, Settings
from services.kernel.topics import event_topic
from services.secondment.contract.service import FUNDS_CREDIT_GROUP

log = logging.getLogger("infra")

BROKER = "broker"
OPERATOR = KAFKA_OPERATOR
PROJECTOR = "projector"
FUNDS_CREDIT = "funds-credit"
GATEWAY = "gateway"
SUPER_USERS = (BROKER, OPERATOR)
PROJECTOR_GROUP_PREFIX = "gb-projector"

# The Kafka protocol's enums (org.apache.kafka.common.resource / acl).
RESOURCE_TYPES = {"topic": 2, "group": 3, "cluster": 4, "transactional_id": 5}
PATTERN_TYPES = {"literal": 3, "prefixed": 4}
OPERATIONS = {"ALL": 2, "READ": 3, "WRITE": 4, "CREATE": 5, "DELETE": 6, "ALTER": 7, "DESCRIBE": 8,
              "CLUSTER_ACTION": 9, "DESCRIBE_CONFIGS": 10, "ALTER_CONFIGS": 11, "IDEMPOTENT_WRITE": 12}
ALLOW = 3
ANY_HOST = "*"


@dataclass(frozen=True)
class Grant:
    """Allow ``operations`` on one resource (or every resource whose name starts with ``name``)."""

    resource: str
    name: str
    operations: tuple[str, ...]
    pattern: str = "literal"


def relay_principal(service: str) -> str:
    return f"relay-{service}"


def partner_principal(partner: str) -> str:
    return f"partner-{partner}"


def partner_grants(partner: str) -> tuple[Grant, ...]:
    """What a partner will get: its own topics and groups only, by prefix (no partner exists yet)."""
    prefix = f"gb.partner.{partner}."
    return (Grant("topic", prefix, ("READ",), "prefixed"), Grant("group", prefix, ("READ",), "prefixed"))


def grants() -> dict[str, tuple[Grant, ...]]:
    """Every application principal with what it may do (super users need no ACL)."""
    table: dict[str, tuple[Grant, ...]] = {
        relay_principal(s.name): (Grant("topic", s.topic, ("WRITE",)),) for s in system.SERVICES
    }
    table[FUNDS_CREDIT] = (
        Grant("topic", event_topic("investment"), ("READ",)),
        Grant("group", FUNDS_CREDIT_GROUP, ("READ",), "prefixed"),
    )
    table[PROJECTOR] = (
        *(Grant("topic", topic, ("READ",)) for topic in system.topics()),
        Grant("group", PROJECTOR_GROUP_PREFIX, ("READ",), "prefixed"),
    )
    table[GATEWAY] = tuple(Grant("topic", topic, ("DESCRIBE",)) for topic in system.topics())
    return table


def principals() -> list[str]:
    """Every principal that gets a SCRAM credential, super users first."""
    return [*SUPER_USERS, *grants()]


def bindings(table: dict[str, tuple[Grant, ...]] | None = None) -> list[tuple[int, str, int, str, str, int, int]]:
    """CreateAcls v1 creations: (resource type, name, pattern type, principal, host, operation, permission)."""
    rows = []
    for principal, principal_grants in (grants() if table is None else table).items():
        for g in principal_grants:
            for op in g.operations:
                rows.append((RESOURCE_TYPES[g.resource], g.name, PATTERN_TYPES[g.pattern], f"User:{principal}",
                             ANY_HOST, OPERATIONS[op], ALLOW))
    return rows


async def ensure_acls(settings: Settings, table: dict[str, tuple[Grant, ...]] | None = None) -> int:
    """Create every ACL of ``table`` (default: grants()) as the operator; returns how many were sent."""
    admin = admin_client(settings, "gb-acls", request_timeout_ms=30_000)
    await admin.start()
    try:
        rows = bindings(table)
        for row in rows:
            response: Any = await admin._send_to_controller(CreateAclsRequest(*row))
            for code, message in response.creation_responses:
                if code != 0:
                    raise RuntimeError(f"creating ACL {row} failed: {message or for_code(code).__name__}")
        return len(rows)
    finally:
        await admin.close()

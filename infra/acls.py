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
| partners            | the partner provisioner: ALTER on the cluster (CreateAcls and                 |
|                     | AlterUserScramCredentials both require it); CREATE + DESCRIBE on topics and   |
|                     | DESCRIBE on groups prefixed ``gb.partner.`` (the partners' lag report)         |
| partners-router     | READ every event topic; WRITE + DESCRIBE on topics prefixed ``gb.partner.``;  |
|                     | its faust group and ALL on faust's own topics (both ``gb-partners-router``)   |
| partners-webhooks   | READ + DESCRIBE on topics prefixed ``gb.partner.`` (no group: it keeps its    |
|                     | cursors in PostgreSQL)                                                        |
| auditlog            | READ every other service's event topic (the transparency log's sequencer; no  |
|                     | group: it keeps its offsets with the log's entries in PostgreSQL)             |
| partner-<id>        | not here: made by services/partners/provisioning.py when the county registers |
|                     | the partner — READ its own topic and its groups ``gb.partner.<id>.``          |

ALTER on the cluster is more than provisioning needs: Kafka has no narrower right for CreateAcls or
AlterUserScramCredentials, so the ``partners`` principal could grant anything to anyone. Only the
partners service's own process holds it; the router and the deliverer do not.

ACLs are created by the operator with the Admin API's CreateAcls (services/kernel/kafka.py
``create_acls``, shared with the partner provisioner); creating one that exists changes nothing, so
``ensure_acls`` is idempotent and runs on every ``infra-up`` and in docker-compose's one-shot
``topics`` job.
"""

from __future__ import annotations

import logging

from services import system
from services.kernel.kafka import CLUSTER, AclRow, Grant, acl_rows, admin_client, create_acls
from services.kernel.settings import KAFKA_OPERATOR, Settings
from services.kernel.topics import event_topic
from services.partners.contract.kafka import (
    PARTNER_PREFIX,
    PARTNERS_PRINCIPAL,
    ROUTER_APP_ID,
    ROUTER_PRINCIPAL,
    WEBHOOKS_PRINCIPAL,
)
from services.secondment.contract.service import FUNDS_CREDIT_GROUP

__all__ = ["AUDITLOG", "BROKER", "FUNDS_CREDIT", "GATEWAY", "OPERATOR", "PARTNERS", "PARTNERS_ROUTER",
           "PARTNERS_WEBHOOKS",
           "PROJECTOR", "PROJECTOR_GROUP_PREFIX", "SUPER_USERS", "Grant", "bindings", "ensure_acls", "grants",
           "partners_grants", "principals", "relay_principal", "service_principal"]

log = logging.getLogger("infra")

BROKER = "broker"
OPERATOR = KAFKA_OPERATOR
PROJECTOR = "projector"
FUNDS_CREDIT = "funds-credit"
GATEWAY = "gateway"
PARTNERS = PARTNERS_PRINCIPAL
PARTNERS_ROUTER = ROUTER_PRINCIPAL
PARTNERS_WEBHOOKS = WEBHOOKS_PRINCIPAL
AUDITLOG = "auditlog"
SUPER_USERS = (BROKER, OPERATOR)
PROJECTOR_GROUP_PREFIX = "gb-projector"


def service_principal(service: str) -> str | None:
    """The Kafka principal a service's own process runs as; None: its API opens no Kafka client."""
    return {"partners": PARTNERS, AUDITLOG: AUDITLOG}.get(service)


def relay_principal(service: str) -> str:
    return f"relay-{service}"


def partners_grants() -> dict[str, tuple[Grant, ...]]:
    """The partners service's three processes. Partner topics and groups are granted by prefix, so a
    partner registered at run time needs nothing here."""
    return {
        PARTNERS: (
            Grant("cluster", CLUSTER, ("ALTER",)),
            Grant("topic", PARTNER_PREFIX, ("CREATE", "DESCRIBE"), "prefixed"),
            Grant("group", PARTNER_PREFIX, ("DESCRIBE",), "prefixed"),
        ),
        PARTNERS_ROUTER: (
            *(Grant("topic", topic, ("READ",)) for topic in system.topics()),
            Grant("topic", PARTNER_PREFIX, ("WRITE", "DESCRIBE"), "prefixed"),
            Grant("group", ROUTER_APP_ID, ("READ",), "prefixed"),
            Grant("topic", f"{ROUTER_APP_ID}-", ("ALL",), "prefixed"),
        ),
        PARTNERS_WEBHOOKS: (Grant("topic", PARTNER_PREFIX, ("READ", "DESCRIBE"), "prefixed"),),
    }


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
    table[AUDITLOG] = tuple(Grant("topic", topic, ("READ",)) for topic in system.topics()
                            if topic != event_topic(AUDITLOG))
    table.update(partners_grants())
    return table


def principals() -> list[str]:
    """Every principal that gets a SCRAM credential, super users first."""
    return [*SUPER_USERS, *grants()]


def bindings(table: dict[str, tuple[Grant, ...]] | None = None) -> list[AclRow]:
    """CreateAcls v1 creations: (resource type, name, pattern type, principal, host, operation, permission)."""
    return acl_rows(grants() if table is None else table)


async def ensure_acls(settings: Settings, table: dict[str, tuple[Grant, ...]] | None = None) -> int:
    """Create every ACL of ``table`` (default: grants()) as the operator; returns how many were sent."""
    admin = admin_client(settings, "gb-acls", request_timeout_ms=30_000)
    await admin.start()
    try:
        return await create_acls(admin, grants() if table is None else table)
    finally:
        await admin.close()

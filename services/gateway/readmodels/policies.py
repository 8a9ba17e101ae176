"""County policy read model (``policy_changes``): every change the county published, from each service's topic,
so that the gateway's reports and due lists decide by the policy in force on a day as the services do.

The services decide with their own store's policy stream; a read here sees the changes the projector has
applied, like every other read (``min_position`` waits for them, ``as_of`` rebuilds them as recorded then).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import asyncpg
import orjson

from services.investment.contract.values import POLICY_BOOK as INVESTMENT
from services.kernel.events import Envelope
from services.kernel.projection import Op
from services.membership.contract.values import POLICY_BOOK as MEMBERSHIP
from services.pure.policy_data import PolicyBook, PolicyChangePublished, in_force
from services.secondment.contract.values import POLICY_BOOK as SECONDMENT
from services.workers.contract.values import POLICY_BOOK as WORKERS

#: The services whose numbers the county publishes (``POST /v1/policies/{service}``), with their policy books.
BOOKS: Mapping[str, PolicyBook] = {"membership": MEMBERSHIP, "secondment": SECONDMENT, "investment": INVESTMENT,
                                   "workers": WORKERS}

DDL = """
CREATE TABLE IF NOT EXISTS {schema}.policy_changes (
    service text NOT NULL,
    change_id text NOT NULL,
    policy text NOT NULL,
    effective_from date NOT NULL,
    changes jsonb NOT NULL,
    reason text NOT NULL,
    published_on date NOT NULL,
    actor text NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (service, change_id)
);
"""

#: The events ``apply`` projects; the projector hands this read model no others.
EVENTS: tuple[type, ...] = (PolicyChangePublished,)


def service_of(wire_type: str) -> str:
    """The publishing service, from the wire name ``gb.<service>.policy_published.v1``."""
    return wire_type.split(".")[1]


def apply(q: str, env: Envelope, event: Any) -> list[Op]:
    match event:
        case PolicyChangePublished():
            # A relay's redelivery carries the same change id: the first copy stands.
            return [(
                f"INSERT INTO {q}.policy_changes (service, change_id, policy, effective_from, changes, reason,"
                " published_on, actor, position) VALUES ($1,$2,$3,$4,$5::jsonb,$6,$7,$8,$9)"
                " ON CONFLICT (service, change_id) DO NOTHING",
                (service_of(env.type), event.change_id, event.policy, event.effective_from,
                 orjson.dumps(event.changes).decode(), event.reason, event.published_on, event.actor,
                 env.position or 0),
            )]
        case _:
            return []


async def published(pool: asyncpg.Pool | asyncpg.Connection, service: str) -> tuple[PolicyChangePublished, ...]:
    """Every change a service published, in the order it published them."""
    rows = await pool.fetch(
        "SELECT change_id, policy, effective_from, changes, reason, published_on, actor FROM policy_changes"
        " WHERE service = $1 ORDER BY position", service)
    # The gateway's read pool decodes jsonb itself (app.py's type codec); a plain connection gives the text.
    return tuple(PolicyChangePublished(
        policy=r["policy"], change_id=r["change_id"], effective_from=r["effective_from"],
        changes=r["changes"] if isinstance(r["changes"], dict) else orjson.loads(r["changes"]), reason=r["reason"],
        published_on=r["published_on"], actor=r["actor"],
    ) for r in rows)


async def policy_in_force(pool: asyncpg.Pool | asyncpg.Connection, service: str, name: str, day: date) -> Any:
    """Service ``service``'s policy ``name`` in force on ``day``: its code version with the published changes
    effective by then — the same answer the service's handlers take (services/pure/policy_data.py)."""
    return in_force(BOOKS[service].versions(name), await published(pool, service), name, day)

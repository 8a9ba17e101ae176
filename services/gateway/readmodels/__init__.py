"""The gateway's read models, one module each: its tables (DDL), its pure projection (``apply`` → Ops)
and the queries the API runs on it. ``PROJECTION`` applies them together, from every service's topic.

The projector applies partitions concurrently, so no read model keeps a figure that depends on the
order of two records' events: counts across records are derived when read (``branches_with_counts``).
"""

from __future__ import annotations

from services.gateway.readmodels import (
    branches,
    cadres,
    development,
    due_items,
    dues,
    leads,
    meetings,
    members,
    organisations,
    partners,
    policies,
    secondments,
    training,
    transfers,
    units,
    workers,
)
from services.investment.contract.events import REGISTRY as INVESTMENT
from services.kernel.projection import Projection
from services.membership.contract.events import REGISTRY as MEMBERSHIP
from services.partners.contract.events import REGISTRY as PARTNERS
from services.secondment.contract.events import REGISTRY as SECONDMENT
from services.workers.contract.events import REGISTRY as WORKERS

#: In DDL order: branches_with_counts reads members_view, so members come first.
MODULES = (members, branches, organisations, due_items, development, transfers, meetings, training, dues,
           units, cadres, secondments, leads, partners, workers, policies)

PROJECTION = Projection.combine(
    "gateway",
    registries=[MEMBERSHIP, SECONDMENT, INVESTMENT, PARTNERS, WORKERS],
    parts=[(module.DDL, module.EVENTS, module.apply) for module in MODULES],
)

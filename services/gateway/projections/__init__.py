"""Read models built from the services' event topics, applied together by one projector."""

from __future__ import annotations

from services.gateway.projections import development, dues, investment, meetings, membership, mobility, secondment
from services.investment.contract.events import REGISTRY as INVESTMENT
from services.kernel.projection import Projection
from services.membership.contract.events import REGISTRY as MEMBERSHIP
from services.secondment.contract.events import REGISTRY as SECONDMENT

PROJECTION = Projection.combine(
    "gateway",
    registries=[MEMBERSHIP, SECONDMENT, INVESTMENT],
    parts=[membership.PART, (development.DDL, development.apply), (mobility.DDL, mobility.apply),
           (meetings.DDL, meetings.apply), (dues.DDL, dues.apply),
           (secondment.DDL, secondment.apply), (investment.DDL, investment.apply)],
)

"""Read models built from the services' event topics, applied together by one projector."""

from __future__ import annotations

from services.gateway.projections import development, dues, meetings, membership, mobility
from services.kernel.projection import Projection
from services.membership.events import REGISTRY as MEMBERSHIP

PROJECTION = Projection.combine(
    "gateway",
    registries=[MEMBERSHIP],
    parts=[membership.PART, (development.DDL, development.apply), (mobility.DDL, mobility.apply),
           (meetings.DDL, meetings.apply), (dues.DDL, dues.apply)],
)

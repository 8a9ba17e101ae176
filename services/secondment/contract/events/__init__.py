"""Secondment events: each one frozen dataclass with one stable wire name ``gb.secondment.<event>.v1``.

Three aggregates write them — units (headcount over time), cadres and secondments. Expenses and
income of a cadre on secondment are the cadre's own (A): no event here records county money.
One module per part lists its events by wire name; this package joins them into the registry.
"""

from __future__ import annotations

from typing import Any

from services.kernel.events import EventRegistry
from services.pure.policy_data import PolicyChangePublished
from services.secondment.contract.events.secondments import (
    SECONDMENT_EVENTS,
    CadreReturned,
    CheckInRecorded,
    CommendationProposed,
    ContributionRecorded,
    EarlyEndRefused,
    EarlyEndRequested,
    ExtensionRefused,
    ExtensionRequested,
    NominationApproved,
    NominationRejected,
    PromotionProposed,
    ReserveCadreListed,
    SecondmentEndedEarly,
    SecondmentEvent,
    SecondmentExtended,
    SecondmentNominated,
    SecondmentStarted,
    UnpaidLeaveGranted,
)
from services.secondment.contract.events.units import (
    CADRE_EVENTS,
    UNIT_EVENTS,
    CadreEvent,
    CadreLinkedToMember,
    CadrePostChanged,
    CadreRegistered,
    UnitEvent,
    UnitHeadcountChanged,
    UnitRegistered,
)
from services.secondment.contract.events.values import (
    CommendationKind,
    ContributionKind,
    EndOutcome,
    HostKind,
    Placement,
    PostSnapshot,
    Route,
    UnitKind,
)

REGISTRY: EventRegistry[Any] = EventRegistry.join(
    source="/golden-bridge/secondment",
    parts=[UNIT_EVENTS, CADRE_EVENTS, SECONDMENT_EVENTS, {"gb.secondment.policy_published.v1": PolicyChangePublished}]
)

__all__ = [
    "CADRE_EVENTS", "REGISTRY", "SECONDMENT_EVENTS", "UNIT_EVENTS", "CadreEvent", "CadreLinkedToMember",
    "CadrePostChanged", "CadreRegistered", "CadreReturned", "CheckInRecorded", "CommendationKind",
    "CommendationProposed", "ContributionKind", "ContributionRecorded", "EarlyEndRefused", "EarlyEndRequested",
    "EndOutcome", "ExtensionRefused", "ExtensionRequested", "HostKind", "NominationApproved", "NominationRejected",
    "Placement", "PostSnapshot", "PromotionProposed", "ReserveCadreListed", "Route", "SecondmentEndedEarly",
    "SecondmentEvent", "SecondmentExtended", "SecondmentNominated", "SecondmentStarted", "UnitEvent",
    "UnitHeadcountChanged", "UnitKind", "UnitRegistered", "UnpaidLeaveGranted",
]

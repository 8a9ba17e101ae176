"""Membership events: each one dataclass, one stable wire name; schemas are generated from them.

One module per aggregate lists its events in ``EVENTS``; this package joins them into the registry.
"""

from __future__ import annotations

from typing import Any

from services.kernel.events import EventRegistry
from services.membership.contract.events import (
    branches,
    deadlines,
    development,
    dues,
    meetings,
    members,
    mobility,
    transfers,
)
from services.membership.contract.events.branches import (
    BranchEstablished,
    CommitteeElected,
    ElectionAdvanced,
    ElectionPostponed,
    FriendlyCommitteeLinked,
    OrganisationEstablished,
    SecretaryApproved,
    SecretaryElected,
)
from services.membership.contract.events.common import (
    BuildMode,
    Contact,
    DuesCategory,
    FoundingBasis,
    Instrument,
    MemberStatus,
)
from services.membership.contract.events.deadlines import DeadlineRaised
from services.membership.contract.events.development import DevelopmentEvent
from services.membership.contract.events.dues import DuesEvent
from services.membership.contract.events.meetings import MeetingRecorded, TrainingRecorded
from services.membership.contract.events.members import MemberEvent, MemberRegistered, OutflowRegistered
from services.membership.contract.events.mobility import MobilityEvent
from services.membership.contract.events.transfers import TransferEvent

OrganisationEvent = (
    BranchEstablished | OrganisationEstablished | FriendlyCommitteeLinked | CommitteeElected | SecretaryElected
    | SecretaryApproved | ElectionPostponed | ElectionAdvanced
)
MembershipEvent = (
    OrganisationEvent | MemberEvent | MobilityEvent | TransferEvent | DeadlineRaised | DevelopmentEvent
    | MeetingRecorded | TrainingRecorded | DuesEvent
)

REGISTRY: EventRegistry[Any] = EventRegistry.join(
    source="/golden-bridge/membership",
    parts=[branches.EVENTS, members.EVENTS, mobility.EVENTS, transfers.EVENTS, development.EVENTS, meetings.EVENTS,
           dues.EVENTS, deadlines.EVENTS],
)

__all__ = [
    "REGISTRY", "BranchEstablished", "BuildMode", "Contact", "DeadlineRaised", "DuesCategory", "FoundingBasis",
    "Instrument",
    "MemberRegistered", "MemberStatus", "MembershipEvent", "OutflowRegistered",
]

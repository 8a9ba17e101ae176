"""Membership events: each one dataclass, one stable wire name; schemas are generated from them.

One module per aggregate lists its events in ``EVENTS``; this package joins them into the registry.
"""

from __future__ import annotations

from collections.abc import Callable
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
    policy,
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
from services.membership.contract.events.meetings import MeetingDateCorrected, MeetingRecorded, TrainingRecorded
from services.membership.contract.events.members import (
    MemberEvent,
    MemberRegistered,
    OutflowRegistered,
    PersonalDataErased,
)
from services.membership.contract.events.mobility import MobilityEvent
from services.membership.contract.events.personal import SealedPersonalData
from services.membership.contract.events.transfers import TransferEvent
from services.pure.policy_data import PolicyChangePublished

OrganisationEvent = (
    BranchEstablished | OrganisationEstablished | FriendlyCommitteeLinked | CommitteeElected | SecretaryElected
    | SecretaryApproved | ElectionPostponed | ElectionAdvanced
)
MembershipEvent = (
    OrganisationEvent | MemberEvent | MobilityEvent | TransferEvent | DeadlineRaised | DevelopmentEvent
    | MeetingRecorded | MeetingDateCorrected | TrainingRecorded | DuesEvent | PolicyChangePublished
)

#: v1 → v2 of the events that carried personal data in clear: stored v1 events are read as v2.
UPCASTERS: dict[type, Callable[[Any], Any]] = {**members.UPCASTERS, **mobility.UPCASTERS, **development.UPCASTERS}


class UpcastingRegistry(EventRegistry[Any]):
    """The registry that reads a stored v1 event as its v2 type, so every reader — the handlers' folds, the
    read models, a rebuild from offset 0 — sees one shape: masked personal data, never the clear v1 values.

    The stored bytes are untouched (the hash chain covers them); only the decoded object is upcast.
    """

    def decode(self, wire_name: str, data: bytes | str) -> Any:
        event = super().decode(wire_name, data)
        upcast = UPCASTERS.get(type(event))
        return upcast(event) if upcast else event


REGISTRY: EventRegistry[Any] = UpcastingRegistry.join(
    source="/golden-bridge/membership",
    parts=[branches.EVENTS, members.EVENTS, mobility.EVENTS, transfers.EVENTS, development.EVENTS, meetings.EVENTS,
           dues.EVENTS, deadlines.EVENTS, policy.EVENTS],
)

__all__ = [
    "REGISTRY", "BranchEstablished", "BuildMode", "Contact", "DeadlineRaised", "DuesCategory", "FoundingBasis",
    "Instrument",
    "MemberRegistered", "MemberStatus", "MembershipEvent", "OutflowRegistered", "PersonalDataErased",
    "SealedPersonalData",
]

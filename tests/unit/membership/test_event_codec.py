"""Membership events survive the one codec: encode, then decode by wire name, gives the same event."""

from __future__ import annotations

from services.membership.contract.events import REGISTRY
from services.membership.domain import branches, members
from tests.unit.membership.builders import (
    a_registered_member,
    an_established_branch,
    decide,
    establish,
    outflow,
    register,
)


def test_every_event_round_trips_through_the_codec() -> None:
    (branch,) = branches.decide(branches.INITIAL, establish())
    (member,) = decide(members.INITIAL, register(), formal_org=an_established_branch())
    (away,) = decide(a_registered_member(), outflow())
    registry = REGISTRY
    for event in (branch, member, away):
        assert registry.decode(registry.wire_name(event), registry.encode(event)) == event

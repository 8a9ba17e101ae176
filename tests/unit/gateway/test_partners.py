"""The partners read model: partner systems and their subscriptions, with a paused one's reason."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from services.gateway.readmodels import partners
from services.partners.contract.events import (
    PartnerChanged,
    PartnerRegistered,
    PartnerScope,
    ReplayRequested,
    SubscriptionCreated,
    SubscriptionDeleted,
    SubscriptionPaused,
    SubscriptionResumed,
)
from services.partners.contract.values import DeliveryProtocol, PersonalDataPolicy
from tests.unit.gateway.builders import Q, assigned, envelope, event, row, target

AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_registered_partner_keeps_its_scope_and_policy() -> None:
    scope = PartnerScope(event_types=("goldenbridge.member.registered.v1",), townships=("tw-a",))
    ops = partners.apply(Q, envelope(), event(PartnerRegistered, partner_id="p", scope=scope,
                                              personal_data=PersonalDataPolicy.NONE, registered_at=AT))
    inserted = row(ops[0])
    assert target(ops[0]) == "partners_view"
    assert orjson.loads(inserted["scope"]) == {"event_types": ["goldenbridge.member.registered.v1"],
                                               "organisations": [], "townships": ["tw-a"]}
    assert inserted["personal_data"] == "none"
    changed = assigned(partners.apply(Q, envelope(), event(PartnerChanged, partner_id="p", scope=scope,
                                                           personal_data=PersonalDataPolicy.MASKED))[0])
    assert changed["personal_data"] == "masked"


def test_a_subscription_goes_active_paused_with_its_reason_active_and_deleted() -> None:
    created = row(partners.apply(Q, envelope(), event(SubscriptionCreated, subscription_id="s", partner_id="p",
                                                      protocol=DeliveryProtocol.HTTP, types=(), filters=(),
                                                      created_at=AT))[0])
    assert (created["protocol"], orjson.loads(created["types"])) == ("HTTP", [])
    paused = assigned(partners.apply(Q, envelope(), event(SubscriptionPaused, subscription_id="s", failures=8,
                                                          reason="HTTP 503", paused_at=AT))[0])
    assert paused["state"] == "paused" and paused["pause_reason"] == "8 failed attempts in a row; last: HTTP 503"
    resumed = assigned(partners.apply(Q, envelope(), event(SubscriptionResumed, subscription_id="s", resumed_at=AT))[0])
    assert resumed["state"] == "active"
    replay = assigned(partners.apply(Q, envelope(), event(ReplayRequested, subscription_id="s", from_position=3,
                                                          from_time=None, requested_at=AT))[0])
    assert orjson.loads(replay["last_replay"])["from_position"] == 3
    deleted = assigned(partners.apply(Q, envelope(), event(SubscriptionDeleted, subscription_id="s", deleted_at=AT))[0])
    assert deleted["state"] == "deleted"

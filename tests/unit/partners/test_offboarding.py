"""Off-boarding a partner: deactivation, reactivation and a rotated Kafka password, as the domain decides them —
and what the router, the deliverer and the readers make of a deactivated partner."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from services.gateway.readmodels import PROJECTION
from services.gateway.readmodels import partners as view
from services.kernel.store import RecordedEvent, Stream
from services.partners import handlers, secret
from services.partners.contract.commands import (
    ChangePartner,
    CreateSubscription,
    DeactivatePartner,
    DeleteSubscription,
    PauseSubscription,
    ReactivatePartner,
    RequestReplay,
    ResumeSubscription,
    RotatePartnerCredential,
    UpdateSubscription,
)
from services.partners.contract.events import (
    PartnerCredentialRotated,
    PartnerDeactivated,
    PartnerReactivated,
    SubscriptionCreated,
    SubscriptionDeleted,
    SubscriptionPaused,
)
from services.partners.contract.values import DeliveryProtocol, PersonalDataPolicy, SubscriptionState
from services.partners.directory import DirectoryReader
from services.partners.domain import partners, subscriptions
from services.partners.domain.partners import Partner
from services.partners.domain.routing import Directory, OrgTree, route, to_outward
from services.partners.sink_address import url_host
from services.partners.webhooks import Deliverer, _Running
from services.pure.errors import DomainError, NotFound, StateConflict
from tests.unit.gateway.builders import Q, assigned, envelope
from tests.unit.partners.builders import COUNTY, LATER, T0, member, partner, subscription

DAY = date(2026, 3, 1)
PRODUCTION = {"GB_ENV": "production", "GB_PARTNERS_SECRET": "k" * 40}
PID = "host-ningbo"


def deactivate(reason: str = "协议到期") -> DeactivatePartner:
    return DeactivatePartner(actor=COUNTY, today=DAY, partner_id=PID, reason=reason)


def reactivate() -> ReactivatePartner:
    return ReactivatePartner(actor=COUNTY, today=DAY, partner_id=PID)


def rotate() -> RotatePartnerCredential:
    return RotatePartnerCredential(actor=COUNTY, today=DAY, partner_id=PID)


def after(state: Partner | None, cmd: Any) -> Partner:
    for event in partners.decide(state, cmd, now=T0):
        state = partners.evolve(state, event)
    assert state is not None
    return state


def deactivated() -> Partner:
    return after(partner(PID), deactivate())


# --------------------------------------------------------------------------- the partner's own rules


def test_a_deactivated_partner_records_why_and_deactivating_it_again_is_refused() -> None:
    [event] = partners.decide(partner(PID), deactivate("  协议到期  "), now=T0)
    assert isinstance(event, PartnerDeactivated) and event.reason == "协议到期"
    state = partners.evolve(partner(PID), event)
    assert state is not None and not state.active
    with pytest.raises(StateConflict, match="already deactivated"):
        partners.decide(state, deactivate(), now=T0)


@pytest.mark.parametrize(("reason", "says"), [("  ", "reason"), ("x" * 501, "reason"),
                                              ("联系 13800138000", "looks like")])
def test_a_deactivation_gives_a_reason_with_no_phone_or_id_number_in_it(reason: str, says: str) -> None:
    with pytest.raises(DomainError, match=says):
        partners.decide(partner(PID), deactivate(reason), now=T0)


def test_reactivation_gives_the_partner_a_new_credential_generation() -> None:
    [event] = partners.decide(deactivated(), reactivate(), now=T0)
    assert isinstance(event, PartnerReactivated) and event.credential_generation == 1
    state = partners.evolve(deactivated(), event)
    assert state is not None and state.active and state.credential_generation == 1


def test_only_a_deactivated_partner_is_reactivated() -> None:
    with pytest.raises(StateConflict, match="is active"):
        partners.decide(partner(PID), reactivate(), now=T0)


def test_each_rotation_bumps_the_generation_and_a_later_reactivation_goes_past_it() -> None:
    state = after(after(partner(PID), rotate()), rotate())
    assert state.credential_generation == 2
    [event] = partners.decide(state, rotate(), now=T0)
    assert isinstance(event, PartnerCredentialRotated) and event.credential_generation == 3
    state = after(after(state, deactivate()), reactivate())
    assert state.active and state.credential_generation == 3


def test_a_deactivated_partner_has_no_credential_to_rotate() -> None:
    with pytest.raises(StateConflict, match="deactivated"):
        partners.decide(deactivated(), rotate(), now=T0)


@pytest.mark.parametrize("cmd", [deactivate(), reactivate(), rotate()])
def test_an_unknown_partner_is_404(cmd: Any) -> None:
    with pytest.raises(NotFound):
        partners.decide(None, cmd, now=T0)


def test_changing_a_deactivated_partner_keeps_it_deactivated_with_its_generation() -> None:
    state = after(after(partner(PID), rotate()), deactivate())
    change = ChangePartner(actor=COUNTY, today=DAY, partner_id=PID, name="新名称", contact="组织科",
                           scope=state.scope, personal_data=PersonalDataPolicy.NONE)
    changed = after(state, change)
    assert (changed.active, changed.credential_generation, changed.name) == (False, 1, "新名称")


# --------------------------------------------------------------------------- its subscriptions


def _subscription_decide(state: subscriptions.Subscription | None, cmd: Any, owner: Partner) -> list[Any]:
    return list(subscriptions.decide(state, cmd, partner=owner, now=LATER, allow_private_sinks=False,
                                     read_host=url_host))


@pytest.mark.parametrize(("cmd", "done"), [
    (CreateSubscription(actor=COUNTY, today=DAY, subscription_id="s-2", partner_id=PID,
                        protocol=DeliveryProtocol.KAFKA), "created"),
    (UpdateSubscription(actor=COUNTY, today=DAY, subscription_id="s-1", sink="https://partner.example/hook"),
     "changed"),
    (ResumeSubscription(actor=COUNTY, today=DAY, subscription_id="s-1"), "resumed"),
    (RequestReplay(actor=COUNTY, today=DAY, subscription_id="s-1", from_position=0), "replayed"),
])
def test_a_deactivated_partners_subscriptions_are_not_created_changed_resumed_or_replayed(cmd: Any,
                                                                                          done: str) -> None:
    paused = subscription(PID, state=SubscriptionState.PAUSED, protocol=DeliveryProtocol.HTTP)
    state = None if isinstance(cmd, CreateSubscription) else paused
    with pytest.raises(StateConflict, match=f"partner {PID} is deactivated.*cannot be {done}"):
        _subscription_decide(state, cmd, deactivated())
    assert _subscription_decide(state, cmd, partner(PID))  # the same command, the partner active


def test_a_deactivated_partners_subscription_may_still_be_deleted_or_paused() -> None:
    active = subscription(PID, protocol=DeliveryProtocol.HTTP)
    [deleted] = _subscription_decide(active, DeleteSubscription(actor=COUNTY, today=DAY, subscription_id="s-1"),
                                     deactivated())
    assert isinstance(deleted, SubscriptionDeleted)
    [paused] = _subscription_decide(active, PauseSubscription(actor=COUNTY, today=DAY, subscription_id="s-1",
                                                              reason="503", failures=8, next_position=3),
                                    deactivated())
    assert isinstance(paused, SubscriptionPaused)


# --------------------------------------------------------------------------- its password


def test_generation_0_is_the_password_every_partner_had_and_each_generation_has_its_own() -> None:
    def hmac_of(message: str) -> str:
        digest = hmac.new(b"k" * 40, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    assert secret.kafka_password(PID, PRODUCTION) == hmac_of(f"kafka:{PID}")
    assert secret.kafka_password(PID, PRODUCTION, generation=0) == hmac_of(f"kafka:{PID}")
    assert secret.kafka_password(PID, PRODUCTION, generation=1) == hmac_of(f"kafka:{PID}:1")
    assert len({secret.kafka_password(PID, PRODUCTION, generation=g) for g in range(5)}) == 5
    with pytest.raises(ValueError, match="generation"):
        secret.kafka_password(PID, PRODUCTION, generation=-1)


# --------------------------------------------------------------------------- the router and the deliverer


def test_no_event_recorded_while_a_partner_is_deactivated_is_routed_to_it_however_late_it_is_routed() -> None:
    item = to_outward(member("m-1", "br-a1"))
    assert item is not None
    gone_at, back_at = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    [gone] = partners.decide(partner(PID), deactivate(), now=gone_at)
    deactivated_partner = partners.evolve(partner(PID), gone)
    [back] = partners.decide(deactivated_partner, reactivate(), now=back_at)
    reactivated_partner = partners.evolve(deactivated_partner, back)

    def routed_to(state: Partner | None, recorded: datetime) -> list[str]:
        assert state is not None
        directory = Directory.of({PID: state, "other": partner("other")},
                                 [subscription(PID), subscription("other", "s-2")])
        return [d.partner_id for d in route(item, event_id="e-1", source="/golden-bridge/membership", time=recorded,
                                            directory=directory, tree=OrgTree(), public_base_url="https://gb.example")]

    # Deactivated now: an event recorded since is not routed to it; one recorded before still is (a router that
    # comes to it late, or again after a crash, decides as it would have at once).
    assert routed_to(deactivated_partner, gone_at + timedelta(seconds=1)) == ["other"]
    assert routed_to(deactivated_partner, gone_at - timedelta(seconds=1)) == [PID, "other"]
    # Reactivated: what was recorded meanwhile never is; what is recorded from then on is.
    assert routed_to(reactivated_partner, back_at - timedelta(seconds=1)) == ["other"]
    assert routed_to(reactivated_partner, back_at) == [PID, "other"]


class _Loop:
    def __init__(self) -> None:
        self.interrupted = False

    def interrupt(self) -> None:
        self.interrupted = True


async def test_the_deliverer_stops_a_deactivated_partners_webhooks_and_starts_none() -> None:
    reader = DirectoryReader(cast(Any, None))
    reader.partners = {PID: deactivated()}
    reader.subscriptions = {
        "s-1": subscription(PID, "s-1", protocol=DeliveryProtocol.HTTP),
        "s-2": subscription(PID, "s-2", protocol=DeliveryProtocol.HTTP),
    }
    deliverer = Deliverer(settings=cast(Any, None), options=cast(Any, None))
    loop, running = _Loop(), asyncio.get_running_loop().create_future()
    deliverer.running["s-1"] = _Running(delivery=cast(Any, loop), task=cast(Any, running), replay_id=None)
    deliverer.reconcile(cast(Any, SimpleNamespace(reader=reader)))
    assert loop.interrupted  # the running one stops between two attempts
    assert set(deliverer.running) == {"s-1"}  # and s-2 was not started
    running.cancel()


# --------------------------------------------------------------------------- one stream-id namespace


class _Store:
    """Loads one stream: what the partners store answers for an id whatever kind of record it names."""

    def __init__(self, stream_type: str, events: list[Any]) -> None:
        self.stream_type, self.events = stream_type, events

    async def load(self, stream_id: str) -> Stream[Any]:
        envelope = cast(Any, SimpleNamespace(stream_type=self.stream_type))
        return Stream(stream_id=stream_id, version=len(self.events),
                      events=[RecordedEvent(envelope=envelope, event=e) for e in self.events])


async def test_a_partners_id_names_no_subscription_and_a_subscriptions_id_no_partner() -> None:
    partner_stream = _Store("partner", [PartnerDeactivated(partner_id=PID, reason="x", deactivated_at=T0, actor="c")])
    assert await handlers.subscription_of(cast(Any, partner_stream), PID) is None
    created = SubscriptionCreated(subscription_id="s-1", partner_id=PID, types=(), filters=(), sink="x",
                                  protocol=DeliveryProtocol.KAFKA, created_at=T0, actor="c")
    subscription_stream = _Store("subscription", [created])
    assert await handlers.partner_of(cast(Any, subscription_stream), "s-1") is None
    found = await handlers.subscription_of(cast(Any, subscription_stream), "s-1")
    assert found is not None and found.partner_id == PID


# --------------------------------------------------------------------------- what the county reads


def test_the_partner_record_shows_a_deactivation_with_its_reason_and_the_credential_generation() -> None:
    PROJECTION.ddl.format(schema=Q)  # the read models' DDL takes its schema name (no stray braces)
    gone = assigned(view.apply(Q, envelope(), PartnerDeactivated(partner_id=PID, reason="协议到期",
                                                                  deactivated_at=T0, actor="c"))[0])
    assert (gone["state"], gone["deactivation_reason"]) == ("deactivated", "协议到期")
    rotated = assigned(view.apply(Q, envelope(), PartnerCredentialRotated(partner_id=PID, credential_generation=1,
                                                                          rotated_at=T0, actor="c"))[0])
    assert rotated["credential_generation"] == 1
    back = assigned(view.apply(Q, envelope(), PartnerReactivated(partner_id=PID, credential_generation=2,
                                                                 reactivated_at=T0, actor="c"))[0])
    assert (back["state"], back["deactivation_reason"], back["credential_generation"]) == ("active", None, 2)

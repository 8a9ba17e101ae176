"""Partners and subscriptions: what the county and a partner may register, change and ask of them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.partners.contract.commands import (
    ChangePartner,
    CreateSubscription,
    DeleteSubscription,
    PauseSubscription,
    RegisterPartner,
    RequestReplay,
    ResumeSubscription,
    UpdateSubscription,
)
from services.partners.contract.events import PartnerRegistered, PartnerScope, SubscriptionCreated, SubscriptionPaused
from services.partners.contract.values import (
    REPLAY_WINDOW_HOURS,
    REPLAYS_PER_WINDOW,
    DeliveryProtocol,
    PartnerKind,
    PersonalDataPolicy,
    SubscriptionState,
)
from services.partners.domain import partners, subscriptions
from services.partners.sink_address import url_host
from services.pure.errors import AlreadyExists, DomainError, NotFound, StateConflict, TooManyRequests
from services.pure.identity import Actor, Role
from tests.unit.partners.builders import COUNTY, LATER, ORGANISATION, REGISTERED, T0, partner

DAY = date(2026, 3, 1)
SCOPE = PartnerScope(event_types=(REGISTERED,), townships=("tw-a",))


def register(partner_id: str = "host-ningbo", scope: PartnerScope = SCOPE, name: str = "宁波") -> RegisterPartner:
    return RegisterPartner(actor=COUNTY, today=DAY, partner_id=partner_id, name=name,
                           kind=PartnerKind.HOST_COMMITTEE, contact="0574", scope=scope)


def test_a_partner_is_registered_once_with_its_scope_and_policy() -> None:
    [event] = partners.decide(None, register(), now=T0)
    assert isinstance(event, PartnerRegistered)
    assert event.personal_data is PersonalDataPolicy.MASKED and event.scope == SCOPE
    state = partners.evolve(None, event)
    with pytest.raises(AlreadyExists):
        partners.decide(state, register(), now=T0)


@pytest.mark.parametrize("partner_id", ["Host", "-x", "a" * 41, "a b", "a/b", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"])
def test_a_partner_id_must_make_a_topic_and_principal_name(partner_id: str) -> None:
    with pytest.raises(DomainError, match="partner_id"):
        partners.decide(None, register(partner_id), now=T0)


@pytest.mark.parametrize(("scope", "says"), [
    (PartnerScope(event_types=()), "at least one"),
    (PartnerScope(event_types=("gb.membership.member_registered.v2",)), "unknown outward"),
    (PartnerScope(event_types=(REGISTERED,), townships=("tw a",)), "not an organisation id"),
])
def test_a_scope_names_outward_types_and_organisation_ids(scope: PartnerScope, says: str) -> None:
    with pytest.raises(DomainError, match=says):
        partners.decide(None, register(scope=scope), now=T0)


def test_changing_an_unknown_partner_is_404() -> None:
    change = ChangePartner(actor=COUNTY, today=DAY, partner_id="x", name="x", contact="c", scope=SCOPE,
                           personal_data=PersonalDataPolicy.NONE)
    with pytest.raises(NotFound):
        partners.decide(None, change, now=T0)


def create(protocol: DeliveryProtocol = DeliveryProtocol.HTTP, sink: str = "https://partner.example/hook",
           types: tuple[str, ...] = ()) -> CreateSubscription:
    return CreateSubscription(actor=COUNTY, today=DAY, subscription_id="s-1", partner_id="host-ningbo",
                              protocol=protocol, sink=sink, types=types)


def _decide(state: subscriptions.Subscription | None, cmd: object, *, private: bool = False) -> list[object]:
    return list(subscriptions.decide(state, cmd, partner=partner(types=(REGISTERED,)), now=T0,  # type: ignore[arg-type]
                                     allow_private_sinks=private, read_host=url_host))


def test_a_kafka_subscription_delivers_to_the_partners_own_topic_only() -> None:
    [event] = _decide(None, create(DeliveryProtocol.KAFKA, sink=""))
    assert isinstance(event, SubscriptionCreated) and event.sink == "gb.partner.host-ningbo.events"
    with pytest.raises(DomainError, match="own topic"):
        _decide(None, create(DeliveryProtocol.KAFKA, sink="gb.partner.other.events"))


@pytest.mark.parametrize(("sink", "says"), [
    ("ftp://x/y", "http"), ("https://user:pw@x.example/", "credentials"), ("http://127.0.0.1:9/h", "public"),
    ("http://10.1.2.3/h", "public"), ("http://localhost/h", "public"), ("http:///nohost", "http"),
])
def test_a_webhook_sink_is_a_public_http_url_outside_development(sink: str, says: str) -> None:
    with pytest.raises(DomainError, match=says):
        _decide(None, create(sink=sink))


def test_development_may_deliver_to_this_machine() -> None:
    [event] = _decide(None, create(sink="http://127.0.0.1:9000/hook"), private=True)
    assert isinstance(event, SubscriptionCreated)


def test_types_outside_the_partners_scope_are_refused() -> None:
    with pytest.raises(DomainError, match="outside the partner's scope"):
        _decide(None, create(types=(ORGANISATION,)))


def test_pause_resume_replay_and_delete_follow_the_subscriptions_state() -> None:
    state = subscriptions.evolve(None, _decide(None, create())[0])  # type: ignore[arg-type]
    assert state is not None and state.state is SubscriptionState.ACTIVE
    with pytest.raises(StateConflict, match="not paused"):
        _decide(state, ResumeSubscription(actor=COUNTY, today=DAY, subscription_id="s-1"))
    [paused] = _decide(state, PauseSubscription(actor=COUNTY, today=DAY, subscription_id="s-1", reason="503",
                                                failures=8, next_position=41))
    assert isinstance(paused, SubscriptionPaused) and paused.next_position == 41
    state = subscriptions.evolve(state, paused)
    assert state is not None and state.state is SubscriptionState.PAUSED
    state = subscriptions.evolve(state, _decide(state, ResumeSubscription(actor=COUNTY, today=DAY,
                                                                          subscription_id="s-1"))[0])  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="exactly one"):
        _decide(state, RequestReplay(actor=COUNTY, today=DAY, subscription_id="s-1"))
    with pytest.raises(DomainError, match="exactly one"):
        _decide(state, RequestReplay(actor=COUNTY, today=DAY, subscription_id="s-1", from_position=1, from_time=LATER))
    assert _decide(state, RequestReplay(actor=COUNTY, today=DAY, subscription_id="s-1", from_position=0))
    state = subscriptions.evolve(state, _decide(state, DeleteSubscription(actor=COUNTY, today=DAY,
                                                                          subscription_id="s-1"))[0])  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        _decide(state, UpdateSubscription(actor=COUNTY, today=DAY, subscription_id="s-1"))


def test_a_kafka_subscription_is_not_replayed_by_the_system() -> None:
    state = subscriptions.evolve(None, _decide(None, create(DeliveryProtocol.KAFKA, sink=""))[0])  # type: ignore[arg-type]
    with pytest.raises(StateConflict, match="seeking"):
        _decide(state, RequestReplay(actor=COUNTY, today=DAY, subscription_id="s-1", from_position=0))


PARTNER = Actor(subject="ningbo-system", role=Role.PARTNER, org_id="host-ningbo")


def _replayed(state: subscriptions.Subscription | None, actor: Actor, at: datetime) -> subscriptions.Subscription:
    """``state`` after ``actor`` asked for a replay at ``at``."""
    [event] = subscriptions.decide(state, RequestReplay(actor=actor, today=DAY, subscription_id="s-1", from_position=0),
                                   partner=partner(types=(REGISTERED,)), now=at, allow_private_sinks=False,
                                   read_host=url_host)
    after = subscriptions.evolve(state, event)
    assert after is not None
    return after


def test_a_partner_asks_at_most_six_replays_of_a_subscription_a_day_and_is_told_when_it_may_again() -> None:
    state = subscriptions.evolve(None, _decide(None, create())[0])  # type: ignore[arg-type]
    start = T0
    for n in range(REPLAYS_PER_WINDOW):
        state = _replayed(state, PARTNER, start + timedelta(hours=n))
    with pytest.raises(TooManyRequests, match=f"{REPLAYS_PER_WINDOW} times") as refused:
        _replayed(state, PARTNER, start + timedelta(hours=10))
    # The first of the six leaves the 24 hours at start + 24 h: 14 hours after the refusal.
    assert refused.value.status == 429
    assert refused.value.extra["retry_after_seconds"] == 14 * 3600
    assert "840 min" in refused.value.detail
    # The county answers for the deliverer: its replays are neither refused nor counted.
    state = _replayed(state, COUNTY, start + timedelta(hours=10))
    assert len(state.partner_replays) == REPLAYS_PER_WINDOW
    # Once the first is 24 hours old, the partner may ask once more — and then not again until the second is.
    state = _replayed(state, PARTNER, start + timedelta(hours=24))
    with pytest.raises(TooManyRequests):
        _replayed(state, PARTNER, start + timedelta(hours=24, seconds=1))
    assert len(state.partner_replays) == REPLAYS_PER_WINDOW  # what the state keeps stays bounded


@given(st.lists(st.integers(min_value=0, max_value=72 * 3600), max_size=30))
def test_a_partners_replay_is_refused_exactly_when_six_were_asked_within_the_last_24_hours(offsets: list[int]) -> None:
    state = subscriptions.evolve(None, _decide(None, create())[0])  # type: ignore[arg-type]
    taken: list[datetime] = []
    for offset in sorted(offsets):
        at = T0 + timedelta(seconds=offset)
        within = [t for t in taken if t > at - timedelta(hours=REPLAY_WINDOW_HOURS)]
        if len(within) >= REPLAYS_PER_WINDOW:
            with pytest.raises(TooManyRequests) as refused:
                _replayed(state, PARTNER, at)
            # Asked again when told, it is taken.
            later = at + timedelta(seconds=refused.value.extra["retry_after_seconds"])
            assert len([t for t in taken if t > later - timedelta(hours=REPLAY_WINDOW_HOURS)]) < REPLAYS_PER_WINDOW
        else:
            state = _replayed(state, PARTNER, at)
            taken.append(at)

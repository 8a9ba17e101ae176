"""The partner-facing surface attacked as a hostile partner and a careless county (review of 2026-12-02), the pure
rules and the delivery loop's pieces: what a refused sink tells the partner, replays the delivery loop could not
start from, subscriptions heavy enough to slow the router for every partner, and a lead's investor, who may be a
person."""

from __future__ import annotations

import ipaddress
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import TopicPartition

from services.investment.contract.events import LeadKind, LeadRegistered, RegistrantKind
from services.partners.contract.commands import CreateSubscription, RegisterPartner, RequestReplay
from services.partners.contract.events import PartnerScope
from services.partners.contract.values import DeliveryProtocol, PartnerKind, PersonalDataPolicy
from services.partners.domain import filters, partners, subscriptions
from services.partners.domain.routing import Directory, OrgTree, route, to_outward
from services.partners.domain.sinks import Address
from services.partners.sink_address import SinkRefused, target, url_host
from services.partners.webhook_delivery import offset_at
from services.pure.errors import DomainError
from tests.unit.partners.builders import COUNTY, LATER, T0, partner, subscription

LEAD = "goldenbridge.lead.registered.v1"
DAY = date(2026, 3, 2)


# ------------------------------------------------------------------------------------- what a refused sink says

async def test_a_name_resolving_to_the_countys_network_is_refused_without_naming_the_address() -> None:
    """Before: ``refused: intranet.partner.example resolves to 10.20.30.40, …`` — in the delivery log the partner
    reads, and in the pause's reason kept for ever in an event: the deliverer answered which internal address any
    name has, a map of the county's network drawn by its own resolver."""
    async def internal(host: str, port: int) -> list[Address]:
        return [ipaddress.ip_address("10.20.30.40"), ipaddress.ip_address("fd00::5")]

    with pytest.raises(SinkRefused) as refused:
        await target("https://intranet.partner.example/hook", allow_private=False, resolve=internal)
    message = str(refused.value)
    assert "10.20.30.40" not in message and "fd00" not in message
    assert message == ("refused: intranet.partner.example resolves to a private or reserved address, not a public "
                       "address; nothing was sent")


# ------------------------------------------------------------------------------------------------------ replays

def _replay(**when: Any) -> list[Any]:
    state = subscriptions.Subscription(
        subscription_id="s-1", partner_id="host-ningbo", protocol=DeliveryProtocol.HTTP, sink="https://p.example/h",
        types=(), filters=(), state=subscriptions.SubscriptionState.ACTIVE, created_at=T0)
    return subscriptions.decide(state, RequestReplay(actor=COUNTY, today=DAY, subscription_id="s-1", **when),
                                partner=partner(), now=LATER, allow_private_sinks=False, read_host=url_host)


def test_a_replay_from_before_1970_is_taken() -> None:
    assert _replay(from_time=datetime(1900, 1, 1, tzinfo=UTC))


class _Topic:
    """A partner topic of 5 records, answering like aiokafka (which refuses a negative time)."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: 5 for tp in partitions}

    async def offsets_for_times(self, timestamps: dict[TopicPartition, int]) -> dict[TopicPartition, Any]:
        for tp, ts in timestamps.items():
            if ts < 0:
                raise ValueError(f"The target time for partition {tp} is {ts}. The target time cannot be negative.")
            self.asked.append(ts)

        class Found:
            offset = 0
        return {tp: Found() for tp in timestamps}


async def test_a_replay_from_before_1970_starts_at_the_first_record() -> None:
    """Before: Kafka's client refused the negative time, so the delivery loop failed at every start — the
    subscription shown active, nothing delivered, nothing in its log — until someone asked another replay."""
    topic, tp = _Topic(), TopicPartition("gb.partner.host-ningbo.events", 0)
    assert await offset_at(topic, tp, datetime(1900, 1, 1, tzinfo=UTC)) == 0  # type: ignore[arg-type]
    assert topic.asked == [0]


# ------------------------------------------------------------------------- subscriptions the router must evaluate

def test_a_subscriptions_filters_hold_at_most_a_hundred_expressions_in_all() -> None:
    """Before: one ``any`` of 20,000 expressions (under the 1 MB body limit) was taken, and the router — one process
    for every partner — evaluated all of them for each event in that partner's scope."""
    leaves = [{"exact": {"subject": f"member/m-{n}"}} for n in range(filters.MAX_EXPRESSIONS)]
    with pytest.raises(filters.InvalidFilter, match="at most 100 filter expressions in all"):
        filters.check([{"any": leaves}])
    with pytest.raises(filters.InvalidFilter, match="at most 100 filter expressions"):
        filters.check([{"not": {"any": leaves[:60]}}, {"all": leaves[:40]}])
    filters.check([{"any": leaves[:99]}])


def test_a_subscription_names_each_of_its_types_once() -> None:
    """Before: a type repeated 20,000 times was taken, and read for every event."""
    create = CreateSubscription(actor=COUNTY, today=DAY, subscription_id="s-1", partner_id="host-ningbo",
                                protocol=DeliveryProtocol.KAFKA, types=("goldenbridge.member.registered.v1",) * 3)
    with pytest.raises(DomainError, match="types: name each outward type once"):
        subscriptions.decide(None, create, partner=partner(), now=LATER, allow_private_sinks=False,
                             read_host=url_host)


def test_a_partners_scope_names_each_of_its_types_once() -> None:
    """Before: the county's registration took a type repeated 20,000 times, read by the router for every event."""
    register = RegisterPartner(actor=COUNTY, today=DAY, partner_id="host-ningbo", name="宁波市某区委组织部",
                               kind=PartnerKind.HOST_COMMITTEE, contact="组织科",
                               scope=PartnerScope(event_types=(LEAD, LEAD)))
    with pytest.raises(DomainError, match=r"scope\.event_types: name each outward type once"):
        partners.decide(None, register, now=LATER)


# ------------------------------------------------------------------------------------------- a lead's investor

def _lead(investor: str) -> LeadRegistered:
    return LeadRegistered(
        lead_id="l-1", match_key="k", registrant_kind=RegistrantKind.MEMBER, registrant_id="m-9", branch_id="br-a1",
        township_id="tw-a", investor=investor, project="农产品加工厂", sector="manufacturing", kind=LeadKind.CAPITAL,
        promised_amount=Decimal("5000000"), origin_locality="浙江宁波", homecoming=True, registered_on=DAY,
        actor="a", registrant_name="李四")


def test_a_leads_investor_who_may_be_a_person_is_nulled_or_masked_like_any_name() -> None:
    """Before: the investor — "a company's or a person's" name, investment's own rule says — reached partners
    in clear under both policies: a homecoming entrepreneur's full name to a partner agreed to see no one's."""
    item = to_outward(_lead("王建国"))
    assert item is not None and "investor" in item.kind.personal_fields()
    assert item.kind.json_schema()["properties"]["investor"]["x-gb-personal"] is True
    directory = Directory.of(
        {"masked": partner("masked", types=(LEAD,), policy=PersonalDataPolicy.MASKED),
         "none": partner("none", types=(LEAD,), policy=PersonalDataPolicy.NONE)},
        [subscription("masked", "s-1"), subscription("none", "s-2")])
    got = {d.partner_id: d.cloudevent["data"] for d in route(
        item, event_id="e-1", source="/golden-bridge/investment", time=LATER, directory=directory, tree=OrgTree(),
        public_base_url="https://gb.example/")}
    assert got["none"]["investor"] is None and got["masked"]["investor"] == "王**"
    assert got["none"]["project"] == "农产品加工厂" and got["none"]["lead_id"] == "l-1"

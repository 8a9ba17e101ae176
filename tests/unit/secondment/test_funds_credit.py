"""The funds-credit policy's pure parts: what an instalment becomes, its retry key, its command line."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.investment.contract.events import REGISTRY as INVESTMENT
from services.investment.contract.events import FundsArrived, RegistrantKind
from services.kernel.events import Envelope
from services.secondment.contract.events import ContributionKind
from services.secondment.contract.service import FUNDS_CREDIT_GROUP
from services.secondment.funds_credit import (
    FUNDS_ARRIVED,
    POLICY_ACTOR,
    contribution_for,
    meta_for,
    parse_args,
    same_township,
)


def _arrived(instalment: int = 2) -> tuple[FundsArrived, Envelope]:
    event = FundsArrived(lead_id="lead-1", instalment=instalment, amount=Decimal("500000.50"),
                         arrived_on=date(2025, 1, 15), reference="V-002", total_arrived=Decimal("1100000.50"),
                         registrant_kind=RegistrantKind.CADRE, registrant_id="cadre-1", actor="county_admin:x")
    env = Envelope(id=uuid.uuid4(), source=INVESTMENT.source, type=FUNDS_ARRIVED,
                   time=datetime(2025, 1, 16, 9, tzinfo=UTC), subject="lead-1", stream_id="lead-1",
                   stream_type="lead", stream_version=7, actor="county_admin:x", correlation_id="corr-1",
                   causation_id=None, data=INVESTMENT.encode(event), prev_hash=None, hash=b"h", position=42)
    return event, env


def test_an_instalment_becomes_a_capital_contribution_of_the_same_amount_and_day() -> None:
    event, env = _arrived()
    command = contribution_for(event, env, "secondment-1")
    assert (command.secondment_id, command.kind, command.amount_yuan, command.contributed_on) == (
        "secondment-1", ContributionKind.CAPITAL, Decimal("500000.50"), date(2025, 1, 15))
    # One contribution per instalment of a lead, whatever the delivery: the id is the lead's and the instalment's.
    assert command.contribution_id == "funds:lead-1:2"
    assert contribution_for(*_arrived(3), "secondment-1").contribution_id == "funds:lead-1:3"
    assert command.actor == POLICY_ACTOR and command.today == date(2025, 1, 16)
    assert command.source_ref == f"{INVESTMENT.source}#{env.id}"


def test_the_retry_key_is_the_source_event_so_a_redelivery_is_answered_from_the_store() -> None:
    _, env = _arrived()
    first, again = meta_for(env), meta_for(env)
    assert first.idempotency_key == again.idempotency_key == f"funds-credit:{env.id}"
    assert first.fingerprint == again.fingerprint
    assert (first.causation_id, first.correlation_id) == (str(env.id), "corr-1")
    _, other = _arrived()
    assert meta_for(other).idempotency_key != first.idempotency_key


def test_the_policy_listens_for_the_funds_arrived_wire_name() -> None:
    assert INVESTMENT.wire_name(_arrived()[0]) == FUNDS_ARRIVED


def test_without_options_the_process_is_the_live_policy() -> None:
    args = parse_args([])
    assert (args.group, args.from_beginning, args.until_caught_up) == (FUNDS_CREDIT_GROUP, False, False)


def test_a_replay_reads_from_the_beginning_under_its_own_group_and_stops_when_caught_up() -> None:
    args = parse_args(["--group", "replay-1", "--from-beginning", "--until-caught-up"])
    assert (args.group, args.from_beginning, args.until_caught_up) == ("replay-1", True, True)
    with pytest.raises(SystemExit):  # the live policy's offsets are not a replay's to move
        parse_args(["--from-beginning", "--until-caught-up"])
    with pytest.raises(SystemExit):  # from the beginning is a one-off replay, not a way to run the live loop
        parse_args(["--group", "replay-1", "--from-beginning"])


def test_funds_credit_a_cadre_only_from_a_lead_of_the_cadres_own_township() -> None:
    # Any township committee or branch secretary may name any cadre as its lead's registrant: its word on money
    # arrived must not become a contribution (and a commendation) on another township's secondment.
    event, _ = _arrived()
    of_a = replace(event, township_id="township-a")
    assert same_township(of_a, "township-a")
    assert not same_township(of_a, "township-b")
    # Recorded before leads carried their township: credited as it was then.
    assert same_township(event, "township-b")

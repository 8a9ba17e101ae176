"""Investment leads: registration, first referral wins, self-referral, pipeline order, funds, landing, stall."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.investment.contract.commands import DropLead
from services.investment.contract.events import (
    REGISTRY,
    FundsArrived,
    LeadAdvanced,
    LeadDuplicateRecorded,
    LeadLanded,
    LeadRegistered,
    LeadStage,
    RegistrantKind,
)
from services.investment.domain import leads
from services.investment.domain.matching import INITIAL_INDEX, index_evolve, index_lookup, match_key
from services.investment.policy import DEFAULT_INVESTMENT_POLICY, InvestmentPolicy
from services.kernel.handling import fold
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role
from tests.unit.investment import (
    COUNTY,
    LEAD,
    MEMBER,
    REGISTERED_ON,
    SECRETARY,
    SIGNED_ON,
    TODAY,
    TOWNSHIP,
    advance,
    decide,
    funding,
    funds,
    given_,
    land,
    landed_,
    register,
    registered,
    signed,
)

# --- registration and first referral ----------------------------------------------------------------

def test_the_first_registration_of_an_investor_and_project_is_the_lead() -> None:
    (event,) = decide(leads.INITIAL, register())
    assert isinstance(event, LeadRegistered)
    assert event.match_key == "shenzhenacmecoltd|teaprocessingplant"
    assert event.promised_amount == Decimal("30000000.00") and event.homecoming
    assert event.registrant_id == "m-1" and event.branch_id == "b-1" and event.township_id == "township-a"


def test_a_second_registration_of_the_same_lead_is_a_duplicate_attributed_to_the_first() -> None:
    second = register(lead_id="lead-2", registrant_id="m-2", registrant_name="Zhao Min",
                      actor=Actor(subject="m-2", role=Role.MEMBER))
    (event,) = decide(leads.INITIAL, second, earlier_lead_id=LEAD)
    assert isinstance(event, LeadDuplicateRecorded)
    assert event.earlier_lead_id == LEAD and event.registrant_id == "m-2"
    duplicate = fold(leads.evolve, leads.INITIAL, [event])
    assert duplicate.stage is LeadStage.DUPLICATE
    with pytest.raises(StateConflict, match="duplicates lead lead-1, which was registered first"):
        decide(duplicate, advance(LeadStage.CONTACTED, REGISTERED_ON, lead_id="lead-2",
                                  actor=Actor(subject="m-2", role=Role.MEMBER)))


def test_differently_spelt_names_of_the_same_investor_and_project_match_through_the_index() -> None:
    (first,) = decide(leads.INITIAL, register())
    index = index_evolve(INITIAL_INDEX, first)
    spelt = register(lead_id="lead-2", investor="ＳＨＥＮＺＨＥＮ  acme co ltd", project="tea-processing PLANT.",
                     registrant_id="m-2", registrant_name="Zhao Min", actor=SECRETARY)
    earlier = index_lookup(index, match_key(spelt.investor, spelt.project))
    assert earlier == LEAD
    (event,) = decide(leads.INITIAL, spelt, earlier_lead_id=earlier)
    assert isinstance(event, LeadDuplicateRecorded) and event.match_key == first.match_key
    other_project = match_key("Shenzhen Acme Co., Ltd.", "Tea packaging plant")
    assert index_lookup(index, other_project) is None


def test_a_dropped_lead_releases_its_investor_and_project_for_a_new_first_registration() -> None:
    (first,) = decide(leads.INITIAL, register())
    index = index_evolve(INITIAL_INDEX, first)
    (dropped,) = decide(registered(), DropLead(actor=MEMBER, today=TODAY, lead_id=LEAD, dropped_on=REGISTERED_ON,
                                               reason="investor chose another county"))
    assert index_lookup(index_evolve(index, dropped), first.match_key) is None


@given(
    st.text(alphabet=st.characters(categories=["Lu", "Ll", "Nd"], max_codepoint=0x7F), min_size=1, max_size=12),
    st.text(alphabet=" ,.-()·、（）", max_size=4),
)
def test_case_spacing_punctuation_and_full_width_forms_do_not_change_the_match_key(name: str, noise: str) -> None:
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in name)
    variants = [name.upper(), name.lower(), noise + name + noise, " ".join(name), full_width]
    assert {match_key(v, "Plant 1") for v in variants} == {match_key(name, "Plant 1")}


@given(st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=8),
       st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=8))
def test_names_that_differ_in_letters_or_digits_have_different_match_keys(a: str, b: str) -> None:
    assert (match_key(a, "p") == match_key(b, "p")) == (a == b)
    assert match_key(a, b) != match_key(a + b, "")


def test_an_investor_cannot_refer_themselves() -> None:
    with pytest.raises(DomainError, match="cannot refer themselves"):
        decide(leads.INITIAL, register(investor_party_id="m-1"))
    with pytest.raises(DomainError, match="cannot refer themselves"):
        decide(leads.INITIAL, register(investor="LI  WEI", registrant_name="Li Wei"))
    assert decide(leads.INITIAL, register(investor="Li Wei Trading", investor_party_id="m-9"))


def test_the_promised_amount_is_yuan_to_the_fen_and_not_negative() -> None:
    assert decide(leads.INITIAL, register(promised_amount=Decimal("0")))
    assert decide(leads.INITIAL, register(promised_amount=Decimal("12.30")))
    with pytest.raises(DomainError, match="more than two decimals"):
        decide(leads.INITIAL, register(promised_amount=Decimal("12.345")))
    with pytest.raises(DomainError, match="at least 0"):
        decide(leads.INITIAL, register(promised_amount=Decimal("-0.01")))


def test_a_member_registers_only_under_their_own_id_and_a_secretary_only_for_their_branch() -> None:
    with pytest.raises(Forbidden, match="cannot register a lead"):
        decide(leads.INITIAL, register(registrant_id="m-2"))
    with pytest.raises(Forbidden, match="cannot register a lead"):
        decide(leads.INITIAL, register(actor=SECRETARY, branch_id="b-2"))
    assert decide(leads.INITIAL, register(actor=SECRETARY, registrant_kind=RegistrantKind.CADRE, registrant_id="c-1"))
    with pytest.raises(DomainError, match="registrant_id must be b-1"):
        decide(leads.INITIAL, register(actor=SECRETARY, registrant_kind=RegistrantKind.BRANCH, registrant_id="b-2"))


def test_a_lead_id_is_registered_once_and_a_registration_is_not_dated_in_the_future() -> None:
    with pytest.raises(AlreadyExists, match="already registered"):
        decide(registered(), register())
    with pytest.raises(DomainError, match="in the future"):
        decide(leads.INITIAL, register(registered_on=TODAY + timedelta(days=1)))


# --- pipeline ---------------------------------------------------------------------------------------

def test_a_lead_moves_forward_through_the_pipeline_and_may_skip_steps_before_signing() -> None:
    state = given_(advance(LeadStage.CONTACTED, date(2025, 1, 20)), advance(LeadStage.NEGOTIATING, date(2025, 2, 1)),
                   state=registered())
    (event,) = decide(state, advance(LeadStage.SIGNED, SIGNED_ON))
    assert isinstance(event, LeadAdvanced) and event.from_stage is LeadStage.NEGOTIATING
    assert given_(advance(LeadStage.SIGNED, REGISTERED_ON), state=registered()).stage is LeadStage.SIGNED


def test_a_lead_never_goes_back_or_stays_at_its_stage() -> None:
    state = given_(advance(LeadStage.VISIT, date(2025, 1, 20)), state=registered())
    with pytest.raises(StateConflict, match="cannot go back"):
        decide(state, advance(LeadStage.CONTACTED, date(2025, 1, 21)))
    with pytest.raises(StateConflict, match="already visit"):
        decide(state, advance(LeadStage.VISIT, date(2025, 1, 21)))


@pytest.mark.parametrize(("stage", "how"), [(LeadStage.FUNDS_ARRIVING, "recording funds"),
                                            (LeadStage.LANDED, "confirming the project landed"),
                                            (LeadStage.DROPPED, "dropping the lead")])
def test_funds_landing_and_dropping_are_not_reached_by_advancing(stage: LeadStage, how: str) -> None:
    with pytest.raises(DomainError, match=how):
        decide(signed(), advance(stage, SIGNED_ON))


def test_a_step_is_not_dated_before_the_previous_one() -> None:
    state = given_(advance(LeadStage.CONTACTED, date(2025, 2, 1)), state=registered())
    with pytest.raises(DomainError, match="before the lead's last step on 2025-02-01"):
        decide(state, advance(LeadStage.VISIT, date(2025, 1, 31)))
    assert decide(state, advance(LeadStage.VISIT, date(2025, 2, 1)))


def test_only_the_registrant_their_branch_their_township_or_the_county_work_a_lead() -> None:
    with pytest.raises(Forbidden, match="cannot advance"):
        decide(registered(), advance(LeadStage.CONTACTED, REGISTERED_ON, actor=Actor(subject="m-2", role=Role.MEMBER)))
    for actor in (SECRETARY, TOWNSHIP, COUNTY):
        assert decide(registered(), advance(LeadStage.CONTACTED, REGISTERED_ON, actor=actor))
    with pytest.raises(NotFound, match="register the lead first"):
        decide(leads.INITIAL, advance(LeadStage.CONTACTED, REGISTERED_ON))


# --- funds and landing ------------------------------------------------------------------------------

def test_funds_arrive_in_instalments_on_a_signed_lead() -> None:
    with pytest.raises(DomainError, match="once it is signed"):
        decide(registered(), funds("100.00", SIGNED_ON, "v-1"))
    (first,) = decide(signed(), funds("10000000.00", date(2025, 5, 1), "v-1"))
    assert isinstance(first, FundsArrived) and first.instalment == 1 and first.total_arrived == Decimal("10000000.00")
    # The lead's township travels with the funds: the funds-credit policy credits a cadre of that township only.
    assert first.township_id == "township-a"
    state = funding()
    assert state.stage is LeadStage.FUNDS_ARRIVING and state.instalments == 2
    assert state.total_arrived == Decimal("25000000.00")


def test_an_instalment_is_positive_to_the_fen_and_recorded_once_per_voucher() -> None:
    with pytest.raises(DomainError, match="more than 0"):
        decide(signed(), funds("0.00", SIGNED_ON, "v-1"))
    with pytest.raises(DomainError, match="more than two decimals"):
        decide(signed(), funds("1.001", SIGNED_ON, "v-1"))
    with pytest.raises(StateConflict, match="reference v-1 are already recorded"):
        decide(funding(), funds("5.00", date(2025, 10, 1), "v-1"))


def test_a_project_lands_when_the_township_confirms_completion_after_funds_arrived() -> None:
    with pytest.raises(DomainError, match="after it is signed and funds have arrived"):
        decide(signed(), land())
    with pytest.raises(Forbidden, match="confirms a project landed"):
        decide(funding(), land(actor=SECRETARY))
    with pytest.raises(Forbidden, match="confirms a project landed"):
        decide(funding(), land(actor=Actor(subject="tc", role=Role.TOWNSHIP_COMMITTEE, org_id="township-b")))
    (event,) = decide(funding(), land())
    assert isinstance(event, LeadLanded) and event.claim_until == date(2027, 2, 27)
    assert event.total_arrived == Decimal("25000000.00") and event.approving_org_id == "township-a"
    with pytest.raises(StateConflict, match="landed; it can no longer record funds"):
        decide(landed_(), funds("1.00", TODAY, "v-9"))


def test_a_lead_is_dropped_with_a_reason_before_it_lands_but_not_after() -> None:
    drop = DropLead(actor=MEMBER, today=TODAY, lead_id=LEAD, dropped_on=date(2025, 4, 1), reason=" ")
    with pytest.raises(DomainError, match="reason"):
        decide(signed(), drop)
    state = given_(DropLead(actor=MEMBER, today=TODAY, lead_id=LEAD, dropped_on=date(2025, 4, 1), reason="moved"),
                   state=signed())
    assert state.stage is LeadStage.DROPPED
    with pytest.raises(StateConflict, match="dropped; it can no longer be advanced"):
        decide(state, advance(LeadStage.SIGNED, TODAY))
    with pytest.raises(StateConflict, match="landed; it can no longer be dropped"):
        decide(landed_(), DropLead(actor=MEMBER, today=TODAY, lead_id=LEAD, dropped_on=TODAY, reason="x"))


# --- stalled ----------------------------------------------------------------------------------------

def ordinary() -> leads.Lead:
    """A lead that is no homecoming project: the ordinary stall period applies."""
    return given_(register(homecoming=False))


def test_a_lead_is_stalled_after_exactly_the_policy_period_without_progress() -> None:
    state = ordinary()
    assert leads.due_items(state, REGISTERED_ON + timedelta(days=29)) == []
    (item,) = leads.due_items(state, REGISTERED_ON + timedelta(days=30))
    assert item.kind == "lead_stalled" and item.due_on == date(2025, 2, 9) and item.subject_id == LEAD
    short = InvestmentPolicy(version="t", effective_from=date(2000, 1, 1), stalled_after_days=7,
                             homecoming_stalled_after_days=7)
    assert leads.due_items(state, REGISTERED_ON + timedelta(days=6), short) == []
    assert leads.due_items(state, REGISTERED_ON + timedelta(days=7), short)


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=60), st.booleans())
def test_the_homecoming_fast_lane_stalls_after_its_own_shorter_period(lane: int, extra: int, homecoming: bool) -> None:
    policy = InvestmentPolicy(version="t", effective_from=date(2000, 1, 1), stalled_after_days=lane + extra,
                              homecoming_stalled_after_days=lane)
    state = given_(register(homecoming=homecoming))
    period = lane if homecoming else lane + extra
    assert leads.due_items(state, REGISTERED_ON + timedelta(days=period - 1), policy) == []
    (item,) = leads.due_items(state, REGISTERED_ON + timedelta(days=period), policy)
    assert item.due_on == REGISTERED_ON + timedelta(days=period)


def test_by_default_a_homecoming_lead_is_stalled_after_15_days_an_ordinary_one_after_30() -> None:
    assert [i.due_on for i in leads.due_items(registered(), REGISTERED_ON + timedelta(days=15))] == [
        REGISTERED_ON + timedelta(days=15)]
    assert leads.due_items(ordinary(), REGISTERED_ON + timedelta(days=29)) == []


def test_the_fast_lane_is_never_slower_than_the_ordinary_lane_nor_shorter_than_a_day() -> None:
    for lane, ordinary_days in ((31, 30), (0, 30)):
        with pytest.raises(ValueError, match="fast lane"):
            InvestmentPolicy(version="t", effective_from=date(2000, 1, 1), stalled_after_days=ordinary_days,
                             homecoming_stalled_after_days=lane)
    assert InvestmentPolicy(version="t", effective_from=date(2000, 1, 1), stalled_after_days=30,
                            homecoming_stalled_after_days=30).stall_days(True) == 30


def test_progress_restarts_the_stall_clock_and_closed_leads_never_stall() -> None:
    state = given_(advance(LeadStage.CONTACTED, date(2025, 2, 5)), state=ordinary())
    assert leads.due_items(state, date(2025, 3, 6)) == []
    assert [i.due_on for i in leads.due_items(state, date(2025, 3, 7))] == [date(2025, 3, 7)]
    assert [i.kind for i in leads.due_items(landed_(), date(2026, 5, 1))] == ["reward_claim_window_closes"]
    duplicate = given_(register(lead_id="lead-2"), earlier_lead_id=LEAD)
    assert leads.due_items(duplicate, TODAY) == []


def test_an_unclaimed_reward_is_due_at_the_end_of_the_window_and_overdue_after() -> None:
    (due,) = leads.due_items(landed_(), date(2027, 2, 27))
    assert due.due_on == date(2027, 2, 27) and not due.overdue
    (late,) = leads.due_items(landed_(), date(2027, 2, 28))
    assert late.overdue


# --- wire -------------------------------------------------------------------------------------------

def test_every_lead_event_round_trips_through_the_registry_with_money_as_strings() -> None:
    state, events = leads.INITIAL, []
    for command in (register(), advance(LeadStage.SIGNED, SIGNED_ON), funds("10000000.50", date(2025, 5, 1), "v-1"),
                    land("10000000.50", date(2025, 6, 1))):
        new = decide(state, command)
        events += new
        state = fold(leads.evolve, state, new)
    for event in events:
        name = REGISTRY.wire_name(event)
        assert name.startswith("gb.investment.") and name.endswith(".v1")
        assert REGISTRY.decode(name, REGISTRY.encode(event)) == event
    assert b'"amount":"10000000.50"' in REGISTRY.encode(events[2])
    assert REGISTRY.source == "/golden-bridge/investment"
    assert DEFAULT_INVESTMENT_POLICY.stalled_after_days == 30

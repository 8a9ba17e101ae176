"""Party dues (党费, B2): the 2008 scale at every bracket edge, the published policy, assessment, income and relief.

The builders at the top are shared with test_dues_payments.py and test_dues_ledger.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.handling import fold
from services.membership.contract.commands.dues import (
    ApproveExemption,
    ApproveReduction,
    AssessMonth,
    DeclareIncome,
    OpenAccount,
    PublishDuesScale,
    RecordPayment,
)
from services.membership.contract.events.common import DuesCategory
from services.membership.contract.events.dues import (
    Adjustment,
    Bracket,
    DuesAccountEvent,
    DuesScale,
    IncomeChangeRule,
    MonthAssessed,
)
from services.membership.contract.events.transfers import ExternalOrganisation
from services.membership.domain import dues, dues_policy
from services.membership.domain.dues import DuesAccount
from services.membership.domain.dues_account import dues_keepers
from services.membership.domain.dues_scale import compute
from services.membership.domain.member_state import Away, Member
from services.membership.policy.dues import DEFAULT_DUES_POLICY, DUES_SCALE_2008, DuesPolicy, scale_on
from services.pure.errors import AlreadyExists, DomainError, Forbidden, NotFound, StateConflict
from services.pure.identity import Actor, Role

# --- builders -----------------------------------------------------------------------------------------

TODAY = date(2025, 12, 31)
MEMBER = "m-1"
BRANCH = "b-1"
SECRETARY = Actor(subject="sec", role=Role.BRANCH_SECRETARY, org_id=BRANCH)
TOWNSHIP = Actor(subject="tc", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
COUNTY = Actor(subject="ca", role=Role.COUNTY_ADMIN, org_id="county")
SELF = Actor(subject=MEMBER, role=Role.MEMBER)
#: The organisations that keep the member's dues: their branch (services/membership/domain/dues_account.py).
KEEPERS = (BRANCH,)
D = Decimal


def opening(**o: Any) -> OpenAccount:
    return replace(OpenAccount(actor=SECRETARY, today=TODAY, member_id=MEMBER, org_id=BRANCH,
                               category=DuesCategory.WAGE_EARNER, base=D("4000.00"), owed_from="2025-01"), **o)


def c(cls: Any, **fields: Any) -> Any:
    """A command of ``cls`` on the member's account, acted by the secretary unless ``actor`` is given."""
    return cls(**{"actor": SECRETARY, "today": TODAY, "member_id": MEMBER, **fields})


def pay(months: tuple[str, ...] | str, amount: str, **o: Any) -> RecordPayment:
    ms = (months,) if isinstance(months, str) else months
    fields: dict[str, Any] = {"payment_id": f"p-{'-'.join(ms) or 'extra'}-{amount}", "months": ms,
                              "amount": D(amount), "paid_on": date(2025, 12, 15), "branch_consent": len(ms) > 1}
    command: RecordPayment = c(RecordPayment, **{**fields, **o})
    return command


def run(
    *commands: Any, state: DuesAccount = dues.INITIAL, policy: DuesPolicy = DEFAULT_DUES_POLICY, **context: Any
) -> tuple[DuesAccount, list[DuesAccountEvent]]:
    """Decide and fold each command in turn; returns the final state and every event. The member is on record
    at the branch (``keepers``) unless the context says otherwise."""
    context.setdefault("keepers", KEEPERS)
    events: list[DuesAccountEvent] = []
    for cmd in commands:
        new = dues.decide(state, cmd, policy=policy, **context)
        state = fold(dues.evolve, state, new)
        events.extend(new)
    return state, events


def account(**o: Any) -> DuesAccount:
    return run(opening(**o))[0]


def assessed(state: DuesAccount, month: str, **context: Any) -> MonthAssessed:
    (event,) = dues.decide(state, c(AssessMonth, month=month), **context)
    assert isinstance(event, MonthAssessed)
    return event


def scale_2026(**o: Any) -> DuesScale:
    """A later scale: wage rates doubled, effective 2026-01."""
    wage = (Bracket(up_to=D(3000), rate=D("0.01")), Bracket(up_to=None, rate=D("0.03")))
    rules = tuple(replace(r, brackets=wage) if r.category is DuesCategory.WAGE_EARNER else r
                  for r in DUES_SCALE_2008.categories)
    fields: dict[str, Any] = {"version": "dues-2026", "effective_from": date(2026, 1, 1), "categories": rules, **o}
    return replace(DUES_SCALE_2008, **fields)


def published(*scales: DuesScale, today: date = date(2025, 12, 1)) -> DuesPolicy:
    events = [e for s in scales for e in dues_policy.decide(dues_policy.INITIAL, PublishDuesScale(
        actor=COUNTY, today=today, scale=s))]
    return fold(dues_policy.evolve, dues_policy.INITIAL, events)


# --- the 2008 scale at every bracket edge ---------------------------------------------------------------

@pytest.mark.parametrize(("base", "amount", "bracket", "rate"), [
    ("0.00", "0.00", 1, "0.005"),
    ("3000.00", "15.00", 1, "0.005"),
    ("3000.01", "30.00", 2, "0.01"),
    ("5000.00", "50.00", 2, "0.01"),
    ("5000.01", "75.00", 3, "0.015"),
    ("10000.00", "150.00", 3, "0.015"),
    ("10000.01", "200.00", 4, "0.02"),
])
def test_a_wage_earner_pays_the_2008_rate_of_the_bracket_whose_inclusive_upper_bound_holds_the_wage(
    base: str, amount: str, bracket: int, rate: str
) -> None:
    event = assessed(account(base=D(base)), "2025-03")
    assert (event.amount, event.bracket, event.rate) == (D(amount), bracket, D(rate))
    assert event.policy_version == "dues-2008" and event.adjustment is Adjustment.NONE


@pytest.mark.parametrize(("base", "amount"), [("5000.00", "25.00"), ("5000.01", "50.00"), ("800.00", "4.00")])
def test_a_retiree_pays_half_a_percent_of_the_pension_up_to_5000_and_one_percent_above(base: str, amount: str) -> None:
    assert assessed(account(category=DuesCategory.RETIREE, base=D(base)), "2025-03").amount == D(amount)


@pytest.mark.parametrize("category", [DuesCategory.ANNUAL_SALARY, DuesCategory.SELF_EMPLOYED])
def test_annual_salary_and_self_employed_members_use_the_wage_brackets(category: DuesCategory) -> None:
    assert assessed(account(category=category, base=D("5000.01")), "2025-03").amount == D("75.00")


@pytest.mark.parametrize("category", [DuesCategory.STUDENT, DuesCategory.UNEMPLOYED, DuesCategory.RELIEF])
def test_students_the_unemployed_and_members_on_relief_pay_twenty_fen(category: DuesCategory) -> None:
    event = assessed(account(category=category, base=None), "2025-03")
    assert event.amount == D("0.20") and event.bracket is None and event.rate is None


def test_a_farmer_pays_fifty_fen_or_a_chosen_amount_between_twenty_fen_and_one_yuan() -> None:
    assert assessed(account(category=DuesCategory.FARMER, base=None), "2025-03").amount == D("0.50")
    assert assessed(account(category=DuesCategory.FARMER, base=None, flat_amount=D("1.00")), "2025-03").amount == 1
    for outside in ("1.01", "0.19"):
        with pytest.raises(DomainError, match=r"0\.20–1\.00 yuan"):
            account(category=DuesCategory.FARMER, base=None, flat_amount=D(outside))
    with pytest.raises(DomainError, match="do not choose"):
        account(category=DuesCategory.STUDENT, base=None, flat_amount=D("0.50"))


def test_a_base_of_0_98_pays_nothing_because_rounding_happens_once() -> None:
    # 0.98 × 0.5 % = 0.0049: rounded once to the fen it is 0.00; rounded to 0.001 first it would become 0.01.
    assert compute(DUES_SCALE_2008, DuesCategory.WAGE_EARNER, D("0.98")).amount == D("0.00")


_bases = st.decimals(min_value=0, max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False)


@given(_bases, st.sampled_from([DuesCategory.WAGE_EARNER, DuesCategory.RETIREE, DuesCategory.SELF_EMPLOYED]))
def test_an_amount_is_never_negative_and_is_base_times_rate_rounded_once_to_the_fen(
    base: Decimal, category: DuesCategory
) -> None:
    result = compute(DUES_SCALE_2008, category, base)
    rule = DUES_SCALE_2008.rule_for(category)
    rate = next(b.rate for b in rule.brackets if b.up_to is None or base <= b.up_to)
    assert result.amount >= 0
    assert result.rate == rate and result.amount == (base * rate).quantize(D("0.01"), rounding=ROUND_HALF_UP)


@given(_bases, _bases)
def test_a_higher_base_never_pays_less(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert compute(DUES_SCALE_2008, DuesCategory.WAGE_EARNER, low).amount <= compute(
        DUES_SCALE_2008, DuesCategory.WAGE_EARNER, high).amount


def test_an_income_must_be_a_non_negative_amount_to_the_fen() -> None:
    with pytest.raises(DomainError, match="negative"):
        account(base=D("-1.00"))
    with pytest.raises(DomainError, match="more than two decimals"):
        account(base=D("3000.001"))
    with pytest.raises(DomainError, match="needs a base"):
        account(base=None)


# --- the published policy ------------------------------------------------------------------------------

def test_the_scale_in_force_is_the_latest_effective_one_and_none_before_april_2008() -> None:
    later = scale_2026()
    assert scale_on((DUES_SCALE_2008, later), "2025-12") is DUES_SCALE_2008
    assert scale_on((DUES_SCALE_2008, later), date(2026, 1, 31)) is later
    with pytest.raises(LookupError, match="2008-03"):
        scale_on((DUES_SCALE_2008,), "2008-03")


def test_a_published_scale_applies_from_its_effective_month_only() -> None:
    policy = published(scale_2026())
    state = account(base=D("4000.00"), today=date(2026, 1, 5))
    december = assessed(state, "2025-12", policy=policy)
    january = dues.decide(state, c(AssessMonth, month="2026-01", today=date(2026, 1, 5)), policy=policy)[0]
    assert (december.amount, december.policy_version) == (D("40.00"), "dues-2008")
    assert isinstance(january, MonthAssessed)
    assert (january.amount, january.rate, january.policy_version) == (D("120.00"), D("0.03"), "dues-2026")


def test_a_scale_is_never_retroactive_and_starts_on_the_first_of_a_month() -> None:
    publish = PublishDuesScale(actor=COUNTY, today=date(2026, 1, 2), scale=scale_2026())
    assert dues_policy.decide(dues_policy.INITIAL, publish)
    with pytest.raises(DomainError, match="never retroactive"):
        dues_policy.decide(dues_policy.INITIAL, replace(publish, today=date(2026, 2, 1)))
    with pytest.raises(DomainError, match="first day of a month"):
        dues_policy.decide(dues_policy.INITIAL, replace(publish, scale=scale_2026(effective_from=date(2026, 1, 2))))


def test_only_the_county_publishes_a_scale_and_each_version_once() -> None:
    publish = PublishDuesScale(actor=TOWNSHIP, today=date(2025, 12, 1), scale=scale_2026())
    with pytest.raises(Forbidden, match="county_admin"):
        dues_policy.decide(dues_policy.INITIAL, publish)
    with pytest.raises(AlreadyExists, match="dues-2026"):
        dues_policy.decide(published(scale_2026()), replace(publish, actor=COUNTY))
    in_force = published(scale_2026(), today=date(2026, 1, 1))
    with pytest.raises(StateConflict, match="from next month"):
        dues_policy.decide(in_force, PublishDuesScale(actor=COUNTY, today=date(2026, 1, 20),
                                                      scale=scale_2026(version="dues-2026b")))


@pytest.mark.parametrize(("change", "message"), [
    ({"categories": DUES_SCALE_2008.categories[1:]}, "missing or repeated: wage_earner"),
    ({"categories": (replace(DUES_SCALE_2008.categories[0], brackets=(
        Bracket(up_to=D(5000), rate=D("0.01")), Bracket(up_to=D(3000), rate=D("0.02")),
        Bracket(up_to=None, rate=D("0.03")))), *DUES_SCALE_2008.categories[1:])}, "rise strictly"),
    ({"rounding_quantum": D("0.05")}, "rounding_quantum"),
    ({"reminder_months": (7,)}, "reminder months"),
])
def test_an_inconsistent_scale_is_refused_with_what_to_fix(change: dict[str, Any], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        dues_policy.decide(dues_policy.INITIAL, PublishDuesScale(actor=COUNTY, today=date(2025, 12, 1),
                                                                 scale=scale_2026(**change)))


def test_re_running_history_after_a_policy_change_gives_the_amounts_as_assessed() -> None:
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    state, history = run(opening(), *(c(AssessMonth, month=m) for m in months))
    policy = published(scale_2026())
    replayed = fold(dues.evolve, dues.INITIAL, history)
    assert replayed == state
    assert [replayed.assessed[m].amount for m in months] == [D("40.00")] * 12 == [
        e.amount for e in history if isinstance(e, MonthAssessed)]
    # Deciding the same assessments again on a fresh account under the new policy state gives the same amounts.
    _, again = run(opening(), *(c(AssessMonth, month=m) for m in months), policy=policy)
    assert [e.amount for e in again if isinstance(e, MonthAssessed)] == [D("40.00")] * 12
    assert {e.policy_version for e in again if isinstance(e, MonthAssessed)} == {"dues-2008"}


# --- opening, income and assessment --------------------------------------------------------------------

def test_a_probationary_member_owes_from_the_month_of_admission() -> None:
    state = account(owed_from="2025-04", admitted_on=date(2025, 4, 20))
    assert state.owed_from == "2025-04"
    with pytest.raises(DomainError, match=r"month of admission \(2025-04\)"):
        account(owed_from="2025-05", admitted_on=date(2025, 4, 20))
    with pytest.raises(DomainError, match="owes dues from 2025-04"):
        assessed(state, "2025-03")


def test_a_secretary_opens_accounts_only_in_their_own_branch_and_only_once() -> None:
    with pytest.raises(Forbidden, match="b-1 cannot open dues accounts in b-2"):
        account(org_id="b-2")
    with pytest.raises(AlreadyExists, match="owed from 2025-01"):
        run(opening(), state=account())


def test_a_township_committee_cannot_keep_its_members_dues_in_another_organisations_ledger() -> None:
    """Review of 2026-12-02: a township committee (its scope reaches every organisation in the domain's eyes)
    opened its member's account at another township's branch, whose ledger then owed the member's dues."""
    with pytest.raises(DomainError, match="give org_id b-1, not another organisation"):
        run(opening(actor=TOWNSHIP, org_id="b-other-township"))
    with pytest.raises(DomainError, match="give org_id b-1"):
        run(opening(actor=COUNTY, org_id="no-such-org"))


def test_no_dues_account_is_opened_for_a_person_who_is_not_a_member_on_record() -> None:
    with pytest.raises(NotFound, match="register the member"):
        run(opening(actor=COUNTY), keepers=())


def test_a_member_from_outside_the_county_keeps_dues_at_their_formal_organisation_or_their_host() -> None:
    outside = Member(exists=True, member_id=MEMBER, formal_org_id="ext-1",
                     external_org=ExternalOrganisation(org_id="ext-1", name="Elsewhere committee", address="Elsewhere"),
                     away=Away(left_on=date(2025, 1, 1), destination="here", host_org_id="host-1"))
    assert dues_keepers(outside) == ("ext-1", "host-1")
    state, _ = run(opening(actor=COUNTY, org_id="host-1"), keepers=dues_keepers(outside))
    assert state.org_id == "host-1"
    assert dues_keepers(Member()) == ()


def test_a_new_wage_applies_from_the_month_it_is_paid() -> None:
    state, _ = run(opening(), c(AssessMonth, month="2025-06"),
                   c(DeclareIncome, actor=SELF, from_month="2025-07", base=D("6000.00")))
    assert state.assessed["2025-06"].amount == D("40.00")
    july = assessed(state, "2025-07")
    assert (july.amount, july.bracket, july.base) == (D("90.00"), 3, D("6000.00"))


def test_under_the_yearly_rule_a_new_wage_applies_from_the_next_january() -> None:
    policy = DuesPolicy(scales=(replace(DUES_SCALE_2008, income_change_rule=IncomeChangeRule.NEXT_YEARLY_ASSESSMENT),))
    state, (declared,) = run(c(DeclareIncome, from_month="2025-07", base=D("6000.00")), state=account(),
                             policy=policy)
    assert declared.applies_from == "2026-01"  # type: ignore[union-attr]
    assert assessed(state, "2025-12", policy=policy).amount == D("40.00")
    january = dues.decide(state, c(AssessMonth, month="2026-01", today=date(2026, 1, 1)), policy=policy)[0]
    assert isinstance(january, MonthAssessed) and january.amount == D("90.00")


def test_an_assessed_month_keeps_its_amount_so_a_late_declaration_starts_after_it() -> None:
    state, _ = run(opening(), c(AssessMonth, month="2025-07"))
    with pytest.raises(StateConflict, match="from 2025-08 or later"):
        run(c(DeclareIncome, from_month="2025-07", base=D("6000.00")), state=state)
    with pytest.raises(StateConflict, match="assessed once"):
        assessed(state, "2025-07")
    with pytest.raises(DomainError, match="has not begun"):
        assessed(state, "2026-01")


def test_a_member_declares_only_their_own_income() -> None:
    with pytest.raises(Forbidden, match="only for themselves"):
        run(c(DeclareIncome, actor=Actor(subject="m-2", role=Role.MEMBER), from_month="2025-07", base=D(1)),
            state=account())


def test_a_retiring_member_changes_category_with_the_new_base() -> None:
    state, _ = run(c(DeclareIncome, from_month="2025-09", category=DuesCategory.RETIREE, base=D("5200.00")),
                   state=account())
    assert assessed(state, "2025-09").amount == D("52.00")


# --- hardship relief -----------------------------------------------------------------------------------

def relief(cls: Any, **o: Any) -> Any:
    fields: dict[str, Any] = {"actor": TOWNSHIP, "approval_id": "r-1", "from_month": "2025-03",
                              "until_month": "2025-08", "reason": "illness", "branch_studied_on": date(2025, 2, 20)}
    if cls is ApproveReduction:
        fields["monthly_amount"] = D("5.00")
    return c(cls, **{**fields, **o})


def test_reduced_dues_need_the_next_higher_committee_and_record_it() -> None:
    state, (approved,) = run(relief(ApproveReduction), state=account(), next_higher_org_id="township-a")
    assert approved.approving_org_id == "township-a" and approved.actor == "township_committee:tc@township-a"  # type: ignore[union-attr]
    march = assessed(state, "2025-03")
    assert (march.standard_amount, march.amount, march.adjustment) == (D("40.00"), D("5.00"), Adjustment.REDUCTION)
    assert assessed(state, "2025-09").amount == D("40.00")
    with pytest.raises(Forbidden, match="next-higher committee"):
        run(relief(ApproveReduction, actor=SECRETARY), state=account(), next_higher_org_id="township-a")
    with pytest.raises(Forbidden, match="not the committee above"):
        run(relief(ApproveReduction), state=account(), next_higher_org_id="township-b")


def test_an_exemption_makes_months_cost_nothing_and_cannot_rewrite_an_assessed_month() -> None:
    state, _ = run(relief(ApproveExemption, actor=COUNTY), state=account())
    assert assessed(state, "2025-05").amount == 0
    done, _ = run(opening(), c(AssessMonth, month="2025-03"))
    with pytest.raises(StateConflict, match="start the relief from 2025-04"):
        run(relief(ApproveExemption, actor=COUNTY), state=done)

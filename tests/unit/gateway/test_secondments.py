"""The secondments read model: the roster from nomination to return, its check-ins and contributions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import orjson
import pytest

from services.gateway.readmodels import secondments
from services.secondment.contract.events import (
    CadreReturned,
    CheckInRecorded,
    CommendationKind,
    CommendationProposed,
    ContributionKind,
    ContributionRecorded,
    ExtensionRefused,
    ExtensionRequested,
    SecondmentEndedEarly,
    SecondmentExtended,
    SecondmentNominated,
    SecondmentStarted,
    UnpaidLeaveGranted,
)
from tests.unit.gateway.builders import Q, assigned, envelope, event, row, target

DEPARTED = date(2024, 3, 1)


def test_a_nominated_cadre_enters_the_roster_as_nominated_with_their_placement() -> None:
    ops = secondments.apply(Q, envelope(), event(SecondmentNominated, secondment_id="s-1", cadre_id="c-1",
                                                 township_id="township-a"))
    inserted = row(ops[0])
    assert target(ops[0]) == "secondments_view"
    assert (inserted["stage"], inserted["township_id"]) == ("nominated", "township-a")
    assert "host_kind" in orjson.loads(inserted["placement"])


def test_a_departure_makes_the_cadre_away_with_the_first_check_in_due_after_the_policy_interval() -> None:
    ops = secondments.apply(Q, envelope(), event(SecondmentStarted, secondment_id="s-1", departed_on=DEPARTED,
                                                 planned_end=date(2026, 2, 28), term_months=24))
    sets = assigned(ops[0])
    assert (sets["stage"], sets["departed_on"], sets["planned_end"]) == ("away", DEPARTED, date(2026, 2, 28))
    away = {"stage": "away", "departed_on": DEPARTED, "last_check_in_on": None}
    assert secondments.next_check_in_due(away, 3) == date(2024, 6, 1)
    assert secondments.next_check_in_due(away, 1) == date(2024, 4, 1)  # a published interval, read that day


def test_a_check_in_is_counted_listed_and_moves_the_next_due_day_while_the_cadre_is_away() -> None:
    ops = secondments.apply(Q, envelope(30), event(CheckInRecorded, secondment_id="s-1",
                                                   checked_in_on=date(2024, 5, 20), due_on=date(2024, 6, 1)))
    assert [target(op) for op in ops] == ["secondments_view", "secondment_check_ins"]
    assert assigned(ops[0])["last_check_in_on"] == date(2024, 5, 20)
    checked = {"stage": "away", "departed_on": DEPARTED, "last_check_in_on": date(2024, 5, 20)}
    assert secondments.next_check_in_due(checked, 3) == date(2024, 8, 20)
    assert (row(ops[1])["position"], row(ops[1])["late"]) == (30, False)


@pytest.mark.parametrize(("kind", "amount", "capital"), [
    (ContributionKind.CAPITAL, Decimal("700000"), Decimal("700000")),
    (ContributionKind.CAPITAL, None, 0),
    (next(k for k in ContributionKind if k is not ContributionKind.CAPITAL), Decimal("5000"), 0),
])
def test_only_capital_adds_to_the_capital_total(kind: ContributionKind, amount: Decimal | None,
                                                capital: Decimal | int) -> None:
    ops = secondments.apply(Q, envelope(), event(ContributionRecorded, secondment_id="s-1", contribution_id="k-1",
                                                 kind=kind, amount_yuan=amount))
    assert [target(op) for op in ops] == ["secondments_view", "secondment_contributions"]
    assert ops[0][1][1] == capital
    assert row(ops[1])["amount_yuan"] == amount


def test_a_request_is_pending_until_it_is_refused_or_granted() -> None:
    requested = secondments.apply(Q, envelope(), event(ExtensionRequested, secondment_id="s-1", months=6,
                                                       requested_on=date(2025, 10, 1)))
    refused = secondments.apply(Q, envelope(), event(ExtensionRefused, secondment_id="s-1"))
    extended = secondments.apply(Q, envelope(), event(SecondmentExtended, secondment_id="s-1", months=6,
                                                      new_end=date(2026, 8, 31)))
    assert orjson.loads(assigned(requested[0])["pending"]) == {
        "kind": "extension", "months": 6, "requested_on": "2025-10-01", "reason": "reason-x"}
    assert assigned(refused[0])["pending"] is None
    sets = assigned(extended[0])
    assert (sets["planned_end"], sets["pending"]) == (date(2026, 8, 31), "NULL")
    assert extended[0][1][2] == 6  # added to extension_months


@pytest.mark.parametrize(("ending", "stage", "outcome"), [
    (SecondmentEndedEarly, "ended_early", "return_to_post"),
    (CadreReturned, "returned", "return_to_post"),
    (UnpaidLeaveGranted, "unpaid_leave", "unpaid_leave"),
])
def test_an_ended_secondment_leaves_the_roster_of_cadres_away_and_owes_no_check_in(
    ending: type, stage: str, outcome: str,
) -> None:
    ops = secondments.apply(Q, envelope(), event(ending, secondment_id="s-1", last_day=date(2025, 12, 31)))
    sets = assigned(ops[0])
    assert (sets["stage"], sets["outcome"], sets["last_day"]) == (stage, outcome, date(2025, 12, 31))
    assert sets["pending"] == "NULL"
    assert secondments.next_check_in_due({"stage": stage, "departed_on": DEPARTED, "last_check_in_on": None}, 3) is None


def test_a_commendation_proposal_keeps_its_figures_as_decimal_strings() -> None:
    ops = secondments.apply(Q, envelope(), event(CommendationProposed, secondment_id="s-1",
                                                 capital_total_yuan=Decimal("1250000"),
                                                 threshold_yuan=Decimal("1000000")))
    commendation = orjson.loads(assigned(ops[0])["commendation"])
    assert (commendation["capital_total_yuan"], commendation["threshold_yuan"]) == ("1250000", "1000000")


@pytest.mark.parametrize(("kind", "people", "figures"), [
    (ContributionKind.PROJECT, None, (0, 1, 0)),
    (ContributionKind.TALENT, 4, (0, 0, 4)),
    (ContributionKind.TALENT, None, (0, 0, 1)),
    (ContributionKind.TECHNOLOGY, None, (0, 0, 0)),
])
def test_a_contribution_adds_to_the_projects_or_the_people_it_counts_for_a_commendation(
    kind: ContributionKind, people: int | None, figures: tuple[int, int, int],
) -> None:
    ops = secondments.apply(Q, envelope(), event(ContributionRecorded, secondment_id="s-1", contribution_id="k-1",
                                                 kind=kind, amount_yuan=None, people=people))
    assert ops[0][1][1:4] == figures
    assert row(ops[1])["people"] == people


def test_a_commendation_proposal_names_the_kinds_that_qualified_and_every_figure() -> None:
    ops = secondments.apply(Q, envelope(), event(
        CommendationProposed, secondment_id="s-1", capital_total_yuan=Decimal("0"), threshold_yuan=Decimal("1000000"),
        qualified=(CommendationKind.PROJECT, CommendationKind.TALENT), counted=tuple(CommendationKind), projects=2,
        project_threshold=2, talent_people=7, talent_threshold=5, policy_version="secondment-2026.1+secondment.1"))
    commendation = orjson.loads(assigned(ops[0])["commendation"])
    assert commendation["qualified"] == ["project", "talent"]
    assert commendation["counted"] == ["capital", "project", "talent"]
    assert (commendation["projects"], commendation["talent_people"], commendation["talent_threshold"]) == (2, 7, 5)
    assert commendation["policy_version"] == "secondment-2026.1+secondment.1"

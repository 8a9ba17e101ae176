"""The development read model: one row per case, its stage and the day of each step."""

from __future__ import annotations

from datetime import date

from services.gateway.readmodels import development
from services.gateway.readmodels.members import ERASED_NAME
from services.membership.contract.events.development import (
    ActivistDesignated,
    AdmissionVoteHeld,
    ApplicationSubmitted,
    Converted,
    ProbationaryAdmitted,
)
from services.membership.contract.events.members import PersonalDataErased
from tests.unit.gateway.builders import Q, assigned, envelope, event, row, target


def test_an_application_opens_a_case_at_the_applicant_stage() -> None:
    ops = development.apply(Q, envelope(2), event(ApplicationSubmitted, person_id="p-1", org_id="b-1",
                                                  applied_on=date(2024, 1, 10)))
    inserted = row(ops[0])
    assert target(ops[0]) == "development_view"
    assert (inserted["stage"], inserted["stage_since"], inserted["applied_on"]) == (
        "applicant", date(2024, 1, 10), date(2024, 1, 10))


def test_designating_an_activist_moves_the_case_to_the_designating_branch() -> None:
    ops = development.apply(Q, envelope(), event(ActivistDesignated, person_id="p-1", org_id="b-2",
                                                 designated_on=date(2024, 8, 1)))
    sets = assigned(ops[0])
    assert (sets["stage"], sets["activist_on"], sets["activist_org_id"], sets["org_id"]) == (
        "activist", date(2024, 8, 1), "b-2", "b-2")


def test_a_vote_that_failed_records_nothing() -> None:
    assert development.apply(Q, envelope(), event(AdmissionVoteHeld, person_id="p-1", passed=False)) == []
    passed = development.apply(Q, envelope(), event(AdmissionVoteHeld, person_id="p-1", passed=True,
                                                    held_on=date(2025, 3, 1)))
    assert assigned(passed[0])["vote_on"] == date(2025, 3, 1)


def test_admission_and_conversion_write_only_the_case_row() -> None:
    admitted = development.apply(Q, envelope(), event(ProbationaryAdmitted, person_id="p-1", org_id="b-2",
                                                      approved_on=date(2025, 3, 20)))
    converted = development.apply(Q, envelope(), event(Converted, person_id="p-1", approved_on=date(2026, 3, 20)))
    assert [target(op) for op in admitted + converted] == ["development_view", "development_view"]
    assert (assigned(admitted[0])["stage"], assigned(admitted[0])["admitting_org_id"]) == ("probationary", "b-2")
    assert (assigned(converted[0])["stage"], assigned(converted[0])["converted_on"]) == ("full", date(2026, 3, 20))


def test_an_erased_person_leaves_no_name_number_or_phone_on_their_case() -> None:
    [op] = development.apply(Q, envelope(9), event(PersonalDataErased, member_id="p-1",
                                                   erased_on=date(2026, 11, 30)))
    sql, args = op
    assert target(op) == "development_view"
    assert "national_id = ''" in sql and "contact = '{}'::jsonb" in sql
    assert args == ("p-1", ERASED_NAME, 9)

"""Texts of units, cadres and secondments have a length (hostile review 2026-12-02): a departure copies the placement
and the cadre's post, rank and pay into one event, so a post and a placement of 300,000 characters each made a
1.8 MB event the relay could not publish — every later secondment event of every township stopped behind it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.pure.errors import DomainError
from services.secondment.contract.commands import RecordCheckIn, RecordContribution
from services.secondment.contract.events import ContributionKind
from services.secondment.domain import cadres, units
from tests.unit.secondment.builders import (
    PLACEMENT,
    a_cadre,
    a_unit,
    approve,
    away,
    decide,
    given_,
    nominate,
    register_cadre,
    s,
    unit,
)


@pytest.mark.parametrize(("fields", "what"), [
    ({"post": "p" * 300_000}, "post is 300,000 characters long; it takes at most 200"),
    ({"rank": "r" * 201}, "rank is 201"),
    ({"pay_grade": "g" * 201}, "pay_grade is 201"),
    ({"name": "n" * 201}, "name is 201"),
    ({"party_relation_org_id": "o" * 101}, "party_relation_org_id is 101 characters long; it takes at most 100"),
])
def test_a_cadre_text_past_its_length_is_refused_naming_the_field_not_the_text(fields: dict[str, Any],
                                                                                 what: str) -> None:
    with pytest.raises(DomainError, match=what) as refused:
        cadres.decide(cadres.INITIAL, register_cadre(**fields), unit=a_unit())
    assert len(refused.value.detail) < 200


def test_a_placement_text_past_its_length_is_refused_by_its_path() -> None:
    for placement in (replace(PLACEMENT, host_name="h" * 201), replace(PLACEMENT, locality="l" * 300_000),
                      replace(PLACEMENT, role_at_host="x" * 201), replace(PLACEMENT, outstation_branch_id="b" * 101)):
        with pytest.raises(DomainError, match=r"placement\.\w+ is") as refused:
            decide(given_(), nominate(placement=placement))
        assert refused.value.extra["field"].startswith("placement.")


def test_words_have_two_thousand_characters_and_names_two_hundred() -> None:
    with pytest.raises(DomainError, match="thinking is 2,001"):
        decide(away(), s(RecordCheckIn, checked_in_on=date(2024, 5, 1), thinking="t" * 2_001, work="fine"))
    with pytest.raises(DomainError, match="description is 2,001"):
        decide(away(), s(RecordContribution, contribution_id="k-1", kind=ContributionKind.PROJECT,
                         description="d" * 2_001, contributed_on=date(2024, 5, 1)))
    with pytest.raises(DomainError, match="reason is 2,001"):
        decide(given_(nominate()), approve(approved=False, reason="r" * 2_001))
    with pytest.raises(DomainError, match="name is 201"):
        units.decide(units.INITIAL, unit(name="u" * 201))
    # At their lengths they are taken.
    decide(away(), s(RecordCheckIn, checked_in_on=date(2024, 5, 1), thinking="t" * 2_000, work="w" * 2_000))
    assert a_cadre(post="p" * 200, name="n" * 200).post == "p" * 200


def test_an_id_holding_a_phone_or_id_number_is_refused_without_repeating_it() -> None:
    # Ids are kept in clear like any text, and unlike a path's id were never checked.
    for fields in ({"administrative_relation_org_id": "13812345678"},
                   {"party_relation_org_id": "branch-110101199003078515"}):
        with pytest.raises(DomainError) as refused:
            cadres.decide(cadres.INITIAL, register_cadre(**fields), unit=a_unit())
        assert next(iter(fields.values()))[-11:] not in refused.value.detail
    with pytest.raises(DomainError, match="township_id"):
        units.decide(units.INITIAL, unit(township_id="13812345678"))
    assert a_cadre(party_relation_org_id="3f2a9c1e-8b7d-4e6f-9a0b-1c2d3e4f5a6b").exists  # a uuid is no number

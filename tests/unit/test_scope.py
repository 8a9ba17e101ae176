"""The one access rule: which role reaches which place."""

from __future__ import annotations

import pytest

from services.pure.errors import Forbidden
from services.pure.identity import Actor, Role
from services.pure.scope import Place, reaches, require_reach

A_BRANCH = Place.of("branch-a", "township-a", hosts=["host-x"], people=["m-1"])


@pytest.mark.parametrize(("actor", "expected"), [
    (Actor(subject="c", role=Role.COUNTY_ADMIN), True),
    (Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a"), True),
    (Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-b"), False),
    (Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE), False),
    (Actor(subject="s", role=Role.BRANCH_SECRETARY, org_id="branch-a"), True),
    (Actor(subject="s", role=Role.BRANCH_SECRETARY, org_id="branch-b"), False),
    (Actor(subject="h", role=Role.HOST_ORGANISATION, org_id="host-x"), True),
    (Actor(subject="h", role=Role.HOST_ORGANISATION, org_id="host-y"), False),
    (Actor(subject="m-1", role=Role.MEMBER), True),
    (Actor(subject="m-2", role=Role.MEMBER), False),
])
def test_each_role_reaches_its_own_places_only(actor: Actor, expected: bool) -> None:
    assert reaches(actor, A_BRANCH) is expected


def test_a_township_committee_reaches_its_own_committee_record() -> None:
    assert reaches(Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a"),
                   Place.of("township-a", None))


def test_a_refusal_says_whose_records_the_token_reaches() -> None:
    with pytest.raises(Forbidden, match="reaches the records of township township-b"):
        require_reach(Actor(subject="t", role=Role.TOWNSHIP_COMMITTEE, org_id="township-b"), A_BRANCH, "read dues")

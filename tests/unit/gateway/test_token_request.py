"""A token's organisation is part of every event its holder causes (the actor label role:subject@org): it is an
id like any other, never a phone or an ID number, nor a path."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.gateway.api.tokens import TokenRequest
from services.pure.identity import Actor, Role


@pytest.mark.parametrize("org_id", ["13812345678", "138-1234-5678", "11010119900307123X", "../../etc", "a b",
                                    "branch/1", "", "x" * 101])
def test_an_organisation_that_is_no_id_is_refused(org_id: str) -> None:
    with pytest.raises(ValidationError):
        TokenRequest(subject="clerk", role=Role.BRANCH_SECRETARY, org_id=org_id)


@pytest.mark.parametrize("org_id", ["branch-1", "township-heping", "2f1c9a4e-6b1d-4c3e-9f0a-1b2c3d4e5f60",
                                    "org:330225"])
def test_an_id_is_taken_and_becomes_the_label(org_id: str) -> None:
    request = TokenRequest(subject="clerk", role=Role.BRANCH_SECRETARY, org_id=org_id)
    assert Actor(subject=request.subject, role=request.role, org_id=request.org_id).label == \
        f"branch_secretary:clerk@{org_id}"

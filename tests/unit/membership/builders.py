"""Test data builders for the membership domain: valid by default, override what a test is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from services.kernel.identity import Actor, Role
from services.membership.commands import EstablishBranch, RegisterMember, RegisterOutflow
from services.membership.domain import branches, members
from services.membership.events import BuildMode, Contact, DuesCategory, FoundingBasis, MemberStatus

TODAY = date(2026, 11, 24)
ADMIN = Actor(subject="admin", role=Role.COUNTY_ADMIN)
BRANCH_ID = "b-1"
SECRETARY = Actor(subject="sec", role=Role.BRANCH_SECRETARY, org_id=BRANCH_ID)
CONTACT = Contact(phone="+86 138 0000 0000")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def national_id(born: date, region: str = "440305", serial: str = "123") -> str:
    body = f"{region}{born:%Y%m%d}{serial}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]
    return body + check


def establish(**overrides: Any) -> EstablishBranch:
    cmd = EstablishBranch(
        actor=ADMIN, today=TODAY, branch_id=BRANCH_ID, name="Shenzhen Longhua Branch",
        founding_basis=FoundingBasis.LOCALITY, build_mode=BuildMode.STANDALONE, home_org_id="township-a",
        host_guidance_org="Longhua street committee", destination="Shenzhen", industry="construction",
        established_on=date(2026, 3, 1),
    )
    return replace(cmd, **overrides)


def register(**overrides: Any) -> RegisterMember:
    cmd = RegisterMember(
        actor=ADMIN, today=TODAY, member_id="m-1", name="Li Wei", national_id=national_id(date(1990, 5, 17)),
        formal_org_id=BRANCH_ID, status=MemberStatus.FULL, dues_category=DuesCategory.WAGE_EARNER,
        contact=CONTACT,
    )
    return replace(cmd, **overrides)


def outflow(**overrides: Any) -> RegisterOutflow:
    cmd = RegisterOutflow(
        actor=ADMIN, today=TODAY, member_id="m-1", destination="Dongguan", employer="Xin Da Electronics",
        contact=CONTACT, left_on=date(2026, 10, 1), expected_months=3,
    )
    return replace(cmd, **overrides)


def an_established_branch() -> branches.Branch:
    (event,) = branches.decide(branches.INITIAL, establish())
    return branches.evolve(branches.INITIAL, event)


def a_registered_member() -> members.Member:
    (event,) = members.decide(members.INITIAL, register(), formal_org=an_established_branch())
    return members.evolve(members.INITIAL, event)

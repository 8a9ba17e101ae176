"""Membership's own stream names (domain/own_streams.py) and the ids a client chooses: an organisation's or a host
organisation's code may take none of them, or the stream would be taken before its record is ever written."""

from __future__ import annotations

import pytest

from services.membership.contract.events.branches import OrgKind
from services.membership.deadlines import deadline_stream
from services.membership.domain import branches, dues, dues_ledger, dues_policy
from services.membership.domain.own_streams import OWN_STREAMS
from services.membership.handlers.records import branch_stream, member_stream, training_stream
from services.pure.errors import DomainError
from services.pure.policy_data import POLICY_STREAM
from tests.unit.membership import builders as b
from tests.unit.membership.test_host_organisations import register

#: Every name membership derives for a stream of its own, from the functions that derive them.
DERIVED = (POLICY_STREAM, dues_policy.STREAM_ID, dues.stream_id("m-1"), dues_ledger.ledger_stream_id("b-1"),
           deadline_stream("b-1"), training_stream("m-1", 2026))


@pytest.mark.parametrize("stream_id", DERIVED)
def test_every_stream_membership_derives_is_one_of_its_own(stream_id: str) -> None:
    assert OWN_STREAMS.holds(stream_id)


def test_a_records_own_stream_is_named_by_its_id_and_is_not_kept() -> None:
    assert not OWN_STREAMS.holds(branch_stream("330521-001")) and not OWN_STREAMS.holds(member_stream("m-1"))


@pytest.mark.parametrize("stream_id", DERIVED)
def test_no_organisation_or_host_organisation_takes_one_of_those_names(stream_id: str) -> None:
    with pytest.raises(DomainError, match="a name the system keeps for its own records"):
        branches.decide(branches.INITIAL, b.establish_org(org_id=stream_id))
    with pytest.raises(DomainError, match="a name the system keeps for its own records"):
        branches.decide(branches.INITIAL, register(org_id=stream_id))


@pytest.mark.parametrize("org_id", [" 330521-001", "330521-001 ", "\t"])
def test_a_chosen_id_with_spaces_around_it_is_refused_not_trimmed_into_another_streams_name(org_id: str) -> None:
    # The stream is named by the id as sent; its events named it trimmed: two ids for one record.
    with pytest.raises(DomainError, match=r"spaces around it|required"):
        branches.decide(branches.INITIAL, register(org_id=org_id))
    with pytest.raises(DomainError, match=r"spaces around it|required"):
        branches.decide(branches.INITIAL, b.establish_org(org_id=org_id))


def test_official_codes_are_taken_as_they_are() -> None:
    (registered,) = branches.decide(branches.INITIAL, register(org_id="330521-host-07"))
    assert registered.org_id == "330521-host-07"
    (established,) = branches.decide(branches.INITIAL, b.establish_org(
        org_id="duesless-county", kind=OrgKind.COUNTY_COMMITTEE, parent_id=None, name="County"))
    assert established.org_id == "duesless-county"

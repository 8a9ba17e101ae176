"""Host organisations in the read models: on record outside the tree, and the link a branch's row shows."""

from __future__ import annotations

from services.gateway.readmodels import branches, organisations
from services.membership.contract.events.branches import (
    BranchEstablished,
    HostGuidanceLinked,
    HostOrganisationRegistered,
)
from tests.unit.gateway.builders import DAY, Q, assigned, envelope, event, row, target


def test_a_host_organisation_is_an_organisation_under_no_parent_and_no_home() -> None:
    (op,) = organisations.apply(Q, envelope(5), event(HostOrganisationRegistered, org_id="host-1", name="Longhua",
                                                      registered_on=DAY))
    inserted = row(op)
    assert target(op) == "organisations_view"
    assert (inserted["org_id"], inserted["kind"], inserted["parent_id"], inserted["home_org_id"],
            inserted["outstation"]) == ("host-1", "host_organisation", None, None, False)


def test_a_branch_row_carries_the_host_it_was_established_with_and_a_later_link_replaces_it() -> None:
    (op,) = branches.apply(Q, envelope(6), event(BranchEstablished, branch_id="b-1", host_org_id="host-1",
                                                 covered_units=()))
    assert row(op)["host_org_id"] == "host-1"
    (linked,) = branches.apply(Q, envelope(9), event(HostGuidanceLinked, org_id="b-1", host_org_id="host-2",
                                                     host_name="Nanshan"))
    assert target(linked) == "branches_view"
    assert assigned(linked) == {"branch_id": "b-1", "host_org_id": "host-2", "host_guidance_org": "Nanshan",
                                "position": 9}

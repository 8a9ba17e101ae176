"""The migrant-worker services reach the bureaus' systems: each step of a service case becomes
``goldenbridge.service_case.step.v1``, placed in the worker's township, with no one named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from services.partners.domain.routing import Directory, OrgTree, learn_tree, route, to_outward
from services.workers.contract.events import (
    Bureau,
    CaseClosed,
    CaseDecided,
    CaseReferred,
    DocumentIssued,
    LegalAidOutcome,
    ServiceKind,
)
from tests.unit.partners.builders import LATER, partner, subscription, township

CASE = "goldenbridge.service_case.step.v1"
DAY = date(2026, 3, 6)


def _deliveries(event: Any, directory: Directory) -> dict[str, Any]:
    tree = OrgTree()
    for org in (township("tw-a"), township("tw-b")):
        item = to_outward(org)
        assert item is not None
        learn_tree(tree, item)
    item = to_outward(event)
    assert item is not None
    out = route(item, event_id="e-1", source="/golden-bridge/workers", time=LATER, directory=directory, tree=tree,
                public_base_url="https://gb.example/")
    return {d.partner_id: d for d in out}


def _bureaus() -> Directory:
    return Directory.of(
        {"labour": partner("labour", types=(CASE,)), "tw-b-only": partner("tw-b-only", types=(CASE,),
                                                                          townships=("tw-b",))},
        [subscription("labour", "s-l"), subscription("tw-b-only", "s-b")])


def test_an_issued_certificate_reaches_a_county_wide_bureau_and_not_another_townships_partner() -> None:
    issued = DocumentIssued(case_id="c-1", kind=ServiceKind.MICRO_CREDIT, bureau=Bureau.LABOUR,
                            document_number="RS-1", amount=Decimal("30000"), fee=Decimal(0), issued_on=DAY,
                            late=False, actor="labour_bureau:x", township_id="tw-a")
    got = _deliveries(issued, _bureaus())
    assert list(got) == ["labour"]
    assert got["labour"].subject == "case/c-1"


def test_every_step_says_what_it_is_and_names_no_one() -> None:
    steps = [
        CaseReferred(case_id="c-2", kind=ServiceKind.LEGAL_AID, township_id="tw-b", bureau=Bureau.JUSTICE,
                     referred_on=DAY, due_by=date(2026, 3, 13), actor="a", policy_version="workers-2026.1"),
        CaseDecided(case_id="c-2", kind=ServiceKind.LEGAL_AID, bureau=Bureau.JUSTICE, granted=True, reference="FY-1",
                    amount=None, reason="", decided_on=DAY, late=False, actor="a", township_id="tw-b"),
        CaseClosed(case_id="c-2", kind=ServiceKind.LEGAL_AID, closed_on=DAY, outcome=LegalAidOutcome.SETTLED,
                   note="wages paid", actor="a", township_id="tw-b"),
    ]
    outward = [to_outward(e) for e in steps]
    assert [o.event.step for o in outward if o] == ["referred", "decided", "closed"]
    assert [o.places for o in outward if o] == [("tw-b",)] * 3
    assert sorted(_deliveries(steps[0], _bureaus())) == ["labour", "tw-b-only"]
    closed = outward[2]
    assert closed is not None and closed.event.outcome == "settled" and closed.kind.personal_fields() == {}


def test_a_number_recorded_shaped_like_an_id_or_phone_reaches_no_partner_while_the_bureaus_numbers_do() -> None:
    # Before the workers service refused them, an ID paper's own number (its holder's ID number) could be recorded
    # as the document's number: every partner receives null instead, whatever its policy.
    def issued(number: str) -> DocumentIssued:
        return DocumentIssued(case_id="c-3", kind=ServiceKind.PAPERS, bureau=Bureau.LABOUR, document_number=number,
                              amount=None, fee=Decimal(0), issued_on=DAY, late=False, actor="a", township_id="tw-b")

    def decided(reference: str) -> CaseDecided:
        return CaseDecided(case_id="c-3", kind=ServiceKind.LEGAL_AID, bureau=Bureau.JUSTICE, granted=True,
                           reference=reference, amount=None, reason="", decided_on=DAY, late=False, actor="a",
                           township_id="tw-b")

    for event, field in ((issued("11010519491231002X"), "document_number"), (decided("138 0013 8000"), "reference")):
        for delivery in _deliveries(event, _bureaus()).values():
            assert delivery.cloudevent["data"][field] is None
    assert {d.cloudevent["data"]["document_number"] for d in _deliveries(issued("SL-2026-0012"), _bureaus()).values()
            } == {"SL-2026-0012"}
    assert {d.cloudevent["data"]["reference"] for d in _deliveries(decided("FY-2026-051"), _bureaus()).values()
            } == {"FY-2026-051"}

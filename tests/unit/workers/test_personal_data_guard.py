"""No text a workers command takes may carry a phone or ID number into an event (docs/workers.md, personal data):
each field refuses one with a 422 that names the field and says what to record instead, and nothing is decided."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.pure.errors import DomainError
from services.workers.contract.commands import CloseCase, OrganiseExportGroup, RegisterWorker, RequestService
from services.workers.contract.events import ServiceKind
from services.workers.domain import cases, groups, workers
from tests.unit.pure.test_personal_text import id_numbers, mobiles
from tests.unit.workers.test_domain import (
    ALL,
    COMMITTEE,
    CONSENT_ON,
    TODAY,
    certificate,
    decision,
    refer,
    registered,
    requested,
    run,
)

PERSONAL = st.one_of(mobiles(), id_numbers())


def _register(**text: str | tuple[str, ...]) -> None:
    fields: dict[str, object] = {"township_id": "town-a", "village": "east", "member_id": None, "skills": (), **text}
    workers.decide(workers.INITIAL, RegisterWorker(
        actor=COMMITTEE, today=TODAY, worker_id="w1", consent_scope=ALL, consent_on=CONSENT_ON,
        registered_on=CONSENT_ON, **fields))  # type: ignore[arg-type]


def _organise(**text: str) -> None:
    fields = {"township_id": "town-a", "destination": "Shenzhen", "branch_id": "branch-sz", **text}
    groups.decide(groups.INITIAL, OrganiseExportGroup(
        actor=COMMITTEE, today=TODAY, group_id="g1", worker_ids=("w1",), organised_on=date(2026, 12, 10),
        departs_on=date(2026, 12, 25), **fields), workers={"w1": registered()})


def _referred(kind: ServiceKind) -> cases.Case:
    state, _ = run(cases.INITIAL, requested(kind), refer())
    return state


def _request_note(text: str) -> None:
    request = RequestService(actor=COMMITTEE, today=TODAY, case_id="c1", worker_id="w1", kind=ServiceKind.PAPERS,
                             requested_on=date(2026, 12, 2), note=text)
    run(cases.INITIAL, request)


def _closing_note(text: str) -> None:
    state, _ = run(_referred(ServiceKind.PAPERS), certificate(amount=None, number="SL-2026-001"))
    run(state, CloseCase(actor=COMMITTEE, today=TODAY, case_id="c1", closed_on=date(2026, 12, 6), note=text))


_WORDS = "Dongguan 2026-03, RS-2026-001"

#: Every free-text field of every workers command: how to send it, what its refusal tells the caller to record
#: instead, and an ordinary value it takes.
FIELDS: dict[str, tuple[Callable[[str], object], str, str]] = {
    "RegisterWorker.township_id": (lambda t: _register(township_id=t), "the township's organisation id", "town-a"),
    "RegisterWorker.village": (lambda t: _register(village=t), "the village's name", "Dongcun village 2"),
    "RegisterWorker.member_id": (lambda t: _register(member_id=t), "the member id membership assigned", "m-2026-17"),
    "RegisterWorker.skills": (lambda t: _register(skills=("masonry", t)), "each skill by name", "welding"),
    "RequestService.note": (_request_note, "what the case is about, in words", _WORDS),
    "IssueDocument.document_number": (
        lambda t: run(_referred(ServiceKind.PAPERS), certificate(amount=None, number=t)),
        "for an ID paper, whose own number is the holder's ID number, the number of its acceptance receipt",
        "SL-2026-0012"),
    "DecideCase.reference": (lambda t: run(_referred(ServiceKind.LEGAL_AID), decision(reference=t)),
                             "the legal-aid case or loan contract number", "FY-2026-051"),
    "DecideCase.reason": (lambda t: run(_referred(ServiceKind.LEGAL_AID), decision(False, reference="", reason=t)),
                          "why the case is refused, in words", _WORDS),
    "CloseCase.note": (_closing_note, "what the case is about, in words", _WORDS),
    "OrganiseExportGroup.township_id": (lambda t: _organise(township_id=t), "the township's organisation id",
                                        "town-a"),
    "OrganiseExportGroup.destination": (lambda t: _organise(destination=t), "the city or site the group goes to",
                                        "Dongguan, Guangdong"),
    "OrganiseExportGroup.branch_id": (lambda t: _organise(branch_id=t), "the id of the outstation branch",
                                      "branch-dg-2026"),
}


@pytest.mark.parametrize("field", FIELDS)
@settings(max_examples=25, deadline=None)  # the shapes' edges are tested in tests/unit/pure/test_personal_text.py
@given(text=PERSONAL)
def test_a_phone_or_id_number_in_any_text_of_a_command_is_refused_saying_what_to_record(field: str,
                                                                                         text: str) -> None:
    attempt, instead, _ = FIELDS[field]
    with pytest.raises(DomainError) as refused:
        attempt(text)
    detail = refused.value.detail
    assert refused.value.status == 422
    assert detail.startswith(f"{field.split('.')[1]} holds what looks like"), detail
    assert instead in detail, detail
    assert not any(c.isdigit() for c in detail), "the refusal repeats no number"


@pytest.mark.parametrize("field", FIELDS)
def test_the_same_fields_take_ordinary_text_and_numbers(field: str) -> None:
    attempt, _, ordinary = FIELDS[field]
    attempt(ordinary)


def test_an_id_papers_own_number_is_refused_and_its_receipt_number_recorded() -> None:
    # The rule of docs/workers.md: a papers case never records the ID number the paper carries.
    state = _referred(ServiceKind.PAPERS)
    with pytest.raises(DomainError, match="acceptance receipt"):
        run(state, certificate(amount=None, number="身份证 11010519491231002X"))
    _, [issued] = run(state, certificate(amount=None, number="SL-2026-0012"))
    assert issued.document_number == "SL-2026-0012"


def test_a_phone_in_a_note_is_refused_as_the_review_sent_it() -> None:
    with pytest.raises(DomainError, match=r"^note holds what looks like a phone number"):
        _request_note("worker asks for a callback on 138-0013-8000")

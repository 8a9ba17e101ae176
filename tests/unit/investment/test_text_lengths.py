"""Texts of a lead have a length (hostile review 2026-12-02): an investor and a project of half a megabyte each made a
registration whose event — the two again in its match key — the relay could not publish, and it stopped there."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.investment.contract.events import LeadRegistered, LeadStage
from services.investment.domain import leads
from services.pure.errors import DomainError
from tests.unit.investment import REGISTERED_ON, advance, decide, funds, register, registered, signed


@pytest.mark.parametrize(("fields", "what"), [
    ({"investor": "I" * 201}, "investor is 201 characters long; it takes at most 200"),
    ({"project": "P" * 500_000}, "project is 500,000 characters long"),
    ({"sector": "s" * 201}, "sector is 201"),
    ({"origin_locality": "o" * 201}, "origin_locality is 201"),
    ({"registrant_name": "n" * 201}, "registrant_name is 201"),
    ({"branch_id": "b" * 101}, "branch_id is 101 characters long; it takes at most 100"),
    ({"township_id": "t" * 101}, "township_id is 101"),
    ({"backdating_reason": "r" * 2_001}, "backdating_reason is 2,001 characters long; it takes at most 2,000"),
])
def test_a_registration_text_past_its_length_is_refused_naming_the_field_not_the_text(
        fields: dict[str, Any], what: str) -> None:
    with pytest.raises(DomainError, match=what) as refused:
        decide(leads.INITIAL, register(**fields))
    assert len(refused.value.detail) < 200 and refused.value.extra["field"] == next(iter(fields))


def test_texts_at_their_length_are_taken() -> None:
    (event,) = decide(leads.INITIAL, register(investor="I" * 200, project="P" * 200, registrant_name="n" * 200))
    assert isinstance(event, LeadRegistered)
    decide(registered(), advance(LeadStage.CONTACTED, REGISTERED_ON, note="w" * 2_000))


def test_a_steps_note_and_a_vouchers_reference_have_a_length() -> None:
    with pytest.raises(DomainError, match="note is 2,001"):
        decide(registered(), advance(LeadStage.CONTACTED, REGISTERED_ON, note="w" * 2_001))
    with pytest.raises(DomainError, match="reference is 201"):
        decide(signed(), funds("10.00", date(2025, 5, 1), "v" * 201))


@pytest.mark.parametrize("field", ["registrant_id", "branch_id", "township_id", "investor_party_id"])
def test_an_id_holding_a_phone_number_is_refused_without_repeating_it(field: str) -> None:
    with pytest.raises(DomainError) as refused:
        decide(leads.INITIAL, register(**{field: "13812345678"}))
    assert "13812345678" not in refused.value.detail and refused.value.detail.startswith(f"{field} holds")

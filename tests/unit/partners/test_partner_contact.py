"""A partner's name and contact hold no phone or ID number: they are kept in clear in the partner's events, on
gb.partners.events and in partners_view. The contact names an office or a role (劳动保障局就业科)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.partners import PARTNERS
from services.partners.contract.commands import ChangePartner, RegisterPartner
from services.partners.contract.events import PartnerRegistered, PartnerScope
from services.partners.contract.values import PartnerKind, PersonalDataPolicy
from services.partners.domain import partners
from services.pure.errors import DomainError
from tests.unit.partners.builders import COUNTY, REGISTERED, T0
from tests.unit.pure.test_personal_text import id_numbers, mobiles

DAY = date(2026, 3, 1)
SCOPE = PartnerScope(event_types=(REGISTERED,))
PERSONAL = st.one_of(mobiles(), id_numbers())


def register(*, name: str = "某县人社局", contact: str = "劳动保障局就业科") -> RegisterPartner:
    return RegisterPartner(actor=COUNTY, today=DAY, partner_id="labour", name=name, kind=PartnerKind.LABOUR_BUREAU,
                           contact=contact, scope=SCOPE)


def change(*, contact: str) -> ChangePartner:
    return ChangePartner(actor=COUNTY, today=DAY, partner_id="labour", name="某县人社局", contact=contact, scope=SCOPE,
                         personal_data=PersonalDataPolicy.NONE)


@settings(max_examples=50, deadline=None)
@given(PERSONAL)
def test_a_phone_or_id_number_in_the_contact_is_refused_on_registration_and_on_change(text: str) -> None:
    with pytest.raises(DomainError, match=r"^contact holds what looks like .* office or role") as refused:
        partners.decide(None, register(contact=text), now=T0)
    assert not any(c.isdigit() for c in refused.value.detail), "the refusal repeats no number"
    [registered] = partners.decide(None, register(), now=T0)
    with pytest.raises(DomainError, match=r"^contact holds"):
        partners.decide(partners.evolve(None, registered), change(contact=text), now=T0)


@pytest.mark.parametrize("contact", ["0574-8770-0000", "江北区委组织部 (0574) 8770 0000", "联系人手机 13800138000"])
def test_an_offices_landline_is_refused_too(contact: str) -> None:
    # The contact is kept in clear and copied to every reader: it names whom to ask, the county keeps the numbers.
    with pytest.raises(DomainError, match=r"^contact holds what looks like a phone number"):
        partners.decide(None, register(contact=contact), now=T0)


def test_a_phone_in_the_name_is_refused() -> None:
    with pytest.raises(DomainError, match=r"^name holds what looks like a phone number"):
        partners.decide(None, register(name="人社局 13800138000"), now=T0)


@pytest.mark.parametrize("contact", ["劳动保障局就业科", "省委组织部组织二处", "Room 301, 2nd floor"])
def test_an_office_or_role_is_the_contact(contact: str) -> None:
    [event] = partners.decide(None, register(contact=contact), now=T0)
    assert isinstance(event, PartnerRegistered) and event.contact == contact


@pytest.mark.parametrize("body", PARTNERS, ids=lambda b: str(b["partner_id"]))
def test_the_demos_partners_name_offices(body: dict[str, object]) -> None:
    partners.decide(None, register(name=str(body["name"]), contact=str(body["contact"])), now=T0)

"""A partner holds at most MAX_SUBSCRIPTIONS subscriptions: each new one claims a free slot (a reservation key)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.partners.contract.values import MAX_SUBSCRIPTIONS
from services.partners.domain.subscriptions import free_slots, slot_prefix
from services.pure.errors import StateConflict

SLOTS = [f"{slot_prefix('host-ningbo')}{n}" for n in range(MAX_SUBSCRIPTIONS)]


@given(st.sets(st.sampled_from(SLOTS), max_size=MAX_SUBSCRIPTIONS - 1))
def test_a_new_subscription_may_take_any_slot_none_holds(held: set[str]) -> None:
    assert free_slots("host-ningbo", frozenset(held)) == [slot for slot in SLOTS if slot not in held]


def test_with_every_slot_held_a_new_one_is_refused_with_what_to_do() -> None:
    with pytest.raises(StateConflict, match=f"holds {MAX_SUBSCRIPTIONS} subscriptions.*delete one"):
        free_slots("host-ningbo", frozenset(SLOTS))


def test_another_partners_slots_are_not_this_ones() -> None:
    others = frozenset(f"{slot_prefix('host-ningbo-2')}{n}" for n in range(MAX_SUBSCRIPTIONS))
    assert free_slots("host-ningbo", others) == SLOTS

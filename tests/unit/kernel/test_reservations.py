"""What an append may claim and release: keys, never one key both ways."""

from __future__ import annotations

import pytest

from services.kernel.reservations import NONE, Reservations, ReservationTaken, reservation_columns
from services.pure.errors import ConcurrencyConflict


def test_an_append_names_a_key_once_whether_it_claims_releases_or_needs_it_free() -> None:
    for reservations in ({"claim": ("a", "b"), "release": ("b",)}, {"claim": ("a",), "free": ("a",)},
                         {"release": ("a", "a")}):
        with pytest.raises(ValueError, match="once"):
            Reservations(**reservations)  # type: ignore[arg-type]


def test_reservations_are_something_only_when_they_name_a_key() -> None:
    assert not NONE
    assert all((Reservations(claim=("a",)), Reservations(release=("a",)), Reservations(free=("a",)),
                Reservations(read=(("s", 1),))))


def test_a_lost_key_is_a_retryable_conflict_that_does_not_name_the_other_record_to_the_client() -> None:
    taken = ReservationTaken("lost", key="open-secondment:c-1", holder="s-9", stream_id="s-2")
    assert isinstance(taken, ConcurrencyConflict) and taken.status == 409
    assert "c-1" not in str(taken.body()) and "s-9" not in str(taken.body())
    assert (taken.key, taken.holder) == ("open-secondment:c-1", "s-9")


def test_a_batch_s_reservations_go_to_the_database_as_parallel_arrays_numbered_by_item() -> None:
    items = [Reservations(claim=("a",)), NONE,
             Reservations(claim=("b", "c"), release=("d",), free=("e",), read=(("s-1", 4), ("s-2", 0)))]
    assert reservation_columns(items) == (
        [1, 3, 3, 3, 3], ["a", "b", "c", "d", "e"], ["claim", "claim", "claim", "release", "free"],
        [3, 3], ["s-1", "s-2"], [4, 0])

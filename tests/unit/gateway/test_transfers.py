"""The transfers read model: each transfer's state as its letter is issued, received, returned or closed."""

from __future__ import annotations

from datetime import date

import pytest

from services.gateway.readmodels import PROJECTION, transfers
from services.membership.contract.events.transfers import (
    ReceiptReturned,
    TransferCancelled,
    TransferExpired,
    TransferLetterIssued,
    TransferLetterReissued,
    TransferReceived,
    TransferRequested,
)
from tests.unit.gateway.builders import Q, assigned, envelope, event, row, target


def test_a_requested_transfer_starts_in_the_requested_state() -> None:
    ops = transfers.apply(Q, envelope(4), event(TransferRequested, transfer_id="t-1", member_id="m-1",
                                                from_org_id="b-1", to_org_id="b-2", requested_on=date(2024, 2, 1)))
    inserted = row(ops[0])
    assert target(ops[0]) == "transfers_view"
    assert (inserted["state"], inserted["from_org_id"], inserted["to_org_id"], inserted["to_external"]) == (
        "requested", "b-1", "b-2", None)


@pytest.mark.parametrize("letter", [TransferLetterIssued, TransferLetterReissued])
def test_an_issued_or_reissued_letter_puts_the_transfer_in_letter_issued_with_that_letter(
    letter: type[TransferLetterIssued] | type[TransferLetterReissued],
) -> None:
    ops = transfers.apply(Q, envelope(), event(letter, transfer_id="t-1", letter_number="L-2",
                                               valid_until=date(2024, 5, 1)))
    sets = assigned(ops[0])
    assert (sets["transfer_id"], sets["state"], sets["letter_number"], sets["valid_until"]) == (
        "t-1", "letter_issued", "L-2", date(2024, 5, 1))


def test_a_received_letter_marks_the_transfer_received_and_moves_the_member_in_the_same_batch() -> None:
    received = event(TransferReceived, transfer_id="t-1", member_id="m-1", to_org_id="b-2",
                     received_on=date(2024, 3, 3))
    ops = PROJECTION.apply(Q, envelope(), received)
    assert sorted(target(op) for op in ops) == ["members_view", "transfers_view"]
    transfer = next(op for op in ops if target(op) == "transfers_view")
    assert (assigned(transfer)["state"], assigned(transfer)["received_on"]) == ("received", date(2024, 3, 3))


@pytest.mark.parametrize(("closing", "state", "day_field"), [
    (ReceiptReturned, "completed", "returned_on"),
    (TransferExpired, "expired", "expired_on"),
    (TransferCancelled, "cancelled", "cancelled_on"),
])
def test_a_transfer_is_closed_on_the_day_of_its_last_step(closing: type, state: str, day_field: str) -> None:
    ops = transfers.apply(Q, envelope(), event(closing, transfer_id="t-1", **{day_field: date(2024, 6, 30)}))
    sets = assigned(ops[0])
    assert (sets["state"], sets["closed_on"]) == (state, date(2024, 6, 30))


def test_a_returned_receipt_records_the_day_it_came_back() -> None:
    ops = transfers.apply(Q, envelope(), event(ReceiptReturned, transfer_id="t-1", returned_on=date(2024, 7, 1)))
    assert assigned(ops[0])["receipt_returned_on"] == date(2024, 7, 1)


def test_in_progress_means_the_sender_is_still_responsible() -> None:
    assert transfers.IN_PROGRESS == ("requested", "letter_issued")

"""The deactivated partners the gateway refuses the tokens of: taken from the read model's rows, never brought back
to an earlier state by a read model that is rebuilt, kept when the read model cannot be read."""

from __future__ import annotations

from typing import Any, cast

import asyncpg
import pytest

from services.gateway.partner_access import DeactivatedPartners


def test_a_deactivated_partner_is_refused_and_a_reactivated_one_is_not() -> None:
    partners = DeactivatedPartners()
    partners.take([("a", "active", 1), ("b", "deactivated", 2)])
    assert partners.is_deactivated("b") and not partners.is_deactivated("a")
    partners.take([("a", "deactivated", 3), ("b", "active", 4)])
    assert partners.is_deactivated("a") and not partners.is_deactivated("b")
    assert not partners.is_deactivated("unknown") and not partners.is_deactivated(None)


def test_a_row_older_than_the_one_taken_does_not_bring_back_its_state() -> None:
    # A rebuild from offset 0 shows the partner as registered (position 5) before it reaches its deactivation (9).
    partners = DeactivatedPartners()
    partners.take([("a", "deactivated", 9)])
    partners.take([("a", "active", 5)])
    assert partners.is_deactivated("a")
    partners.take([("a", "active", 12)])  # the reactivation, once the rebuild reaches it
    assert not partners.is_deactivated("a")


def test_a_partner_missing_from_the_rows_keeps_its_state() -> None:
    partners = DeactivatedPartners()
    partners.take([("a", "deactivated", 9), ("b", "active", 3)])
    partners.take([])  # a rebuild's empty table
    assert partners.is_deactivated("a") and not partners.is_deactivated("b")


def test_a_state_other_than_active_is_refused() -> None:
    partners = DeactivatedPartners()
    partners.take([("a", "suspended", 1)])
    assert partners.is_deactivated("a")


class FailingPool:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def fetch(self, query: str) -> Any:
        raise self.error


@pytest.mark.parametrize("error", [asyncpg.UndefinedTableError("no partners_view"),
                                   asyncpg.InvalidSchemaNameError("no schema public")])
async def test_read_models_not_made_yet_or_dropped_keep_what_is_known(error: Exception) -> None:
    partners = DeactivatedPartners()
    partners.take([("a", "deactivated", 9)])
    await partners.refresh(cast(asyncpg.Pool, FailingPool(error)))
    assert partners.is_deactivated("a")


async def test_a_read_model_that_cannot_be_read_is_the_callers_to_handle_and_changes_nothing() -> None:
    partners = DeactivatedPartners()
    partners.take([("a", "deactivated", 9)])
    with pytest.raises(ConnectionRefusedError):  # the refresh loop logs it and tries again (token_registry)
        await partners.refresh(cast(asyncpg.Pool, FailingPool(ConnectionRefusedError())))
    assert partners.is_deactivated("a")

"""Establishing a branch under an id the command API just minted does not ask whether a recorded branch names it
as home: none can (services/membership/handlers/organisations.py ``named_as_home``)."""

from __future__ import annotations

from typing import Any

from services.kernel import handling
from services.membership.handlers.organisations import named_as_home


class Pool:
    def __init__(self) -> None:
        self.asked: list[tuple[Any, ...]] = []

    async def fetchval(self, statement: str, *args: Any) -> bool:
        self.asked.append(args)
        return True


class Store:
    def __init__(self) -> None:
        self.pool = Pool()


async def test_a_minted_id_is_named_by_no_branch_without_a_query() -> None:
    store = Store()
    with handling.minted("branch-new"):
        assert await named_as_home(store, "branch-new") is False  # type: ignore[arg-type]
        assert await named_as_home(store, "branch-old") is True  # type: ignore[arg-type]
    assert store.pool.asked == [("branch-old",)]


async def test_outside_a_creating_command_every_id_is_asked_about() -> None:
    store = Store()
    assert await named_as_home(store, "branch-new") is True  # type: ignore[arg-type]
    assert store.pool.asked == [("branch-new",)]

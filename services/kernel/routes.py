"""A command's route row: where it is sent, who may send it, and the handler that runs it.

Each service declares its rows in its contract. The service serves them (the body becomes the typed
command, the handler — held by reference — runs it) and the gateway publishes them under /v1 with the
row's roles, summary and scope. One row per command; nothing is looked up by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from services.kernel.store import AppendResult, CommandMeta, EventStore
from services.pure.identity import Role

C = TypeVar("C")

#: Runs one command against the service's store: load, fold, decide, append.
Handler = Callable[[EventStore[Any], C, CommandMeta], Awaitable[AppendResult]]


@dataclass(frozen=True, kw_only=True)
class CommandRoute(Generic[C]):
    """``POST path``: the body plus what the API fills in becomes ``command``; ``handler`` runs it.

    ``from_path`` names the command fields taken from the path; ``new_id`` the field that gets a fresh
    id (a new record). ``roles`` may send it; ``scope`` says which records of theirs a role reaches
    (the owning service checks it against the record). ``location`` is the public URL of the record
    the command touched, formatted with the path parameters and ``id`` (the record's id).
    """

    path: str
    command: type[C]
    handler: Handler[C]
    summary: str
    roles: tuple[Role, ...]
    scope: str
    from_path: tuple[str, ...] = ()
    new_id: str | None = None
    #: A hand-written request body, when the generated one (the command's own fields) is not enough.
    body: type[BaseModel] | None = None
    location: str | None = None
    method: str = "POST"

    @property
    def body_excludes(self) -> tuple[str, ...]:
        return (*self.from_path, *((self.new_id,) if self.new_id else ()))

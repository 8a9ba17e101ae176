"""Where a command is sent over HTTP: one route table per service, shared by the service and the gateway.

The gateway serves each path under /v1 and forwards it unchanged; the service builds the command
from the body, the path parameters (``from_path``) and, for a new record, a fresh id (``new_id``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    path: str
    command: type
    #: Name of the handler in the service's ``handlers`` module.
    handler: str
    from_path: tuple[str, ...] = ()
    new_id: str | None = None

    @property
    def body_excludes(self) -> tuple[str, ...]:
        return (*self.from_path, *((self.new_id,) if self.new_id else ()))

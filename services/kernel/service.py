"""What a service hands the kernel: its name, its events, its command routes and its default port.

The kernel knows no service by name. Each service's contract builds one ``ServiceDefinition``; the
system's composition (services/system.py) lists them, and every process — a service, its relay, the
gateway, the projector — is given the definitions it serves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.kernel.events import EventRegistry
from services.kernel.routes import CommandRoute
from services.kernel.settings import Settings
from services.kernel.store import EventStore
from services.kernel.topics import event_topic
from services.pure.identity import Actor

#: Decides whether an actor reaches the record a command touches: returns, or raises ``Forbidden`` (403).
#: The command API calls it for every command, after the command is built and before its handler runs.
Authorize = Callable[[EventStore[Any], Actor, Any], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class ServiceDefinition:
    name: str
    registry: EventRegistry[Any]
    routes: tuple[CommandRoute[Any], ...]
    #: Where the service's internal command API listens unless GB_<NAME>_PORT says otherwise.
    default_port: int
    #: The tag its routes carry in the public API's documentation.
    tag: str = ""
    #: The service's one scope decision for every command it serves (the route rows' ``scope`` in code);
    #: None where the service's deciders check scope themselves.
    authorize: Authorize | None = None

    @property
    def topic(self) -> str:
        """The event-log topic its relay publishes to."""
        return event_topic(self.name)

    @property
    def database(self) -> str:
        """Its own database (gb_<name>): the event store and nothing of anyone else's."""
        return self.name

    def port(self, settings: Settings) -> int:
        return settings.service_port(self.name, self.default_port)

    def base_url(self, settings: Settings) -> str:
        return settings.service_base_url(self.name, self.default_port)

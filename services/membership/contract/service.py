"""What membership hands the kernel and the system: its name, events, command routes and default port."""

from __future__ import annotations

from services.kernel.service import ServiceDefinition
from services.membership.access import authorize
from services.membership.contract import NAME
from services.membership.contract.events import REGISTRY
from services.membership.contract.routes import ROUTES

#: ``authorize``: every membership command is scoped in one place (services/membership/access.py).
SERVICE = ServiceDefinition(name=NAME, registry=REGISTRY, routes=ROUTES, default_port=8101,
                            authorize=authorize)

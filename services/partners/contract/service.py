"""What the partners service hands the kernel and the system: its name, events, command routes and port."""

from __future__ import annotations

from services.kernel.service import ServiceDefinition
from services.partners.access import authorize
from services.partners.contract import NAME
from services.partners.contract.events import REGISTRY
from services.partners.contract.routes import ROUTES

SERVICE = ServiceDefinition(name=NAME, registry=REGISTRY, routes=ROUTES, default_port=8104, authorize=authorize)

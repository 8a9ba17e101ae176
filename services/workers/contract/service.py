"""What the workers service hands the kernel and the system: its name, events, command routes and port."""

from __future__ import annotations

from services.kernel.service import ServiceDefinition
from services.workers.access import authorize
from services.workers.contract import NAME
from services.workers.contract.events import REGISTRY
from services.workers.contract.routes import ROUTES

SERVICE = ServiceDefinition(name=NAME, registry=REGISTRY, routes=ROUTES, default_port=8106,
                            authorize=authorize)

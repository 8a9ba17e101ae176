"""What secondment hands the kernel and the system: its name, events, command routes and default port."""

from __future__ import annotations

from services.kernel.service import ServiceDefinition
from services.secondment.contract.events import REGISTRY
from services.secondment.contract.routes import ROUTES

SERVICE = ServiceDefinition(name="secondment", registry=REGISTRY, routes=ROUTES, default_port=8102)

"""What investment hands the kernel and the system: its name, events, command routes and default port."""

from __future__ import annotations

from services.investment.contract import NAME
from services.investment.contract.events import REGISTRY
from services.investment.contract.routes import ROUTES
from services.kernel.service import ServiceDefinition

SERVICE = ServiceDefinition(name=NAME, registry=REGISTRY, routes=ROUTES, default_port=8103)

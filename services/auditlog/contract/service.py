"""What the audit log hands the kernel and the system: its name, events (its tree heads), route and port."""

from __future__ import annotations

from services.auditlog.contract import NAME
from services.auditlog.contract.events import REGISTRY
from services.auditlog.contract.routes import ROUTES
from services.kernel.service import ServiceDefinition

SERVICE = ServiceDefinition(name=NAME, registry=REGISTRY, routes=ROUTES, default_port=8105, tag="audit")

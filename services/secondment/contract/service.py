"""What secondment hands the kernel and the system: name, events, command routes, port, policy consumer group."""

from __future__ import annotations

from services.kernel.service import ServiceDefinition
from services.secondment.contract import NAME
from services.secondment.contract.events import REGISTRY
from services.secondment.contract.routes import ROUTES

SERVICE = ServiceDefinition(name=NAME, registry=REGISTRY, routes=ROUTES, default_port=8102)

#: The Kafka consumer group of the funds-credit policy process on the investment topic: operators (and the
#: fault test) read its committed offsets to see how far the policy has got.
FUNDS_CREDIT_GROUP = "gb-policy-funds-credit"

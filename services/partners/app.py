"""Partners service process: the store, the command API of its route rows, the partner reads only it can
answer (Kafka credentials, webhook secrets, delivery logs, lag), and the provisioner that gives every
registered partner its Kafka topic, principal and ACLs."""

from __future__ import annotations

from services.kernel.service_app import create_service_app
from services.partners import queries
from services.partners.contract.service import SERVICE
from services.partners.provisioner import provisioner

app = create_service_app(SERVICE, on_start=queries.install, extras=provisioner)
app.include_router(queries.router)

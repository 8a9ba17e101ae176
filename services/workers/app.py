"""Workers service process: the store and the command API of its route rows."""

from __future__ import annotations

from services.kernel.service_app import create_service_app
from services.workers.contract.service import SERVICE

app = create_service_app(SERVICE)

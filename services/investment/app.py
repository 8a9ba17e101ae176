"""Investment service process: the store and the command API of its route rows."""

from __future__ import annotations

from services.investment import handlers
from services.investment.contract.service import SERVICE
from services.kernel.service_app import create_service_app

app = create_service_app(SERVICE, on_start=handlers.install)

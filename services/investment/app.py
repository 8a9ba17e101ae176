"""Investment service process: the store and the command API of the route table."""

from __future__ import annotations

from services.investment import handlers
from services.investment.routes import ROUTES
from services.kernel.command_api import CommandApi
from services.kernel.service_app import create_service_app

app = create_service_app("investment", CommandApi.serving(handlers, ROUTES).router, on_start=handlers.install)

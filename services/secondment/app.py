"""Secondment service process: the store and the command API of the route table."""

from __future__ import annotations

from services.kernel.command_api import CommandApi
from services.kernel.service_app import create_service_app
from services.secondment import handlers
from services.secondment.routes import ROUTES

app = create_service_app("secondment", CommandApi.serving(handlers, ROUTES).router, on_start=handlers.install)

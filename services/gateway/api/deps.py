"""Request-scoped dependencies of the public API (pools, clients, settings)."""

from __future__ import annotations

from typing import Annotated

import asyncpg
import httpx
from fastapi import Depends, Query, Request

from services.kernel.settings import Settings


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.read_pool
    return pool


def service_client(request: Request, service: str) -> httpx.AsyncClient:
    """The HTTP client of one event-sourced service's internal command API."""
    client: httpx.AsyncClient = request.app.state.services[service]
    return client


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ReadPool = Annotated[asyncpg.Pool, Depends(_pool)]
SettingsDep = Annotated[Settings, Depends(_settings)]
MinPosition = Annotated[
    int | None,
    Query(ge=1, description="Wait (up to 5 s) until the event at this position — the `position` a command "
                            "returned — is in the read model: read your own writes."),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]

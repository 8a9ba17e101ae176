"""The audit read offers exactly the services the system runs."""

from __future__ import annotations

from typing import get_args

from services import system
from services.gateway.api.audit import Service


def test_the_audit_read_names_every_service_the_system_runs() -> None:
    assert get_args(Service) == system.names()

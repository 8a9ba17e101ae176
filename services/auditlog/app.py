"""Audit-log process: its store (the tree heads), the sequencer that logs every other service's events, and
the log's reads (keys, heads, entries, proofs, conflicts)."""

from __future__ import annotations

from services.auditlog import queries
from services.auditlog.contract.service import SERVICE
from services.auditlog.sequencer import install, sequencer
from services.kernel.service_app import create_service_app

app = create_service_app(SERVICE, on_start=install, extras=sequencer)
app.include_router(queries.router)

"""The audit log's command: sign a tree head now (the sequencer holds the log)."""

from __future__ import annotations

from typing import Any

from services.auditlog.contract.commands import SignTreeHead
from services.auditlog.sequencer import running
from services.kernel.store import AppendResult, CommandMeta, EventStore


async def sign_tree_head(store: EventStore[Any], cmd: SignTreeHead, meta: CommandMeta) -> AppendResult:
    return await running().sign(store, meta, reason="request")

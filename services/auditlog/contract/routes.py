"""The audit log's command route: an auditor asks for a fresh signed tree head."""

from __future__ import annotations

from typing import Any

from services.auditlog import handlers
from services.auditlog.contract.commands import SignTreeHead
from services.kernel.routes import CommandRoute
from services.pure.identity import Role

ROUTES: tuple[CommandRoute[Any], ...] = (
    CommandRoute(
        path="/audit/tree-heads", command=SignTreeHead, handler=handlers.sign_tree_head, roles=(Role.COUNTY_ADMIN,),
        scope="county: the whole log", location="/v1/audit/tree-heads/latest",
        summary="Sign a tree head now over everything logged so far (heads are also signed every 2 s while events "
                "arrive). The answer's position is the head's event; read it at /v1/audit/tree-heads/latest."),
)

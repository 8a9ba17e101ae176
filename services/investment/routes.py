"""Where each investment command is sent over HTTP: one table for the service and the gateway."""

from __future__ import annotations

from services.investment import commands as c
from services.kernel.routes import Route


def _lead(suffix: str, command: type) -> Route:
    return Route(f"/leads/{{lead_id}}{suffix}", command, "lead_command", from_path=("lead_id",))


ROUTES: tuple[Route, ...] = (
    Route("/leads", c.RegisterLead, "register_lead", new_id="lead_id"),
    _lead("/progress", c.AdvanceLead),
    _lead("/funds", c.RecordFundsArrived),
    _lead("/landing", c.ConfirmLanded),
    _lead("/drop", c.DropLead),
    _lead("/reward-claims", c.ClaimReward),
)

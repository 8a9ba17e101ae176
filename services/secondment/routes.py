"""Where each secondment command is sent over HTTP: one table for the service and the gateway."""

from __future__ import annotations

from services.kernel.routes import Route
from services.secondment import commands as c


def _secondment(suffix: str, command: type, *, new_id: str | None = None) -> Route:
    return Route(f"/secondments/{{secondment_id}}{suffix}", command, "secondment_command",
                 from_path=("secondment_id",), new_id=new_id)


UNIT_AND_CADRE_STEPS: tuple[Route, ...] = (
    # A unit's id is chosen by the client (its official code), so it is in the body.
    Route("/units", c.RegisterUnit, "unit_command"),
    Route("/units/{unit_id}/headcount", c.ChangeHeadcount, "unit_command", from_path=("unit_id",)),
    Route("/cadres", c.RegisterCadre, "cadre_command", new_id="cadre_id"),
    Route("/cadres/{cadre_id}/post", c.ChangePost, "cadre_command", from_path=("cadre_id",)),
)

SECONDMENT_STEPS: tuple[Route, ...] = (
    Route("/secondments", c.NominateCadre, "secondment_command", new_id="secondment_id"),
    _secondment("/nomination-decision", c.DecideNomination),
    _secondment("/departure", c.StartSecondment),
    _secondment("/check-ins", c.RecordCheckIn),
    _secondment("/contributions", c.RecordContribution, new_id="contribution_id"),
    _secondment("/extension-request", c.RequestExtension),
    _secondment("/extension-decision", c.DecideExtension),
    _secondment("/early-end-request", c.RequestEarlyEnd),
    _secondment("/early-end-decision", c.DecideEarlyEnd),
    _secondment("/end", c.EndSecondment),
    _secondment("/commendation", c.ProposeCommendation),
    _secondment("/promotion", c.ProposePromotion),
    _secondment("/reserve-listing", c.ListAsReserveCadre),
)

ROUTES: tuple[Route, ...] = UNIT_AND_CADRE_STEPS + SECONDMENT_STEPS

"""Secondment commands under /v1: units and headcounts, cadres, and each step of a secondment."""

from __future__ import annotations

from fastapi import APIRouter

from services.gateway.commands import route_table
from services.kernel.identity import Role
from services.secondment import commands as c
from services.secondment.routes import ROUTES

router = APIRouter(prefix="/v1", tags=["secondment"])

_COUNTY = (Role.COUNTY_ADMIN,)
#: The sending unit acts with a township-committee token scoped to its township or unit.
_SENDING = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)

#: Who may send each secondment command (the service checks scope again) and what it does.
SECONDMENT_ROLES: dict[type, tuple[tuple[Role, ...], str]] = {
    c.RegisterUnit: (_SENDING, "Register a township organ or station with its headcount (the 5 % target's "
                               "denominator). The unit id is its official code."),
    c.ChangeHeadcount: (_SENDING, "Record the unit's headcount from a date (a date already recorded is corrected)."),
    c.RegisterCadre: (_SENDING, "Register a cadre with post, rank, pay grade and relations."),
    c.ChangePost: (_SENDING, "Change a cadre's post, rank or pay grade — refused while the cadre is away."),
    c.NominateCadre: (_SENDING, "Nominate a cadre for a two-year secondment: self-found work first, an "
                                "organisational posting second."),
    c.DecideNomination: (_COUNTY, "Approve or reject a nomination (county organisation department)."),
    c.StartSecondment: (_SENDING, "Record the departure and placement; post, rank, pay and relations are "
                                  "snapshotted and the planned end is set by policy (two years)."),
    c.RecordCheckIn: (_SENDING, "Record the sending unit's check-in on the cadre's thinking and work."),
    c.RecordContribution: (_SENDING, "Record a contribution (capital, project, talent, technology, market "
                                     "information). Capital reaching the policy threshold proposes a commendation."),
    c.RequestExtension: (_SENDING, "Ask the county to extend the term by some months."),
    c.DecideExtension: (_COUNTY, "Approve or refuse an extension (county organisation department)."),
    c.RequestEarlyEnd: (_SENDING, "Ask the county to end the secondment early."),
    c.DecideEarlyEnd: (_COUNTY, "Approve or refuse an early end; approved, the cadre returns to the original post."),
    c.EndSecondment: (_SENDING, "End at term: return to the original post (the snapshot's), or 停薪留職 with the "
                                "job kept when the county's policy allows it."),
    c.ProposeCommendation: (_SENDING, "Propose a commendation for a major contribution."),
    c.ProposePromotion: (_SENDING, "Propose an outstanding cadre for promotion by due procedure."),
    c.ListAsReserveCadre: (_COUNTY, "List the cadre as a reserve cadre (county organisation department)."),
}

route_table(router, ROUTES, SECONDMENT_ROLES, service="secondment")

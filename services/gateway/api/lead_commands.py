"""Investment lead commands under /v1: register, move along the pipeline, funds, landing, rewards."""

from __future__ import annotations

from fastapi import APIRouter

from services.gateway.commands import route_table
from services.investment import commands as c
from services.investment.routes import ROUTES
from services.kernel.identity import Role

router = APIRouter(prefix="/v1", tags=["investment"])

_STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
#: Branch secretaries act on their branch's leads; members and cadres (member tokens) on the leads they
#: registered — the service checks that scope.
_REFERRERS = (*_STAFF, Role.BRANCH_SECRETARY, Role.MEMBER)

LEAD_ROLES: dict[type, tuple[tuple[Role, ...], str]] = {
    c.RegisterLead: (_REFERRERS, "Register an investment lead (a branch, a member or a cadre as the county's "
                                 "information officer). The first registration of an investor's project wins; a "
                                 "later one is recorded as a duplicate of it. Investors cannot refer themselves."),
    c.AdvanceLead: (_REFERRERS, "Move a lead forward: contacted, visit, negotiating or signed."),
    c.RecordFundsArrived: (_REFERRERS, "Record one instalment of funds arrived on a signed lead (voucher reference "
                                       "unique per lead)."),
    c.ConfirmLanded: (_STAFF, "Confirm the project landed, with its actual fixed investment (the reward base)."),
    c.DropLead: (_REFERRERS, "Drop a lead that will not land, with a reason."),
    c.ClaimReward: (_REFERRERS, "Claim the first referrer's reward within the claim window; the answer's event "
                                "shows each tier's part of the amount."),
}

route_table(router, ROUTES, LEAD_ROLES, service="investment")

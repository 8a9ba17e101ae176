"""Investment's command routes: path, command, handler, who may send it and which leads they reach."""

from __future__ import annotations

from typing import Any

from services.investment import handlers as h
from services.investment.contract import commands as c
from services.kernel.routes import CommandRoute
from services.pure.identity import Role
from services.pure.policy_data import PublishPolicyChange

_STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
#: Branch secretaries act on their branch's leads; members and cadres (member tokens) on the leads they
#: registered.
_REFERRERS = (*_STAFF, Role.BRANCH_SECRETARY, Role.MEMBER)
LEAD_SCOPE = ("county: every lead; a township committee: its township's leads; a branch secretary: its branch's; "
              "a member or cadre: the leads they registered")
_LEAD = "/v1/leads/{lead_id}"

ROUTES: tuple[CommandRoute[Any], ...] = (
    CommandRoute(
        path="/leads", command=c.RegisterLead, handler=h.register_lead, new_id="lead_id", roles=_REFERRERS,
        scope=LEAD_SCOPE, location="/v1/leads/{id}",
        summary="Register an investment lead (a branch, a member or a cadre as the county's information officer). "
                "The first registration of an investor's project wins; a later one is recorded as a duplicate of "
                "it. Investors cannot refer themselves. A lead is placed where the records put it (the gateway "
                "checks its read models first): `branch_id` is an organisation of `township_id` (a cadre's lead, "
                "or the county's, may name a branch not on record; one on record is always checked); a member's "
                "own lead is credited to their own branch, a cadre's placed in their own township."),
    CommandRoute(
        path="/leads/{lead_id}/progress", command=c.AdvanceLead, handler=h.lead_step, from_path=("lead_id",),
        roles=_REFERRERS, scope=LEAD_SCOPE, location=_LEAD,
        summary="Move a lead forward: contacted, visit, negotiating or signed."),
    CommandRoute(
        path="/leads/{lead_id}/funds", command=c.RecordFundsArrived, handler=h.lead_step, from_path=("lead_id",),
        roles=_REFERRERS, scope=LEAD_SCOPE, location=_LEAD,
        summary="Record one instalment of funds arrived on a signed lead (voucher reference unique per lead)."),
    CommandRoute(
        path="/leads/{lead_id}/landing", command=c.ConfirmLanded, handler=h.lead_step, from_path=("lead_id",),
        roles=_STAFF, scope=LEAD_SCOPE, location=_LEAD,
        summary="Confirm the project landed, with its actual fixed investment (the reward base)."),
    CommandRoute(
        path="/leads/{lead_id}/drop", command=c.DropLead, handler=h.lead_step, from_path=("lead_id",),
        roles=_REFERRERS, scope=LEAD_SCOPE, location=_LEAD,
        summary="Drop a lead that will not land, with a reason."),
    CommandRoute(
        path="/leads/{lead_id}/reward-claims", command=c.ClaimReward, handler=h.lead_step, from_path=("lead_id",),
        roles=_REFERRERS, scope=LEAD_SCOPE, location=_LEAD,
        summary="Claim the first referrer's reward within the claim window; the answer's event shows each tier's "
                "part of the amount."),
    CommandRoute(
        path="/policies/investment", command=PublishPolicyChange, handler=h.publish_policy_change,
        roles=(Role.COUNTY_ADMIN,), scope="the county",
        summary="Publish a change of investment settings (policy 'investment': reward tiers, stall period, claim "
                "window…) from a day after today; facts dated from that day on are decided by it. docs/policies.md "
                "lists every setting."),
)

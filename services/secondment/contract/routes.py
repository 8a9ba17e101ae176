"""Secondment's command routes: path, command, handler, who may send it and which cadres they reach."""

from __future__ import annotations

from typing import Any, TypeVar

from services.kernel.routes import CommandRoute, Handler
from services.pure.identity import Role
from services.pure.policy_data import PublishPolicyChange
from services.secondment import handlers as h
from services.secondment.contract import commands as c

_COUNTY = (Role.COUNTY_ADMIN,)
#: The sending unit acts with a township-committee token scoped to its township or unit.
_SENDING = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
SENDING_SCOPE = "county: every unit and cadre; a township committee: the units and cadres of its township or unit"
_SECONDMENT = "/v1/secondments/{secondment_id}"


C = TypeVar("C")


def _step(suffix: str, command: type[C], handler: Handler[C], summary: str, roles: tuple[Role, ...] = _SENDING,
          new_id: str | None = None) -> CommandRoute[C]:
    return CommandRoute(path=f"/secondments/{{secondment_id}}{suffix}", command=command, handler=handler,
                        from_path=("secondment_id",), new_id=new_id, roles=roles, scope=SENDING_SCOPE,
                        location=_SECONDMENT, summary=summary)


UNIT_AND_CADRE_STEPS: tuple[CommandRoute[Any], ...] = (
    # A unit's id is chosen by the client (its official code), so it is in the body.
    CommandRoute(path="/units", command=c.RegisterUnit, handler=h.unit_command, roles=_SENDING, scope=SENDING_SCOPE,
                 summary="Register a township organ or station with its headcount (the 5 % target's denominator). "
                         "The unit id is its official code."),
    CommandRoute(path="/units/{unit_id}/headcount", command=c.ChangeHeadcount, handler=h.unit_command,
                 from_path=("unit_id",), roles=_SENDING, scope=SENDING_SCOPE,
                 summary="Record the unit's headcount from a date (a date already recorded is corrected)."),
    CommandRoute(path="/cadres", command=c.RegisterCadre, handler=h.register_cadre, new_id="cadre_id", roles=_SENDING,
                 scope=SENDING_SCOPE, location="/v1/cadres/{id}",
                 summary="Register a cadre with post, rank, pay grade and relations."),
    CommandRoute(path="/cadres/{cadre_id}/post", command=c.ChangePost, handler=h.change_post,
                 from_path=("cadre_id",), roles=_SENDING, scope=SENDING_SCOPE, location="/v1/cadres/{cadre_id}",
                 summary="Change a cadre's post, rank or pay grade — refused while the cadre is away."),
    CommandRoute(path="/cadres/{cadre_id}/member-link", command=c.LinkMember, handler=h.link_member,
                 from_path=("cadre_id",), roles=_SENDING, scope=SENDING_SCOPE, location="/v1/cadres/{cadre_id}",
                 summary="Link a cadre to the member record of the same person (once). The gateway first checks "
                         "that the member exists in its members read model, is a probationary, full or suspended "
                         "member and is no other cadre's (404/409 otherwise; a member registered a moment ago may "
                         "need a retry)."),
)

SECONDMENT_STEPS: tuple[CommandRoute[Any], ...] = (
    CommandRoute(path="/secondments", command=c.NominateCadre, handler=h.nominate_cadre,
                 new_id="secondment_id", roles=_SENDING, scope=SENDING_SCOPE, location="/v1/secondments/{id}",
                 summary="Nominate a cadre for a two-year secondment: self-found work first, an organisational "
                         "posting second."),
    _step("/nomination-decision", c.DecideNomination, h.secondment_step,
          "Approve or reject a nomination (county organisation department).", _COUNTY),
    _step("/departure", c.StartSecondment, h.start_secondment,
          "Record the departure and placement; post, rank, pay and relations are snapshotted and the planned end "
          "is set by policy (two years)."),
    _step("/check-ins", c.RecordCheckIn, h.secondment_step,
          "Record the sending unit's check-in on the cadre's thinking and work."),
    _step("/contributions", c.RecordContribution, h.secondment_step,
          "Record a contribution (capital, project, talent, technology, market information; `people` on talent). "
          "Capital, projects or talent reaching its policy threshold proposes a commendation naming the kind.",
          new_id="contribution_id"),
    _step("/extension-request", c.RequestExtension, h.secondment_step,
          "Ask the county to extend the term by some months."),
    _step("/extension-decision", c.DecideExtension, h.secondment_step,
          "Approve or refuse an extension (county organisation department).", _COUNTY),
    _step("/early-end-request", c.RequestEarlyEnd, h.secondment_step, "Ask the county to end the secondment early."),
    _step("/early-end-decision", c.DecideEarlyEnd, h.secondment_step,
          "Approve or refuse an early end; approved, the cadre returns to the original post.", _COUNTY),
    _step("/end", c.EndSecondment, h.secondment_step,
          "End at term: return to the original post (the snapshot's), or 停薪留职 with the job kept when the "
          "county's policy allows it."),
    _step("/commendation", c.ProposeCommendation, h.secondment_step,
          "Propose a commendation for a major contribution: a kind the policy counts at its threshold."),
    _step("/promotion", c.ProposePromotion, h.secondment_step,
          "Propose an outstanding cadre for promotion by due procedure."),
    _step("/reserve-listing", c.ListAsReserveCadre, h.secondment_step,
          "List the cadre as a reserve cadre (county organisation department).", _COUNTY),
)

POLICY_STEPS: tuple[CommandRoute[Any], ...] = (
    CommandRoute(path="/policies/secondment", command=PublishPolicyChange, handler=h.publish_policy_change,
                 roles=_COUNTY, scope="the county",
                 summary="Publish a change of secondment settings (policy 'secondment': the 5 % target, the check-in "
                         "interval, 停薪留职, the commendation kinds and thresholds…) from a day after today; facts "
                         "dated from that day on are decided by it. docs/policies.md lists every setting."),
)

ROUTES: tuple[CommandRoute[Any], ...] = UNIT_AND_CADRE_STEPS + SECONDMENT_STEPS + POLICY_STEPS

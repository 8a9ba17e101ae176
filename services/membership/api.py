"""Membership's internal command API: the route table plus three commands with hand-written bodies."""

from __future__ import annotations

from services.kernel.command_api import CommandApi
from services.membership import handlers
from services.membership.commands import EstablishBranch, RegisterMember, RegisterOutflow
from services.membership.events import Contact
from services.membership.routes import ROUTES
from services.membership.schemas import ContactBody, EstablishBranchBody, RegisterMemberBody, RegisterOutflowBody

API = CommandApi(handlers)
router = API.router


def _contact(body: ContactBody) -> Contact:
    return Contact(phone=body.phone, address=body.address, wechat=body.wechat)


API.endpoint(
    "/branches", EstablishBranchBody,
    lambda b, c: EstablishBranch(
        actor=c.actor, today=c.today, branch_id=c.new_id(), name=b.name, founding_basis=b.founding_basis,
        build_mode=b.build_mode, home_org_id=b.home_org_id, host_guidance_org=b.host_guidance_org,
        destination=b.destination, industry=b.industry, established_on=b.established_on,
        covered_units=tuple(b.covered_units),
    ),
    handlers.establish_branch,
)
API.endpoint(
    "/members", RegisterMemberBody,
    lambda b, c: RegisterMember(
        actor=c.actor, today=c.today, member_id=c.new_id(), name=b.name, national_id=b.national_id,
        formal_org_id=b.formal_org_id, status=b.status, dues_category=b.dues_category, contact=_contact(b.contact),
        joined_on=b.joined_on,
    ),
    handlers.register_member,
)
API.endpoint(
    "/members/{member_id}/outflows", RegisterOutflowBody,
    lambda b, c: RegisterOutflow(
        actor=c.actor, today=c.today, member_id=c.params["member_id"], destination=b.destination,
        employer=b.employer, contact=_contact(b.contact), left_on=b.left_on, expected_months=b.expected_months,
        fixed_place=b.fixed_place,
    ),
    handlers.register_outflow,
)


API.routes(ROUTES)
API.audit()

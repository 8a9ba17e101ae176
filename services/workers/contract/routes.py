"""Workers' command routes: path, command, handler, who may send it and which records they reach."""

from __future__ import annotations

from typing import Any

from services.kernel.routes import CommandRoute
from services.pure.identity import BUREAUS, Role
from services.pure.policy_data import PublishPolicyChange
from services.workers import handlers as h
from services.workers.contract import commands as c

_STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
REGISTER_SCOPE = "county: every worker and group; a township committee: its township's"
CASE_SCOPE = ("county: every case; a township committee: its township's cases; a bureau: only the cases referred "
              "to it (403 for any other, existing or not)")
_CASE = "/v1/service-cases/{case_id}"

ROUTES: tuple[CommandRoute[Any], ...] = (
    CommandRoute(
        path="/migrant-workers", command=c.RegisterWorker, handler=h.worker_step, new_id="worker_id", roles=_STAFF,
        scope=REGISTER_SCOPE, location="/v1/migrant-workers/{id}",
        summary="Put a migrant worker (member or not) on the register, with their consent's day and scope. No "
                "name, ID or phone number is taken."),
    CommandRoute(
        path="/migrant-workers/{worker_id}/consent-withdrawal", command=c.WithdrawConsent, handler=h.worker_step,
        from_path=("worker_id",), roles=_STAFF, scope=REGISTER_SCOPE, location="/v1/migrant-workers/{worker_id}",
        summary="Record that a worker withdrew their consent: no new case or group takes them from that day."),
    CommandRoute(
        path="/service-cases", command=c.RequestService, handler=h.case_step, new_id="case_id", roles=_STAFF,
        scope=CASE_SCOPE, location="/v1/service-cases/{id}",
        summary="Open a service case for a registered worker: micro-credit, insurance, training, notarisation, "
                "legal aid or papers."),
    CommandRoute(
        path="/service-cases/{case_id}/referral", command=c.ReferCase, handler=h.case_step, from_path=("case_id",),
        roles=_STAFF, scope=CASE_SCOPE, location=_CASE,
        summary="Refer a case to the bureau the policy names for its kind, with its deadline (a micro-credit case "
                "with its certificate: on to the credit cooperative)."),
    CommandRoute(
        path="/service-cases/{case_id}/documents", command=c.IssueDocument, handler=h.case_step,
        from_path=("case_id",), roles=(Role.COUNTY_ADMIN, *BUREAUS), scope=CASE_SCOPE, location=_CASE,
        summary="The bureau issues what the case asked for: a micro-credit certificate (number and amount), a "
                "policy, a notarial deed (free), a training certificate or papers."),
    CommandRoute(
        path="/service-cases/{case_id}/decision", command=c.DecideCase, handler=h.case_step, from_path=("case_id",),
        roles=(Role.COUNTY_ADMIN, *BUREAUS), scope=CASE_SCOPE, location=_CASE,
        summary="The bureau decides: a legal-aid case taken on, a loan granted on the certificate, or a case "
                "refused with its reason."),
    CommandRoute(
        path="/service-cases/{case_id}/closing", command=c.CloseCase, handler=h.case_step, from_path=("case_id",),
        roles=(*_STAFF, *BUREAUS), scope=CASE_SCOPE, location=_CASE,
        summary="Close an issued or decided case; a legal-aid case taken on closes with its outcome."),
    CommandRoute(
        path="/export-groups", command=c.OrganiseExportGroup, handler=h.organise_group, new_id="group_id",
        roles=_STAFF, scope=REGISTER_SCOPE, location="/v1/export-groups/{id}",
        summary="A township organises a labour-export group of registered workers to a destination, linked to "
                "the outstation branch there."),
    CommandRoute(
        path="/policies/workers", command=PublishPolicyChange, handler=h.publish_policy_change,
        roles=(Role.COUNTY_ADMIN,), scope="the county",
        summary="Publish a change of the migrant-worker services' settings (policy 'workers': each kind's bureau "
                "and days to act, the loan decision's days, the certificate ceiling, the export group's size) "
                "from a day after today. docs/policies.md lists every setting."),
)

"""The console's lists as data: which API list each one reads, its columns, its filters and who sees it in the
menu. One generic page, CSV and Excel export serve them all; the API still decides what each caller reaches
(a menu entry is a convenience, never a permission)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from services.pure.identity import Role

STAFF = (Role.COUNTY_ADMIN, Role.TOWNSHIP_COMMITTEE)
KEEPERS = (*STAFF, Role.BRANCH_SECRETARY)


@dataclass(frozen=True, kw_only=True)
class Column:
    """A column: the word for its heading and the dotted path of its value in an item (``outflow.destination``)."""

    key: str
    path: str
    #: ``org``: an organisation id, shown by its branch name where the directory knows it (exported as the id).
    kind: Literal["text", "value", "id", "org"] = "value"


@dataclass(frozen=True, kw_only=True)
class Filter:
    """A filter: the API's query parameter, its label, and the choices of a select (empty: free text)."""

    param: str
    label: str
    choices: tuple[str, ...] = ()
    kind: Literal["text", "select", "bool", "date"] = "text"


@dataclass(frozen=True, kw_only=True)
class Action:
    """A link from a row to a form, with the row's values that fill it in (form field → item path)."""

    form: str
    fill: tuple[tuple[str, str], ...]
    when: tuple[str, str] | None = None  # (item path, value) the row must have


@dataclass(frozen=True, kw_only=True)
class ListView:
    key: str
    path: str
    roles: tuple[Role, ...]
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...] = ()
    actions: tuple[Action, ...] = ()
    #: The item field the API pages by (its ``next_cursor`` is the last one's).
    id_field: str = "id"
    page_size: int = 25
    extra: dict[str, str] = field(default_factory=dict)


def pick(item: Any, path: str) -> Any:
    """The value at a dotted path of a JSON item, or None where any step is missing."""
    for part in path.split("."):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


LISTS: dict[str, ListView] = {v.key: v for v in (
    ListView(
        key="members", path="/v1/members", roles=KEEPERS, id_field="member_id",
        columns=(Column(key="col.name", path="name", kind="text"), Column(key="col.member_id", path="member_id",
                                                                           kind="id"),
                 Column(key="col.formal_org_id", path="formal_org_id", kind="org"),
                 Column(key="col.status", path="status"), Column(key="col.away", path="away"),
                 Column(key="col.destination", path="outflow.destination", kind="text"),
                 Column(key="col.employer", path="outflow.employer", kind="text"),
                 Column(key="col.left_on", path="outflow.left_on")),
        filters=(Filter(param="formal_org_id", label="col.formal_org_id"),
                 Filter(param="away", label="col.away", kind="bool"),
                 Filter(param="destination", label="col.destination")),
        actions=(Action(form="outflow", fill=(("member_id", "member_id"),), when=("away", "false")),
                 Action(form="payment", fill=(("member_id", "member_id"),)),
                 Action(form="statement", fill=(("member_id", "member_id"),))),
    ),
    ListView(
        key="branches", path="/v1/branches", roles=(*KEEPERS, Role.HOST_ORGANISATION, Role.MEMBER),
        id_field="branch_id",
        columns=(Column(key="col.branch", path="name", kind="text"), Column(key="col.org_id", path="branch_id",
                                                                             kind="id"),
                 Column(key="col.home_org_id", path="home_org_id", kind="id"),
                 Column(key="col.destination", path="destination", kind="text"),
                 Column(key="col.founding_basis", path="founding_basis"),
                 Column(key="col.established_on", path="established_on"),
                 Column(key="col.members_count", path="members"), Column(key="col.members_away", path="members_away")),
        filters=(Filter(param="home_org_id", label="col.home_org_id"),
                 Filter(param="destination", label="col.destination")),
        actions=(Action(form="ledger", fill=(("org_id", "branch_id"),)),
                 Action(form="meeting", fill=(("org_id", "branch_id"),))),
    ),
    ListView(
        key="transfers", path="/v1/transfers", roles=(*KEEPERS, Role.HOST_ORGANISATION), id_field="transfer_id",
        columns=(Column(key="col.transfer_id", path="transfer_id", kind="id"),
                 Column(key="col.member_id", path="member_id", kind="id"),
                 Column(key="col.from_org_id", path="from_org_id", kind="org"),
                 Column(key="col.to_org_id", path="to_org_id", kind="org"),
                 Column(key="col.state", path="state"), Column(key="col.letter_number", path="letter_number",
                                                               kind="text"),
                 Column(key="col.valid_until", path="valid_until")),
        filters=(Filter(param="state", label="col.state", kind="select",
                        choices=("in_progress", "requested", "letter_issued", "received", "completed", "expired",
                                 "cancelled")),
                 Filter(param="overdue_on", label="col.overdue_on", kind="date"),
                 Filter(param="org_id", label="col.org_id")),
        actions=(Action(form="transfer_letter", fill=(("member_id", "member_id"), ("transfer_id", "transfer_id")),
                        when=("state", "requested")),),
    ),
    ListView(
        key="cases", path="/v1/development/cases", roles=KEEPERS, id_field="person_id",
        columns=(Column(key="col.person_id", path="person_id", kind="id"), Column(key="col.org_id", path="org_id",
                                                                                   kind="org"),
                 Column(key="col.stage", path="stage")),
        filters=(Filter(param="org_id", label="col.org_id"),
                 Filter(param="stage", label="col.stage", kind="select",
                        choices=("applicant", "activist", "development_target", "probationary", "full",
                                 "cancelled"))),
    ),
    ListView(
        key="secondments", path="/v1/secondments", roles=STAFF, id_field="secondment_id",
        columns=(Column(key="col.cadre_name", path="cadre_name", kind="text"),
                 Column(key="col.township", path="township_id", kind="id"),
                 Column(key="col.unit_id", path="unit_id", kind="id"), Column(key="col.stage", path="stage"),
                 Column(key="col.locality", path="placement.locality", kind="text"),
                 Column(key="col.planned_end", path="planned_end"),
                 Column(key="col.next_check_in_due", path="next_check_in_due"),
                 Column(key="col.check_in_overdue", path="check_in_overdue")),
        filters=(Filter(param="township", label="col.township"), Filter(param="unit_id", label="col.unit_id"),
                 Filter(param="stage", label="col.stage", kind="select",
                        choices=("nominated", "approved", "rejected", "away", "returned", "ended_early",
                                 "unpaid_leave"))),
    ),
    ListView(
        key="leads", path="/v1/leads", roles=(*KEEPERS, Role.MEMBER), id_field="lead_id",
        columns=(Column(key="col.project", path="project", kind="text"),
                 Column(key="col.investor", path="investor", kind="text"),
                 Column(key="col.township", path="township_id", kind="id"), Column(key="col.stage", path="stage"),
                 Column(key="col.registrant_name", path="registrant_name", kind="text"),
                 Column(key="col.promised_amount", path="promised_amount"),
                 Column(key="col.arrived_total", path="arrived_total"), Column(key="col.stalled", path="stalled")),
        filters=(Filter(param="township", label="col.township"), Filter(param="branch_id", label="col.branch"),
                 Filter(param="stage", label="col.stage", kind="select",
                        choices=("registered", "contacted", "visit", "negotiating", "signed", "funds_arriving",
                                 "landed", "dropped", "duplicate")),
                 Filter(param="stalled", label="col.stalled", kind="bool")),
    ),
    ListView(
        key="service_cases", path="/v1/service-cases",
        roles=(*STAFF, Role.LABOUR_BUREAU, Role.CREDIT_COOPERATIVE, Role.JUSTICE_BUREAU, Role.INSURANCE),
        id_field="case_id",
        columns=(Column(key="col.case_id", path="case_id", kind="id"),
                 Column(key="col.worker_id", path="worker_id", kind="id"),
                 Column(key="col.township", path="township_id", kind="id"), Column(key="col.kind", path="kind"),
                 Column(key="col.stage", path="stage"), Column(key="col.bureau", path="bureau"),
                 Column(key="col.deadline", path="due_by")),
        filters=(Filter(param="township", label="col.township"),
                 Filter(param="stage", label="col.stage", kind="select",
                        choices=("requested", "referred", "issued", "decided", "closed")),
                 Filter(param="kind", label="col.kind", kind="select",
                        choices=("micro_credit", "insurance", "training", "notarisation", "legal_aid", "papers"))),
    ),
)}


def visible_lists(role: Role) -> list[ListView]:
    return [v for v in LISTS.values() if role in v.roles]

"""Per-organisation views: what is due or overdue there (the deadline engine's output) and 三会一课."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.gateway.api.access import KEEPERS, Scope, operation
from services.gateway.api.as_of import AsOfDep
from services.gateway.api.deps import DatedReadPool, Day, Keyword, Limit, PathId, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.readmodels import due_items as due
from services.gateway.readmodels import meetings, organisations
from services.gateway.readmodels.waiting import wait_for_position
from services.kernel import clock
from services.membership.contract.events import REGISTRY
from services.membership.contract.events.meetings import MeetingKind
from services.membership.contract.values import HeldMeeting
from services.membership.contract.values import meeting_compliance as compliance
from services.pure.errors import NotFound, Problem
from services.pure.identity import Role

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])
_READERS = (*KEEPERS, Role.HOST_ORGANISATION)
_SCOPE = Scope.ORGANISATION


class CursorInvalid(Problem):
    status = 422
    slug = "cursor-invalid"
    title = "cursor is not a page's next_cursor"


#: Where a page of due items ends: ``<due_on>.<kind>.<subject id>`` of its last item (``next_cursor``).
DUE_CURSOR = r"^\d{4}-\d{2}-\d{2}\.[a-z0-9_]{1,40}\.[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$"


def _after_item(cursor: str | None) -> tuple[date, str, str] | None:
    """The (due_on, subject_id, kind) a ``cursor`` names; a day that is not on the calendar is a 422."""
    if cursor is None:
        return None
    day, kind, subject = cursor.split(".", 2)
    try:
        return date.fromisoformat(day), subject, kind
    except ValueError:
        raise CursorInvalid("cursor is not the `next_cursor` of a page of due items: repeat the first request "
                            "without it and follow the `next_cursor` it answers") from None


@operation(router, "/{org_id}/due-items", roles=_READERS, scope=_SCOPE, action="read an organisation's due items")
async def due_items(
    org_id: PathId, actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 100,
    after: Annotated[Day, Query(description="Only items due after this date.")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue (true) or not yet overdue (false) items.")]
    = None,
    kind: Annotated[Keyword, Query(description="One kind, e.g. interview_due, letter_expiry.")] = None,
    cursor: Annotated[str | None, Query(pattern=DUE_CURSOR, max_length=160,
                                        description="`next_cursor` of the previous page.")] = None,
) -> dict[str, Any]:
    """Due and overdue items of one organisation, earliest first (interviews, assessments, letters, reports…);
    page with `cursor` = the previous page's `next_cursor` (null on the last page)."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    rows = await due.due_items(pool, org_id, after=after, overdue=overdue, kind=kind, limit=limit + 1,
                               since=_after_item(cursor))
    items = [dict(r) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return {"items": items,
            "next_cursor": f"{last['due_on']}.{last['kind']}.{last['subject_id']}" if last is not None else None}


@operation(router, "/{org_id}/meeting-compliance", roles=_READERS, scope=_SCOPE,
           action="read an organisation's meetings")
async def meeting_compliance(
    org_id: PathId, actor: CurrentActor, pool: DatedReadPool, when: AsOfDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    on: Annotated[Day, Query(description="Judge periods ended by this day (default today; a day alone in "
                                         "`as_of` means the same, as before).")] = None,
    has_committee: Annotated[bool, Query(description="The organisation has a committee (monthly meetings).")]
    = False,
    min_position: MinPosition = None,
) -> dict[str, Any]:
    """三会一课 for one organisation and year: per requirement, periods ended, meetings held, periods missed."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    held = [HeldMeeting(MeetingKind(r["kind"]), r["held_on"], r["by_secretary"])
            for r in await meetings.held(pool, org_id, year)]
    report = compliance(held, year, on or when.day or clock.today(), has_committee=has_committee)
    return {"org_id": org_id, "year": year, "requirements": [asdict(line) for line in report]}


@operation(router, "/{org_id}/committee", roles=_READERS, scope=_SCOPE, action="read an organisation's committee")
async def committee(org_id: PathId, actor: CurrentActor, pool: ReadPool,
                    min_position: MinPosition = None) -> dict[str, Any]:
    """The organisation's elected leadership: each committee seat with its duties (or the secretary and deputy
    where there is no committee), the term and whether the secretary is approved. A seconded cadre's seat says
    so (`seconded_cadre`) and names the cadre, the secondment and the home organisation their relationship
    stays with (`home_org_id`)."""
    await wait_for_position(pool, REGISTRY.source, min_position)
    row = await organisations.committee(pool, org_id)
    if row is None:
        raise NotFound(f"{org_id} has no election recorded; if you just recorded one, pass min_position")
    return dict(row)

"""Request-scoped dependencies of the public API (pools, clients, settings) and the parameter types
every route shares.

Every path and query parameter is bounded here, once, so that whatever a client sends is a 422
problem+json naming the parameter — never a value PostgreSQL refuses (a NUL byte, year 0070, a
number past bigint) and turns into a 500.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import asyncpg
from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from services.gateway.api import as_of
from services.gateway.service_client import ServiceClient
from services.kernel.bodies import FIRST_DAY, LAST_DAY
from services.kernel.settings import Settings

#: Record ids: uuids and slugs such as township-heping, unit-baishi-office or li-chao.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,99}$"
ID_TEXT = "letters, digits and `_ . : -`, starting with a letter or digit, at most 100 characters"
#: What a clerk pastes into an id field by mistake: a resident ID number (17 digits and a check digit or X) or a
#: mobile number (11 digits, beginning 13 to 19), perhaps with dashes or dots. No id this system makes looks like
#: either (uuids, slugs); a 12-digit organisation code is neither, and stays allowed.
_NATIONAL_ID = re.compile(r"\d{17}[\dXx]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_RECORD_IDS = ("record ids are the `id` a command returned (a uuid for a member, a case or a transfer) or a slug "
               "such as township-heping; list the records (e.g. GET /v1/members) to find the one you mean")
#: Free text in a filter (a destination, a name): any printable characters.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
#: The days a parameter may name: the same bounds as a command's days.
EARLIEST, LATEST = FIRST_DAY, LAST_DAY
#: Event positions are PostgreSQL bigints; 2^53 − 1 keeps them exact in every JSON client.
MAX_POSITION = 2**53 - 1


def service_client(request: Request, service: str) -> ServiceClient:
    """The HTTP client of one event-sourced service's internal command API."""
    client: ServiceClient = request.app.state.services[service]
    return client


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _iso_day(value: object) -> object:
    # pydantic would read "0" or 1700000000 as a Unix time; a day is written YYYY-MM-DD.
    if value is not None and not isinstance(value, date) and not (
            isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"):
        raise ValueError("write the day as YYYY-MM-DD")
    return value


def _no_personal_number(value: str) -> str:
    # Refused before anything is forwarded or looked up: the value would travel to a service, into a read-model
    # query and, as the path, into the access logs and traces (which mask it, services/kernel/http.py). The
    # message never repeats the value.
    compact = re.sub(r"[^0-9A-Za-z]", "", value)
    if _NATIONAL_ID.fullmatch(compact):
        raise ValueError(f"this looks like a national ID number, not a record id; {_RECORD_IDS}")
    if _MOBILE.fullmatch(compact):
        raise ValueError(f"this looks like a mobile phone number, not a record id; {_RECORD_IDS}")
    return value


def _in_range(day: date | None) -> date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise ValueError(f"give a day between {EARLIEST} and {LATEST}")
    return day


#: The read models a query runs on: the live ones, or as they stood at ``as_of`` (services/gateway/api/as_of.py).
ReadPool = Annotated[asyncpg.Pool, Depends(as_of.read_pool)]
#: The same for a report that also takes an effective day: there a day alone in ``as_of`` is that day.
DatedReadPool = Annotated[asyncpg.Pool, Depends(as_of.dated_read_pool)]
SettingsDep = Annotated[Settings, Depends(_settings)]

#: A record id in the path; an ID number or a phone is refused (422) as what it is.
PathId = Annotated[str, Path(pattern=ID_PATTERN, min_length=1, max_length=100,
                             description=f"An id: {ID_TEXT}; never an ID number or a phone number."),
                   AfterValidator(_no_personal_number)]
#: A record id in a body the gateway itself takes (a token's organisation): the same rule as in a path.
IdValue = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=100),
                    AfterValidator(_no_personal_number)]
#: A record id in a filter.
IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN, min_length=1, max_length=100,
                                      description=f"An id: {ID_TEXT}.")]
#: Free text in a filter.
TextQuery = Annotated[str | None, Query(pattern=TEXT_PATTERN, max_length=200, description="Exact text.")]
#: A short keyword in a filter (a state, a stage, a kind).
Keyword = Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size.")]
Cursor = Annotated[str | None, Query(pattern=ID_PATTERN, min_length=1, max_length=100,
                                     description="`next_cursor` of the previous page.")]
#: A day: 1900-01-01 to 2100-12-31 (a 422 outside; the reports compute with it).
Day = Annotated[date | None, BeforeValidator(_iso_day), AfterValidator(_in_range)]
#: The effective day of a report that counts dated facts: the facts that took effect by that day.
On = Annotated[Day, Query(description="The effective day: count the facts that took effect by this day (a day "
                                      "alone in `as_of` means the same, as before).")]
Position = Annotated[int | None, Query(
    ge=1, le=MAX_POSITION,
    description="Wait (up to 5 s) until the event at this position — the `position` a command returned — is in "
                "the read model: read your own writes. A position the owning service never issued is refused "
                "at once (422 `position-not-issued`) instead of waited for.")]

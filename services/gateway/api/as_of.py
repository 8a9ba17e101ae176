"""The county as it stood: ``as_of=<recorded time>`` on every read, answered from read models rebuilt as of then.

One dependency, :data:`AsOfDep` (through ``ReadPool`` in services/gateway/api/deps.py), reads ``as_of`` for every
route that reads the read models. Without it nothing changes. With a recorded time (RFC 3339, with its offset) the
read pool handed to the route is one whose ``search_path`` is a schema holding the read models as they stood then —
asked for through services/gateway/as_of_queue.py, built by services/gateway/replay.py from the events the stores
had recorded by that time — so the route runs the very same queries. A schema not built yet answers 202 with the
build's progress and a ``Location`` to poll (``GET /v1/as-of/{build_id}``); the client repeats its request once the
state is ``ready``. Every as-of answer names the time and, per service, the last store position it reflects
(``GB-As-Of``, ``GB-Log-Positions``). The progress resource is services/gateway/api/as_of_builds.py.

A day alone (``as_of=2026-06-30``) is not a recorded time: on the reports that count dated facts it is the
effective day, as it always was there (the same as ``on``); elsewhere it is refused with a 422 that says so.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from services import system
from services.gateway import as_of_queue
from services.gateway.auth import CurrentActor
from services.kernel.bodies import FIRST_DAY, LAST_DAY
from services.pure.errors import Problem
from services.pure.identity import Actor, Role

#: The service that owns each event source, for the positions an answer states.
SERVICE_OF = {s.registry.source: s.name for s in system.SERVICES}
#: Schemas whose pools a gateway process keeps open (the builder keeps as_of_queue.KEEP schemas).
OPEN_POOLS = as_of_queue.KEEP
POLL_SECONDS = 1

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+\- ]\d{2}:\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AS_OF_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+\- ]\d{2}:\d{2}))?$"
AS_OF_TEXT = (
    "What the system knew at this recorded time (RFC 3339 with its offset, e.g. `2026-06-30T18:00:00+08:00` — "
    "write `+` as `%2B` — or `…Z`): the answer is computed from the read models rebuilt from exactly the "
    "events recorded by then. The first question about a time answers **202** with the rebuild's progress and "
    "a `Location` (`/v1/as-of/{build_id}`) to poll until `state` is `ready`; then repeat the request. The "
    "answer's `GB-As-Of` and `GB-Log-Positions` headers state the time and, per service, the last store "
    "position it reflects. A time in the future is refused (422), and so is `min_position` beside it. On the "
    "reports that count dated facts a day alone (`YYYY-MM-DD`) is the effective day, as before (see `on`).")


class AsOfInvalid(Problem):
    status = 422
    slug = "as-of-invalid"
    title = "as_of is not a recorded time this read can take"


class AsOfInFuture(Problem):
    status = 422
    slug = "as-of-in-the-future"
    title = "as_of is in the future"


class AsOfBusy(Problem):
    status = 429
    slug = "as-of-busy"
    title = "Too many as-of rebuilds are under way"


@dataclass(frozen=True)
class AsOf:
    """``as_of`` read: a recorded time (``recorded``), an effective day (``day``), or neither."""

    recorded: datetime | None = None
    day: date | None = None


def parse_as_of(raw: str | None) -> AsOf:
    """Read ``as_of``: a day alone, or an RFC 3339 date-time with its offset (a space where the offset's
    ``+`` was is read as ``+``: an unencoded ``+`` arrives as a space in a query string)."""
    if raw is None or raw == "":
        return AsOf()
    if _DAY.match(raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise AsOfInvalid(f"as_of={raw!r} is not a day of the calendar") from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise AsOfInvalid(f"give a day between {FIRST_DAY} and {LAST_DAY}")
        return AsOf(day=day)
    if not _DATE_TIME.match(raw):
        raise AsOfInvalid(f"as_of={raw!r}: give a recorded time with its offset, e.g. 2026-06-30T18:00:00+08:00 "
                          "(write + as %2B) or 2026-06-30T10:00:00Z")
    text = raw[:-6] + "+" + raw[-5:] if raw[-6] == " " else raw
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise AsOfInvalid(f"as_of={raw!r} is not a time of the calendar") from None
    if moment.year < 1970:
        raise AsOfInvalid(f"as_of={raw!r} is before anything could have been recorded")
    return AsOf(recorded=moment)


async def _as_of(as_of: Annotated[str | None, Query(max_length=40, pattern=AS_OF_PATTERN, description=AS_OF_TEXT)]
                 = None) -> AsOf:
    # async: FastAPI runs a plain ``def`` dependency in a worker thread, a thread hop on every read.
    return parse_as_of(as_of)


#: ``as_of``, read once per request however many dependencies ask for it.
AsOfDep = Annotated[AsOf, Depends(_as_of)]


class AsOfPending(Exception):
    """The read models as of the time asked are not built yet: answered 202 with the build's progress."""

    def __init__(self, build: dict[str, Any]) -> None:
        super().__init__(build["id"])
        self.build = build


class SchemaPools:
    """Pools on the as-of schemas, each with its ``search_path``: the queries run unchanged. The least
    recently used is closed beyond ``size``; a schema rebuilt (another ``finished_at``) gets a new pool."""

    def __init__(self, dsn: str, size: int = OPEN_POOLS, **options: Any) -> None:
        self.dsn = dsn
        self.size = size
        self.options = options
        self._pools: OrderedDict[tuple[str, datetime], asyncpg.Pool] = OrderedDict()
        self._lock = asyncio.Lock()  # two first questions about one instant open one pool

    async def get(self, schema: str, built_at: datetime) -> asyncpg.Pool:
        key = (schema, built_at)
        async with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = await asyncpg.create_pool(self.dsn, min_size=0, max_size=4,
                                                 server_settings={"search_path": f'"{schema}"'}, **self.options)
                self._pools[key] = pool
            self._pools.move_to_end(key)
            while len(self._pools) > self.size:
                _, oldest = self._pools.popitem(last=False)
                await oldest.close()
            return pool

    async def close(self) -> None:
        while self._pools:
            await self._pools.popitem()[1].close()


async def _resolve(request: Request, response: Response, as_of: AsOf, actor: Actor) -> asyncpg.Pool:
    live: asyncpg.Pool = request.app.state.read_pool
    if as_of.recorded is None:
        return live
    if request.query_params.get("min_position"):
        raise AsOfInvalid("min_position waits for the live read models; an as_of answer is fixed by its time: "
                          "leave min_position out")
    # The stores stamp recorded_at with the database's clock: "the future" is judged by it, too.
    now: datetime = await live.fetchval("SELECT clock_timestamp()")
    if as_of.recorded > now:
        raise AsOfInFuture(f"as_of={as_of.recorded.isoformat()} is after now ({now.isoformat()}): nothing is "
                           "known about it yet; ask without as_of for what the system knows now")
    try:
        # The county's administrators are not budgeted: they are few, and answer for the system's load.
        row = await as_of_queue.request(live, as_of.recorded, actor.label, budgeted=actor.role is not Role.COUNTY_ADMIN)
    except as_of_queue.TooManyBuilds:
        raise AsOfBusy(f"{as_of_queue.MAX_PENDING} rebuilds as of other times are waiting or running; retry in a "
                       "moment, or ask as of a time already built", retry_after_seconds=5) from None
    except as_of_queue.CallerOverBudget as over:
        minutes = -(-over.args[0] // 60)
        raise AsOfBusy(f"you started {as_of_queue.NEW_BUILDS_PER_WINDOW} rebuilds as of new times within the last "
                       f"{as_of_queue.BUDGET_WINDOW_SECONDS // 60} minutes, the most one caller may: ask as of a time "
                       f"already built, or as of a new one in {minutes} min",
                       retry_after_seconds=over.args[0]) from None
    except as_of_queue.CallerBusy as busy:
        raise AsOfBusy(f"your rebuild as of {busy.args[0]['as_of'].isoformat()} is still under way (one at a time "
                       f"for each caller): follow it at /v1/as-of/{busy.args[0]['id']}, then ask as of another "
                       "time", retry_after_seconds=5) from None
    # A failed rebuild is queued again by asking (as_of_queue.request): its error stays in the progress resource.
    build = as_of_queue.describe(row)
    if build["state"] != "ready":
        raise AsOfPending(build)
    pools: SchemaPools = request.app.state.as_of_pools
    response.headers.update(answer_headers(build))
    return await pools.get(as_of_queue.schema_of(build["id"]), row["finished_at"])


def answer_headers(build: dict[str, Any]) -> dict[str, str]:
    """What an as-of answer reflects: the time, the build, and per service the last store position applied
    (an RFC 8941 dictionary, services in name order)."""
    positions = {SERVICE_OF.get(source, source.rsplit("/", 1)[-1]): position
                 for source, position in build["positions"].items()}
    return {
        "GB-As-Of": build["as_of"].isoformat(),
        "GB-As-Of-Build": build["id"],
        "GB-Log-Positions": ", ".join(f"{name}={positions[name]}" for name in sorted(positions)),
    }


async def read_pool(request: Request, response: Response, as_of: AsOfDep, actor: CurrentActor) -> asyncpg.Pool:
    """The read pool of a route without an effective day: live, or as of a recorded time."""
    if as_of.day is not None:
        raise AsOfInvalid(f"as_of={as_of.day} is a day; this read has no effective day. For what the system "
                          f"knew then, give a recorded time, e.g. as_of={as_of.day}T23:59:59%2B08:00")
    return await _resolve(request, response, as_of, actor)


async def dated_read_pool(request: Request, response: Response, as_of: AsOfDep,
                          actor: CurrentActor) -> asyncpg.Pool:
    """The read pool of a report that also takes an effective day (a day alone in ``as_of`` is that day)."""
    return await _resolve(request, response, as_of, actor)


# --------------------------------------------------------------------------- OpenAPI and the 202 answer

BUILD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A rebuild of the read models as of a recorded time, and how far it has come.",
    "required": ["id", "as_of", "state", "events_read", "events_applied"],
    "properties": {
        "id": {"type": "string"},
        "as_of": {"type": "string", "format": "date-time"},
        "state": {"type": "string", "enum": ["queued", "building", "ready", "failed"]},
        "events_total": {"type": ["integer", "null"], "description": "Events on the log when the rebuild began"},
        "events_read": {"type": "integer", "description": "Events read from the log so far"},
        "events_applied": {"type": "integer", "description": "Of those, recorded by `as_of` and applied"},
        "percent": {"type": ["number", "null"]},
        "positions": {"type": "object", "additionalProperties": {"type": "integer"},
                      "description": "Per event source, the last store position applied"},
        "seconds": {"type": ["number", "null"]},
        "error": {"type": ["string", "null"]},
        "location": {"type": "string"},
    },
}
_STRING = {"schema": {"type": "string"}}
#: The answers a read with ``as_of`` adds to its operation (access.operation adds them to every read).
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": {
        "GB-As-Of": {"description": "With `as_of`: the recorded time the answer reflects", **_STRING},
        "GB-Log-Positions": {"description": "With `as_of`: per service, the last store position the answer "
                                            "reflects (`membership=1234, secondment=56`)", **_STRING},
        "GB-As-Of-Build": {"description": "With `as_of`: the rebuild answering (`/v1/as-of/{id}`)", **_STRING},
    }},
    202: {"description": "With `as_of`: the read models as of that time are being rebuilt. Poll `Location` "
                         "until `state` is `ready`, then repeat this request.",
          "content": {"application/json": {"schema": BUILD_SCHEMA}},
          "headers": {"Location": {"description": "The rebuild's progress", **_STRING},
                      "Retry-After": {"description": "Seconds to wait before polling",
                                      "schema": {"type": "integer"}}}},
    429: {"description": "With `as_of`: too many rebuilds under way; retry after `Retry-After` seconds"},
}


def progress_body(build: dict[str, Any]) -> dict[str, Any]:
    return {**build, "location": f"/v1/as-of/{build['id']}"}


def install(app: FastAPI) -> None:
    """The 202 answer of a read whose as-of read models are still being built."""

    @app.exception_handler(AsOfPending)
    async def _pending(request: Request, exc: AsOfPending) -> JSONResponse:
        body = progress_body(exc.build)
        return JSONResponse(orjson.loads(orjson.dumps(body)), status_code=202,
                            headers={"Location": body["location"], "Retry-After": str(POLL_SECONDS)})

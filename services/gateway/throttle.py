"""Failed authentication slows a client down: after too many bad tokens in a window, 429 with Retry-After.

Only failures are counted, and only a request whose token fails is ever refused with 429: a caller
with a valid token is served whatever its address did before (an office behind one NAT address keeps
working while one machine in it misbehaves). A client that keeps sending bad tokens while refused
keeps its window full, so it stays refused until it pauses for the whole window.

Why not a library (``limits``): what is needed is one counter, of failures only, per address, in one
process — a sliding window over the last ``limit`` failure times, about thirty lines below. ``limits``
would bring three more packages and a timer thread for its memory storage, and still need the rule
"count only failures, never refuse a valid token" written around it.

Addresses are the TCP peer's (``request.client.host``); ``X-Forwarded-For`` is not believed, since any
client can write it. Behind a proxy every client shares the proxy's address: then the limit applies
to all bad tokens together, and valid callers are still never slowed. Memory is bounded: at most
``max_clients`` addresses are tracked, the least recently failing forgotten first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.kernel.http import problem_response
from services.pure.errors import Problem

#: Bad tokens one address may send in :data:`WINDOW_SECONDS` before it gets 429.
FAILURES_ALLOWED = 10
WINDOW_SECONDS = 60.0


class TooManyFailures(Problem):
    """Too many failed authentications from this client; wait ``retry_after`` seconds."""

    status = 429
    slug = "too-many-failed-authentications"
    title = "Too many failed authentications from this client"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class FailedAuthentications:
    """Recent authentication failures per client address (sliding window)."""

    def __init__(self, *, limit: int = FAILURES_ALLOWED, window: float = WINDOW_SECONDS, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def failed(self, client: str) -> None:
        """Record a failure; raise :class:`TooManyFailures` if the client already used up its window."""
        now = self._clock()
        times = self._failures.pop(client, None) or deque(maxlen=self.limit)
        while times and times[0] <= now - self.window:
            times.popleft()
        full = len(times) == self.limit
        wait = times[0] + self.window - now if full else 0.0
        times.append(now)
        self._failures[client] = times
        if len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)
        if full:
            retry_after = max(1, math.ceil(wait))
            raise TooManyFailures(f"more than {self.limit} invalid tokens from your address within "
                                  f"{self.window:g} s; wait {retry_after} s, and check the token you send",
                                  retry_after=retry_after)


async def too_many_failures(request: Request, exc: Exception) -> JSONResponse:
    """The 429 problem+json, with the Retry-After the client should honour."""
    assert isinstance(exc, TooManyFailures)
    return problem_response(exc.status, exc.body(str(request.url.path)),
                            headers={"Retry-After": str(exc.retry_after)})


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def install(app: FastAPI) -> None:
    """Give the gateway its failure counter and the 429 answer."""
    app.state.auth_failures = FailedAuthentications()
    app.add_exception_handler(TooManyFailures, too_many_failures)

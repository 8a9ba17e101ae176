"""The gateway's HTTP client of one service's internal API: aiohttp, one keep-alive pool per service.

A service may run as several instances (``./gb run --cluster``; GB_<SERVICE>_URL lists their URLs, separated by
commas). Calls go to them in turn (round robin); a call that cannot reach one instance goes to the next, so the
gateway serves on while an instance is down. A call is sent again elsewhere only when that cannot apply it twice:
when the connection was never made (nothing was sent), or when the call is a read (GET) or carries an
Idempotency-Key — the event store checks that key and writes it in the append's own transaction, under the
append lock (services/kernel/store_schema.sql), so the second instance answers with the first one's result
instead of applying the command again. A command without a key that was sent and got no answer is not sent
again: the client hears 503 and may retry it with a key.

Every command crosses this hop, so it is kept lean (issue 14: httpx's connection pool took about half of the
gateway's CPU per command, bench/results/flame-gateway.svg). The answer is read whole into a small immutable
``ServiceAnswer`` the gateway passes on; the request target is sent exactly as given (``encoded=True``), so the
credential signed for it (services/kernel/credential.py) matches what the service receives.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
from yarl import URL

from services.kernel.tracing import masked

#: Idle connections are dropped long before the service's keep-alive timeout closes them on its side
#: (infra/processes.py UVICORN_KEEP_ALIVE): otherwise a call can go out on a connection the service is
#: closing (a reset, a needless 503).
KEEPALIVE_SECONDS = 2.0
TIMEOUT_SECONDS = 30.0
MAX_CONNECTIONS = 100

log = logging.getLogger("gateway.services")


class ServiceUnreachable(Exception):
    """The service did not answer: refused, reset, or timed out."""


@dataclass(frozen=True)
class ServiceAnswer:
    status_code: int
    content: bytes
    #: Header names in lower case.
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return orjson.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def request_target(path: str, params: Mapping[str, str] | None) -> tuple[str, str]:
    """The raw path and query as they go on the wire (the query form-encoded, as browsers and httpx do)."""
    return path, urlencode(params) if params else ""


def instance_urls(base_url: str) -> list[str]:
    """The instances' URLs in ``base_url`` (one, or several separated by commas)."""
    urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
    if not urls:
        raise ValueError(f"no service URL in {base_url!r}")
    return urls


def may_send_again(method: str, headers: Mapping[str, str], exc: Exception) -> bool:
    """Whether a call that failed with ``exc`` may go to another instance without the risk of applying it twice."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return True  # no connection, so nothing was sent
    return method == "GET" or any(k.lower() == "idempotency-key" for k in headers)


class ServiceClient:
    """Calls one service at ``base_url`` (its instances' URLs separated by commas); opened in the gateway's
    lifespan, closed with it."""

    def __init__(self, base_url: str) -> None:
        self.base_urls = instance_urls(base_url)
        #: The first instance's URL (with one instance, the service's).
        self.base_url = self.base_urls[0]
        self._turn = itertools.cycle(range(len(self.base_urls)))
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS,
                                             enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
                # The gateway sends what it signed and nothing a service would act on unasked.
                skip_auto_headers=("User-Agent", "Content-Type"), auto_decompress=False)
        return self._session

    async def request(self, method: str, path: str, query: str = "", *, content: bytes = b"",
                      headers: Mapping[str, str] | None = None, timeout: float | None = None,
                      authorize: Callable[[], str] | None = None) -> ServiceAnswer:
        """``method path?query`` with ``content`` to the next instance in turn, and to the others while it may be
        sent again (module docstring); raises ``ServiceUnreachable`` when no instance answers. ``authorize`` gives
        each attempt its own Authorization: a service takes a credential once across all its instances, so a
        call sent again to another instance needs a fresh one."""
        first = next(self._turn)
        order = self.base_urls[first:] + self.base_urls[:first]
        for n, base_url in enumerate(order):
            sent = dict(headers or {})
            if authorize is not None:
                sent["Authorization"] = authorize()
            try:
                return await self.request_to(base_url, method, path, query, content=content, headers=sent,
                                             timeout=timeout)
            except ServiceUnreachable as exc:
                cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
                if n + 1 == len(order) or not may_send_again(method, headers or {}, cause):
                    raise
                log.warning("%s did not answer %s %s (%s); trying %s", base_url, method, masked(path), exc,
                            order[n + 1])
        raise AssertionError("unreachable: the loop returns or raises")

    async def request_to(self, base_url: str, method: str, path: str, query: str = "", *, content: bytes = b"",
                         headers: Mapping[str, str] | None = None, timeout: float | None = None) -> ServiceAnswer:
        """The call to one instance at ``base_url``; raises ``ServiceUnreachable`` when it does not answer."""
        url = URL(f"{base_url}{path}{'?' + query if query else ''}", encoded=True)
        sent = dict(headers or {})
        if content and not any(k.lower() == "content-type" for k in sent):
            sent["Content-Type"] = "application/json"
        # Without a timeout of its own the session's (30 s) applies; None would mean none at all.
        options: dict[str, Any] = {} if timeout is None else {"timeout": aiohttp.ClientTimeout(total=timeout)}
        try:
            async with self._open().request(method, url, data=content or None, headers=sent, allow_redirects=False,
                                            **options) as response:
                body = await response.read()
                return ServiceAnswer(response.status, body, {k.lower(): v for k, v in response.headers.items()})
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise ServiceUnreachable(exc.__class__.__name__) from exc

    async def get(self, path: str, params: Mapping[str, str] | None = None,
                  timeout: float | None = None) -> ServiceAnswer:
        """An unsigned GET (health, the audit log's public side)."""
        return await self.request("GET", *request_target(path, params), timeout=timeout)

    async def get_each(self, path: str, timeout: float | None = None) -> dict[str, ServiceAnswer | Exception]:
        """An unsigned GET to every instance (readiness): each instance's answer, or why it gave none."""
        answers: dict[str, ServiceAnswer | Exception] = {}
        for base_url in self.base_urls:
            try:
                answers[base_url] = await self.request_to(base_url, "GET", path, timeout=timeout)
            except ServiceUnreachable as exc:
                answers[base_url] = exc
        return answers

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

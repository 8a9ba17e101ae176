"""The gateway's HTTP client of one service's internal API: aiohttp, one keep-alive pool per service.

Every command crosses this hop, so it is kept lean (issue 14: httpx's connection pool took about half of the
gateway's CPU per command, bench/results/flame-gateway.svg). The answer is read whole into a small immutable
``ServiceAnswer`` the gateway passes on; the request target is sent exactly as given (``encoded=True``), so the
credential signed for it (services/kernel/credential.py) matches what the service receives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson
from yarl import URL

#: Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them on the service's side:
#: otherwise a call can go out on a connection the service is closing (a reset, a needless 503).
KEEPALIVE_SECONDS = 2.0
TIMEOUT_SECONDS = 30.0
MAX_CONNECTIONS = 100


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


class ServiceClient:
    """Calls one service at ``base_url``; opened in the gateway's lifespan, closed with it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
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
                      headers: Mapping[str, str] | None = None, timeout: float | None = None) -> ServiceAnswer:
        """``method path?query`` with ``content``; raises ``ServiceUnreachable`` when the service does not answer."""
        url = URL(f"{self.base_url}{path}{'?' + query if query else ''}", encoded=True)
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

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

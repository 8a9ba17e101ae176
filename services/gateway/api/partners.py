"""Reads for partner systems: partners, subscriptions, their delivery logs and credentials, the served
event schemas and each partner's AsyncAPI document.

A partner system's token (role ``partner``, ``org_id`` = its partner id) reads its own record and
subscriptions only: anything else is 403 whether or not it exists. Credentials, secrets and delivery
logs are answered by the partners service (it alone derives the secrets and keeps the log).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.gateway.api.access import Scope, operation, public
from services.gateway.api.deps import Cursor, IdQuery, Limit, PathId, ReadPool
from services.gateway.api.positions import MinPosition
from services.gateway.auth import CurrentActor
from services.gateway.commands import call_service, relay_response
from services.gateway.readmodels import partners
from services.gateway.readmodels.waiting import wait_for_position
from services.kernel.settings import Settings
from services.partners.contract.asyncapi import DEFAULT_PARTNER_BOOTSTRAP, document
from services.partners.contract.events import REGISTRY
from services.partners.contract.outward.catalogue import CATALOGUE
from services.partners.contract.values import PartnerFeed, PersonalDataPolicy
from services.pure.errors import Forbidden, NotFound
from services.pure.identity import Actor, Role

router = APIRouter(prefix="/v1", tags=["partners"])
READERS = (Role.COUNTY_ADMIN, Role.PARTNER)
SOURCE = REGISTRY.source


#: A password or a signing secret is kept by no cache on its way (a proxy's, the partner's browser's) nor offered
#: again from one: RFC 9111 no-store.
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}


def secret_response(upstream: Response) -> Response:
    """The service's answer with a secret in it, marked not to be stored (its problem+json too, alike)."""
    upstream.headers.update(NO_STORE)
    return upstream


def own_partner(actor: Actor, asked: str | None) -> str | None:
    """The partner a caller's reads are limited to: any for the county, its own for a partner system."""
    if actor.role is Role.COUNTY_ADMIN:
        return asked
    if asked not in (None, actor.org_id):
        raise Forbidden(f"{actor.label} reads only partner {actor.org_id}")
    return actor.org_id


@operation(router, "/partners", roles=READERS, scope=Scope.PARTNER, action="read partner systems")
async def list_partners(actor: CurrentActor, pool: ReadPool, min_position: MinPosition = None, limit: Limit = 100,
                        cursor: Cursor = None) -> dict[str, Any]:
    """Partner systems with their scope and personal-data policy."""
    await wait_for_position(pool, SOURCE, min_position)
    rows = await partners.partners(pool, partner_id=own_partner(actor, None), after=cursor, limit=limit + 1)
    return {"items": rows[:limit], "next_cursor": rows[limit - 1]["partner_id"] if len(rows) > limit else None}


@operation(router, "/partners/{partner_id}", roles=READERS, scope=Scope.PARTNER, action="read partner systems")
async def get_partner(partner_id: PathId, actor: CurrentActor, pool: ReadPool,
                      min_position: MinPosition = None) -> dict[str, Any]:
    own_partner(actor, partner_id)
    await wait_for_position(pool, SOURCE, min_position)
    found = await partners.partner(pool, partner_id)
    if found is None:
        raise NotFound(f"no partner {partner_id}")
    return found


@operation(router, "/partners/{partner_id}/asyncapi.json", roles=READERS, scope=Scope.PARTNER,
           action="read a partner's AsyncAPI document")
async def partner_asyncapi(partner_id: PathId, request: Request, actor: CurrentActor, pool: ReadPool) -> dict[str, Any]:
    """The AsyncAPI 3 document of what this partner may receive: its topic, its event types, examples masked
    by its policy."""
    own_partner(actor, partner_id)
    found = await partners.partner(pool, partner_id)
    if found is None:
        raise NotFound(f"no partner {partner_id}")
    feed = PartnerFeed(partner_id=partner_id, name=found["name"], types=tuple(found["scope"]["event_types"]),
                       personal_data=PersonalDataPolicy(found["personal_data"]))
    # The partners' own listener (PARTNER), as GET …/kafka-credentials gives it; its first broker is the default of
    # the document's server variable, which the partner may change.
    settings: Settings = request.app.state.settings
    bootstrap = settings.partner_bootstrap_servers.split(",")[0] or DEFAULT_PARTNER_BOOTSTRAP
    return document(feed, public_base_url=str(request.base_url).rstrip("/"), kafka_bootstrap=bootstrap)


@operation(router, "/partners/{partner_id}/kafka-credentials", roles=READERS, scope=Scope.PARTNER,
           action="read a partner's Kafka credentials", record_checked_by="partners")
async def kafka_credentials(partner_id: PathId, request: Request, actor: CurrentActor) -> Response:
    """The partner's Kafka login (SASL/SCRAM-SHA-256, on the partners' listener), its topic and its consumer-group
    prefix. The password is derived from the county's secret, never stored; the partner's principal reads its own
    topic only."""
    own_partner(actor, partner_id)
    return secret_response(relay_response(await call_service(
        request, "partners", actor, "GET", f"/partners/{quote(partner_id, safe='')}/kafka-credentials")))


@operation(router, "/partner-health", roles=(Role.COUNTY_ADMIN,), scope=Scope.PARTNER,
           action="read partner delivery health", record_checked_by="partners")
async def partner_health(request: Request, actor: CurrentActor) -> Response:
    """Each partner's Kafka consumer lag (per consumer group) and each webhook's backlog and state."""
    return relay_response(await call_service(request, "partners", actor, "GET", "/partners-health"))


@operation(router, "/subscriptions", roles=READERS, scope=Scope.PARTNER, action="read subscriptions")
async def list_subscriptions(actor: CurrentActor, pool: ReadPool, partner_id: IdQuery = None,
                             min_position: MinPosition = None, limit: Limit = 100,
                             cursor: Cursor = None) -> dict[str, Any]:
    """Subscriptions (CloudEvents Subscriptions API), with their state and why a paused one stopped."""
    await wait_for_position(pool, SOURCE, min_position)
    rows = await partners.subscriptions(pool, partner_id=own_partner(actor, partner_id), after=cursor,
                                        limit=limit + 1)
    return {"items": rows[:limit], "next_cursor": rows[limit - 1]["subscription_id"] if len(rows) > limit else None}


async def _own_subscription(pool: Any, actor: Actor, subscription_id: str) -> dict[str, Any]:
    found = await partners.subscription(pool, subscription_id)
    if actor.role is not Role.COUNTY_ADMIN and (found is None or found["partner_id"] != actor.org_id):
        raise Forbidden(f"{actor.label} reads only the subscriptions of partner {actor.org_id}")
    if found is None:
        raise NotFound(f"no subscription {subscription_id}")
    return found


@operation(router, "/subscriptions/{subscription_id}", roles=READERS, scope=Scope.PARTNER,
           action="read subscriptions")
async def get_subscription(subscription_id: PathId, actor: CurrentActor, pool: ReadPool,
                           min_position: MinPosition = None) -> dict[str, Any]:
    await wait_for_position(pool, SOURCE, min_position)
    return await _own_subscription(pool, actor, subscription_id)


@operation(router, "/subscriptions/{subscription_id}/secret", roles=READERS, scope=Scope.PARTNER,
           action="read a webhook secret", record_checked_by="partners")
async def webhook_secret(subscription_id: PathId, request: Request, actor: CurrentActor) -> Response:
    """The Standard Webhooks secret (``whsec_…``) that signs this HTTP subscription's deliveries."""
    return secret_response(relay_response(await call_service(
        request, "partners", actor, "GET", f"/subscriptions/{quote(subscription_id, safe='')}/secret")))


@operation(router, "/subscriptions/{subscription_id}/deliveries", roles=READERS, scope=Scope.PARTNER,
           action="read a delivery log", record_checked_by="partners")
async def deliveries(subscription_id: PathId, request: Request, actor: CurrentActor,
                     after: Annotated[int, Query(ge=0, le=2**62, description="Attempts after this id.")] = 0,
                     limit: Limit = 100) -> Response:
    """The webhook delivery log: every attempt with the event, its position, the sink's status or the error,
    and the latency."""
    return relay_response(await call_service(request, "partners", actor, "GET",
                                     f"/subscriptions/{quote(subscription_id, safe='')}/deliveries",
                                     params={"after": str(after), "limit": str(limit)}))


@public(router, "/schemas")
async def schemas() -> dict[str, Any]:
    """Every outward event type partners may receive, with its summary and the URL of its JSON Schema."""
    return {"items": [{"type": t.type, "summary": t.summary, "dataschema": f"/v1/schemas/{t.type}.json"}
                      for t in CATALOGUE.values()]}


@public(router, "/schemas/{type_name}.json")
async def schema(type_name: str) -> dict[str, Any]:
    """The JSON Schema of one outward event type's ``data`` (a CloudEvent's ``dataschema`` points here)."""
    kind = CATALOGUE.get(type_name)
    if kind is None:
        raise NotFound(f"no outward event type {type_name[:80]}; GET /v1/schemas lists them")
    return kind.json_schema()


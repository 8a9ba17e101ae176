"""Partners' command routes: the county registers, changes, deactivates and reactivates partners and rotates their
Kafka passwords; a partner or the county manages its subscriptions."""

from __future__ import annotations

from typing import Any

from services.kernel.routes import CommandRoute
from services.partners import handlers as h
from services.partners.contract import commands as c
from services.partners.contract.values import REPLAY_WINDOW_HOURS, REPLAYS_PER_WINDOW
from services.pure.identity import Role

_COUNTY = (Role.COUNTY_ADMIN,)
_SUBSCRIBERS = (Role.COUNTY_ADMIN, Role.PARTNER)
PARTNER_SCOPE = "county: every partner; a partner system: its own record only"
SUBSCRIPTION_SCOPE = "county: every subscription; a partner system: its own subscriptions only"
_PARTNER = "/v1/partners/{id}"
_SUBSCRIPTION = "/v1/subscriptions/{subscription_id}"

ROUTES: tuple[CommandRoute[Any], ...] = (
    CommandRoute(
        path="/partners", command=c.RegisterPartner, handler=h.partner_command, roles=_COUNTY, scope=PARTNER_SCOPE,
        location=_PARTNER,
        summary="Register a partner system with its scope (outward event types; organisations or townships) and "
                "its personal-data policy. Its Kafka topic, principal and ACLs are provisioned from this."),
    CommandRoute(
        path="/partners/{partner_id}", method="PUT", command=c.ChangePartner, handler=h.partner_command,
        from_path=("partner_id",), roles=_COUNTY, scope=PARTNER_SCOPE, location=_PARTNER,
        summary="Change a partner's name, contact, scope or personal-data policy: events recorded from the change on "
                "are routed and masked by the new scope and policy; those recorded before keep the ones they were "
                "recorded under, however late they are routed or sent again."),
    CommandRoute(
        path="/partners/{partner_id}/deactivation", command=c.DeactivatePartner, handler=h.partner_command,
        from_path=("partner_id",), roles=_COUNTY, scope=PARTNER_SCOPE, location=_PARTNER,
        summary="Deactivate (off-board) a partner, with the reason: nothing recorded from now on is routed to its "
                "Kafka topic, nothing more is sent to its webhooks (their backlog is held), its subscriptions cannot "
                "be created, changed, resumed or replayed, its Kafka login and ACLs are removed, and the gateway "
                "refuses its API tokens (403) until it is reactivated. Its topic is kept."),
    CommandRoute(
        path="/partners/{partner_id}/reactivation", command=c.ReactivatePartner, handler=h.partner_command,
        from_path=("partner_id",), roles=_COUNTY, scope=PARTNER_SCOPE, location=_PARTNER,
        summary="Reactivate a deactivated partner: provisioned again on Kafka with a new password (read it at "
                "GET /v1/partners/{partner_id}/kafka-credentials); routing resumes from the next event, and its API "
                "tokens are served again."),
    CommandRoute(
        path="/partners/{partner_id}/credential-rotation", command=c.RotatePartnerCredential,
        handler=h.partner_command, from_path=("partner_id",), roles=_COUNTY, scope=PARTNER_SCOPE, location=_PARTNER,
        summary="Give a partner a new Kafka password (GET /v1/partners/{partner_id}/kafka-credentials); the old one "
                "stops logging in within seconds. Other partners and every webhook secret are unchanged."),
    CommandRoute(
        path="/subscriptions", command=c.CreateSubscription, handler=h.subscription_command, new_id="subscription_id",
        roles=_SUBSCRIBERS, scope=SUBSCRIPTION_SCOPE, location="/v1/subscriptions/{id}",
        summary="Create a subscription (CloudEvents Subscriptions API): types, filters (exact, prefix, suffix, all, "
                "any, not), and a sink: the partner's Kafka topic (KAFKA) or a webhook URL (HTTP) — outside "
                "development a public address, not loopback or a private network (docs/partners.md)."),
    CommandRoute(
        path="/subscriptions/{subscription_id}", method="PUT", command=c.UpdateSubscription,
        handler=h.subscription_command, from_path=("subscription_id",), roles=_SUBSCRIBERS,
        scope=SUBSCRIPTION_SCOPE, location=_SUBSCRIPTION,
        summary="Update a subscription's types, filters or sink."),
    CommandRoute(
        path="/subscriptions/{subscription_id}", method="DELETE", command=c.DeleteSubscription,
        handler=h.subscription_command, from_path=("subscription_id",), roles=_SUBSCRIBERS,
        scope=SUBSCRIPTION_SCOPE, location=_SUBSCRIPTION,
        summary="Delete a subscription: nothing more is delivered to it."),
    CommandRoute(
        path="/subscriptions/{subscription_id}/resumption", command=c.ResumeSubscription,
        handler=h.subscription_command, from_path=("subscription_id",), roles=_SUBSCRIBERS,
        scope=SUBSCRIPTION_SCOPE, location=_SUBSCRIPTION,
        summary="Resume a paused webhook subscription from the first event it did not deliver."),
    CommandRoute(
        path="/subscriptions/{subscription_id}/replay", command=c.RequestReplay, handler=h.subscription_command,
        from_path=("subscription_id",), roles=_SUBSCRIBERS, scope=SUBSCRIPTION_SCOPE, location=_SUBSCRIPTION,
        summary="Deliver a webhook subscription's events again from a position (the CloudEvent's `position`) or "
                f"a time. A partner may ask {REPLAYS_PER_WINDOW} replays of one subscription within "
                f"{REPLAY_WINDOW_HOURS} hours (429 with `Retry-After` beyond); the county's are not counted."),
)

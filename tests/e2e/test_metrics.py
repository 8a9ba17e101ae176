"""Prometheus metrics on every process (issue 15, item 4): the gateway, a service and a relay are scraped and their
text parsed with prometheus_client's own parser; one command moves the counters and histograms it should, and the
labels hold route templates, never a record's id."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

import httpx
from prometheus_client.parser import text_string_to_metric_families

from infra.processes import AppProcess, app_processes, get_process
from services.kernel.settings import Settings
from services.membership.contract.service import SERVICE as MEMBERSHIP
from tests.e2e.conftest import branch_body, eventually
from tests.e2e.test_partner_router import (
    ORGANISATION,
    ROUTED_WAIT,
    establish,
    provisioned,
    read_feed,
    register_partner,
    township_id,
)
from tests.e2e.test_partner_webhooks import (  # noqa: F401 (fixtures: the webhook tests' sink)
    Hook,
    Sink,
    deliverer,
    hook,
    sink,
    until_delivered,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> tuple[str, Samples]:
    """``url``'s metrics as text and as {(sample name, labels): value}, read by the Prometheus parser."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain"), response.headers
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(response.text) for s in family.samples}
    return response.text, samples


def metrics_urls(settings: Settings, name: str) -> list[str]:
    """The /metrics of every instance of process ``name`` (``membership``, ``membership-2`` on the cluster)."""
    urls = []
    for process in app_processes(settings):
        if process.name == name or re.fullmatch(rf"{re.escape(name)}-\d+", process.name):
            if process.metrics_port is not None:
                urls.append(f"http://127.0.0.1:{process.metrics_port}/metrics")
            else:
                assert process.ready_url is not None, f"{process.name} serves no metrics"
                urls.append(process.ready_url.replace("/healthz", "/metrics"))
    assert urls, f"no process {name}"
    return urls


async def scrape_all(urls: list[str]) -> Samples:
    """The samples of several instances added up: a command may reach either instance, one relay is active."""
    total: Samples = {}
    for url in urls:
        for key, found in (await scrape(url))[1].items():
            total[key] = total.get(key, 0.0) + found
    return total


async def scrape_once_up(url: str) -> Samples:
    """``url``'s metrics once the process serves them (one just started takes a moment to listen)."""
    async def served() -> Samples | None:
        try:
            return (await scrape(url))[1]
        except httpx.ConnectError:
            return None
    found = await eventually(served, what=f"metrics served at {url}")
    assert found is not None
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples: Samples, name: str) -> list[Mapping[str, str]]:
    return [dict(labels) for sample, labels in samples if sample == name]


async def test_a_command_moves_the_command_counter_latency_histogram_and_http_metrics_and_the_relay_publishes_it(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    service_urls = metrics_urls(system, "membership")
    gateway_url = f"http://127.0.0.1:{system.gateway_port}/metrics"
    relay_urls = metrics_urls(system, "membership-relay")
    command = {"service": "membership", "command": "EstablishBranch"}
    service_before = await scrape_all(service_urls)
    _, gateway_before = await scrape(gateway_url)
    relay_before = await scrape_all(relay_urls)

    accepted = await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)
    assert accepted.status_code == 201, accepted.text
    branch = accepted.json()
    read = await gateway.get(f"/v1/branches/{branch['id']}", params={"min_position": branch["position"]},
                             headers=admin_headers)
    assert read.status_code == 200, read.text
    refused = await gateway.post("/v1/branches", json=branch_body(established_on="not a day"), headers=admin_headers)
    assert refused.status_code == 422, refused.text

    service_after = await scrape_all(service_urls)
    assert value(service_after, "gb_commands_total", **command, outcome="accepted") \
        >= value(service_before, "gb_commands_total", **command, outcome="accepted") + 1
    assert value(service_after, "gb_command_duration_seconds_count", **command) \
        >= value(service_before, "gb_command_duration_seconds_count", **command) + 1
    assert value(service_after, "gb_command_duration_seconds_sum", **command) \
        > value(service_before, "gb_command_duration_seconds_sum", **command)
    assert value(service_after, "gb_appends_total", service="membership", outcome="accepted") \
        >= value(service_before, "gb_appends_total", service="membership", outcome="accepted") + 1
    # The gateway refuses the bad day itself (422) before any call to the service.
    post = {"method": "POST", "route": "/v1/branches"}
    _, gateway_after = await scrape(gateway_url)
    assert value(gateway_after, "gb_http_requests_total", **post, status="201") \
        >= value(gateway_before, "gb_http_requests_total", **post, status="201") + 1
    assert value(gateway_after, "gb_http_requests_total", **post, status="422") \
        >= value(gateway_before, "gb_http_requests_total", **post, status="422") + 1
    assert value(gateway_after, "gb_http_request_duration_seconds_count", **post) \
        >= value(gateway_before, "gb_http_request_duration_seconds_count", **post) + 2

    async def relay_published() -> Samples | None:
        now = await scrape_all(relay_urls)
        moved = value(now, "gb_relay_published_events_total", service="membership") \
            > value(relay_before, "gb_relay_published_events_total", service="membership")
        return now if moved else None

    relay_after = await eventually(relay_published, what="the relay counting the branch's event")
    assert relay_after is not None
    assert value(relay_after, "gb_relay_active", service="membership") == 1
    assert value(relay_after, "gb_relay_delay_seconds_count", service="membership") \
        > value(relay_before, "gb_relay_delay_seconds_count", service="membership")
    assert ("gb_relay_oldest_unpublished_seconds", frozenset({("service", "membership")})) in relay_after


async def test_the_gateway_reports_projection_lag_per_partition_and_labels_hold_templates_not_ids(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    accepted = (await gateway.post("/v1/branches", json=branch_body(), headers=admin_headers)).json()
    branch_id = accepted["id"]
    read = await gateway.get(f"/v1/branches/{branch_id}", params={"min_position": accepted["position"]},
                             headers=admin_headers)
    assert read.status_code == 200, read.text
    missing = await gateway.get(f"/v1/branches/{uuid.uuid4()}", headers=admin_headers)
    assert missing.status_code == 404
    stranger = f"/no-such-page-{uuid.uuid4()}"
    assert (await gateway.get(stranger)).status_code == 404
    await scrape(f"http://127.0.0.1:{system.gateway_port}/metrics")
    text, samples = await scrape(f"http://127.0.0.1:{system.gateway_port}/metrics")

    partitions = {(s["topic"], s["partition"]) for s in series(samples, "gb_projection_lag_events")}
    assert {p for t, p in partitions if t == MEMBERSHIP.topic} == {str(n) for n in range(6)}, partitions
    assert all(value(samples, "gb_projection_lag_events", topic=t, partition=p) >= 0 for t, p in partitions)
    routes = {s["route"] for s in series(samples, "gb_http_requests_total")}
    assert {"/v1/branches/{branch_id}", "/metrics", "(unmatched)"} <= routes, routes
    assert branch_id not in text and stranger not in text and "min_position" not in text
    assert "/metrics" not in (await gateway.get("/openapi.json")).json()["paths"]


async def test_the_partner_router_counts_the_records_it_delivers(
    system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    router = get_process("partners-router", system)
    assert router.metrics_port is not None, "the partner router has no metrics port"
    router_url = f"http://127.0.0.1:{router.metrics_port}/metrics"
    run = uuid.uuid4().hex[:8]
    partner = f"metrics-{run}"
    subscription = await register_partner(gateway, admin_headers, partner, townships=[township_id(run, "a")],
                                          event_types=[ORGANISATION], personal_data="none", types=[ORGANISATION])
    try:
        await _count_deliveries(gateway, admin_headers, partner, run, router_url)
    finally:
        # No subscription left behind: the router reads every event while any exists (it never skips one it
        # cannot read, such as test_first_slice's poison message), and stays idle while none does.
        await gateway.delete(f"/v1/subscriptions/{subscription}", headers=admin_headers)


async def _count_deliveries(gateway: httpx.AsyncClient, admin_headers: dict[str, str], partner: str, run: str,
                            router_url: str) -> None:
    await provisioned(gateway, admin_headers, partner)
    _, before = await scrape(router_url)
    delivered = {"channel": "kafka", "outcome": "delivered"}

    await establish(gateway, admin_headers, run, ("a",), branches_each=1)
    feed = await eventually(lambda: read_feed(gateway, admin_headers, partner), timeout=ROUTED_WAIT,
                            what="the township's events on the partner's topic")

    async def counted() -> float:
        _, now = await scrape(router_url)
        return value(now, "gb_partner_deliveries_total", **delivered) - value(before, "gb_partner_deliveries_total",
                                                                               **delivered)
    assert await eventually(counted, what="the router counting its deliveries") >= len(feed) >= 1


async def test_the_webhook_deliverer_counts_delivered_and_failed_attempts(
    sink: Sink, hook: Hook, deliverer: AppProcess  # noqa: F811 (the fixtures imported above)
) -> None:
    assert deliverer.metrics_port is not None, "the webhook deliverer has no metrics port"
    url = f"http://127.0.0.1:{deliverer.metrics_port}/metrics"
    before = await scrape_once_up(url)
    with sink.lock:
        sink.fail_next[hook.name] = 2  # two 503s, then the sink takes it
    await hook.register_member()
    await until_delivered(sink, hook, 1, "the registration delivered after two failures")

    async def counted() -> dict[str, float] | None:
        _, now = await scrape(url)
        moved = {o: value(now, "gb_partner_deliveries_total", channel="http", outcome=o)
                 - value(before, "gb_partner_deliveries_total", channel="http", outcome=o)
                 for o in ("delivered", "failed")}
        return moved if moved["delivered"] >= 1 and moved["failed"] >= 2 else None
    await eventually(counted, what="the deliverer counting one delivery and two failed attempts")

"""Partner delivery on the real system (bench part ``partners``; docs/partners.md, bench/README.md).

1. Command → partner topic and 2. command → webhook: two partners (county-wide scope), one with a KAFKA
   subscription read by a consumer tailing its topic as the operator, one with an HTTP subscription to a
   receiver in this process (uvicorn, this event loop, ``standardwebhooks`` verification); sequential
   ``POST /v1/members``, each timed from just before the POST to both arrivals.
3. Router throughput: router stopped, a backlog of in-scope events loaded, router started; first → last
   routed record; then a raw aiokafka consume-and-decode of the same internal records, and the ratio.

Both subscriptions are deleted at the end; partners, members, branches and partner topics stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import orjson
import uvicorn
from aiokafka import ConsumerRecord, TopicPartition
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.common import latency_summary, percentile, say
from bench.policy import _post
from bench.system import _client, branch_body, load_membership_events, wait_caught_up
from infra import supervisor
from infra.processes import get_process
from services.kernel.kafka import event_consumer, topic_partitions
from services.kernel.settings import Settings
from services.kernel.topics import event_topic
from services.partners.contract.kafka import partner_topic

REGISTERED = "goldenbridge.member.registered.v1"
ORGANISATION = "goldenbridge.organisation.established.v1"
ROUTER = "partners-router"
MEMBERSHIP_TOPIC = event_topic("membership")
#: Commands before the timed ones (not counted): the deliverer picks a new subscription up within
#: ~0.5 s and the provisioner creates the partner topics asynchronously.
WARMUP = 3

Handler = Callable[[float, dict[str, Any], ConsumerRecord[Any, Any]], None]

_NEXT_ID = itertools.count(random.randrange(0, 10_000_000))


def national_id() -> str:
    """A valid, never-repeated 18-character resident ID (as tests/e2e/conftest.py makes them)."""
    n = next(_NEXT_ID)
    born = date(1960, 1, 1) + timedelta(days=(n // 1000) % 14_600)
    body = f"440305{born:%Y%m%d}{n % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def member_body(branch_id: str) -> dict[str, Any]:
    return {"name": "Li Wei", "national_id": national_id(), "formal_org_id": branch_id, "status": "full",
            "dues_category": "wage_earner", "contact": {"phone": "+86 138 0000 0000"}}


class Arrivals:
    """When each subject's event arrived (perf_counter), awaitable per subject (it may come before the wait)."""

    def __init__(self) -> None:
        self._futures: dict[str, asyncio.Future[float]] = {}

    def _future(self, subject: str) -> asyncio.Future[float]:
        return self._futures.setdefault(subject, asyncio.get_running_loop().create_future())

    def arrived(self, subject: str, when: float) -> None:
        future = self._future(subject)
        if not future.done():
            future.set_result(when)

    async def wait(self, subject: str, timeout: float) -> float:
        return await asyncio.wait_for(asyncio.shield(self._future(subject)), timeout)


class Tail:
    """Reads one partner topic from its end, as the operator, handing each CloudEvent to ``handle``."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.consumer = event_consumer(settings, "gb-bench-partners")
        self.topic = topic
        self.handle: Handler = lambda *_: None
        self.task: asyncio.Task[None] | None = None

    async def start(self, *also: str) -> None:
        """Once ``also`` exist too: the partners service provisions each partner topic after the registration
        (asked before ``assign``, which narrows the consumer's metadata to the assigned topic)."""
        await self.consumer.start()
        for topic in also:
            await topic_partitions(self.consumer, topic, timeout=60)
        (tp,) = await topic_partitions(self.consumer, self.topic, timeout=60)
        self.consumer.assign([tp])
        await self.consumer.seek_to_end(tp)
        await self.consumer.position(tp)  # resolved now: nothing written after this point is missed
        self.task = asyncio.create_task(self._run(), name="bench-partner-tail")

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=500)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    self.handle(now, orjson.loads(record.value), record)

    def check(self) -> None:
        if self.task is not None and self.task.done():
            raise RuntimeError("the partner-topic tail stopped") from self.task.exception()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the benchmark's own Ctrl-C handling stays as it is
        yield


class Receiver:
    """A partner's webhook endpoint: uvicorn on 127.0.0.1 in this event loop, every request verified."""

    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals
        self.webhook: Webhook | None = None
        self.requests = self.refused = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))  # a free port, held from now on
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        app = Starlette(routes=[Route("/hook", self.deliver, methods=["POST"])])
        self.server = _Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
        self.task: asyncio.Task[None] | None = None

    async def deliver(self, request: Request) -> Response:
        body = await request.body()
        self.requests += 1
        try:
            if self.webhook is None:
                raise WebhookVerificationError("no secret yet")
            self.webhook.verify(body, dict(request.headers))
        except WebhookVerificationError:
            self.refused += 1
            return Response(status_code=401)
        self.arrivals.arrived(orjson.loads(body)["subject"], time.perf_counter())
        return Response(status_code=204)

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.sock]), name="bench-webhook-receiver")
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise RuntimeError("the webhook receiver did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
        self.sock.close()


async def register_partner(client: httpx.AsyncClient, kind: str, subscription: dict[str, Any]) -> tuple[str, str]:
    """A partner with a county-wide scope (no township, no organisation) and one subscription."""
    partner_id = f"bench-{kind}-{uuid.uuid4().hex[:8]}"
    await _post(client, "/v1/partners", {
        "partner_id": partner_id, "name": f"Bench partner ({kind})", "kind": "host_committee", "contact": "0574-0000",
        "personal_data": "masked", "scope": {"event_types": [REGISTERED, ORGANISATION], "townships": []}})
    sub = await _post(client, "/v1/subscriptions", {"partner_id": partner_id, **subscription})
    return partner_id, str(sub["id"])


async def delivery_latency(client: httpx.AsyncClient, tail: Tail, branch: str, kafka: Arrivals, hook: Arrivals,
                           commands: int) -> dict[str, Any]:
    """Sequential registrations; each timed from just before its POST to its arrival on both paths."""
    timed: dict[str, list[float]] = {"kafka": [], "webhook": [], "post": []}
    failures: Counter[str] = Counter()
    for n in range(WARMUP + commands):
        counted = n >= WARMUP
        t0 = time.perf_counter()
        response = await client.post("/v1/members", json=member_body(branch),
                                     headers={"Idempotency-Key": str(uuid.uuid4())})
        t_post = time.perf_counter()
        if response.status_code != 201:
            failures[f"POST {response.status_code}"] += 1
            continue
        subject = f"member/{response.json()['id']}"
        timeout = 30.0 if counted else 120.0
        for name, arrivals in (("kafka", kafka), ("webhook", hook)):
            try:
                arrived = await arrivals.wait(subject, timeout)
            except TimeoutError:
                tail.check()
                failures[f"{name}: not within {timeout:g} s"] += 1
                continue
            if counted:
                timed[name].append(arrived - t0)
        if counted:
            timed["post"].append(t_post - t0)
        if n == WARMUP - 1:
            say(f"  partners: warm-up done ({WARMUP} commands); timing {commands}")
    return {"to_partner_topic": latency_summary(timed["kafka"]), "to_webhook": latency_summary(timed["webhook"]),
            "post": latency_summary(timed["post"]), "failures": dict(failures)}


async def _end_offsets(settings: Settings) -> dict[TopicPartition, int]:
    consumer = event_consumer(settings, "gb-bench-partners-offsets")
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(await topic_partitions(consumer, MEMBERSHIP_TOPIC)))
    finally:
        await consumer.stop()


async def router_throughput(settings: Settings, tail: Tail, backlog: int) -> dict[str, Any]:
    """Router stopped, backlog loaded and on Kafka, router started: first → last routed record."""
    process = get_process(ROUTER, settings)
    say(f"partners: stopping {ROUTER}, loading a backlog of {backlog:,} events")
    was_running = await asyncio.to_thread(supervisor.stop_app, settings, ROUTER)
    ids: set[str] = set()
    times: list[float] = []
    stamps: list[int] = []
    records = [0]
    done = asyncio.Event()

    def count(now: float, event: dict[str, Any], record: ConsumerRecord[Any, Any]) -> None:
        if event.get("type") != ORGANISATION:
            return
        records[0] += 1
        if event["id"] not in ids:
            ids.add(event["id"])
            times.append(now)
            stamps.append(record.timestamp)
            if len(ids) >= backlog:
                done.set()

    try:
        start = await _end_offsets(settings)
        load = await load_membership_events(settings, backlog)
        load.update(await wait_caught_up(settings, "relay and projector after the partner backlog"))
        end = await _end_offsets(settings)
        tail.handle = count
    finally:
        t_start = time.perf_counter()
        await asyncio.to_thread(supervisor.start_app, process, settings)
    say(f"partners: {ROUTER} started again; waiting for {backlog:,} routed events")
    deadline = t_start + 180 + backlog / 50
    while not done.is_set():
        tail.check()
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the router routed {len(ids):,} of {backlog:,} events in {deadline - t_start:.0f} s")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 10)
        if not done.is_set():
            say(f"  partners: {len(ids):,} of {backlog:,} routed so far")
    tail.handle = lambda *_: None
    first, last, n = times[0], times[-1], len(ids)
    span = last - first
    first_read = sum(1 for t in times if t == first)  # what the first poll brought (a batch of the router's)
    reads = sorted(set(times))
    gaps = [b - a for a, b in itertools.pairwise(reads)]
    result: dict[str, Any] = {
        "events": n, "records": records[0], "duplicates": records[0] - n, "router_was_running": was_running,
        "start_to_first_s": round(first - t_start, 3), "first_to_last_s": round(span, 3),
        "events_per_s": n / span if span > 0 else None,
        "events_per_s_after_first_read": (n - first_read) / span if span > 0 else None,
        "first_read": first_read, "reads": len(reads),
        "median_read_gap_ms": round(percentile(gaps, 50) * 1000, 1) if gaps else None,
        "events_per_s_with_startup": n / (last - t_start),
        "record_timestamp_span_s": round((max(stamps) - min(stamps)) / 1000, 3), "load": load,
        "internal_offsets": {"start": {tp.partition: o for tp, o in start.items()},
                             "end": {tp.partition: o for tp, o in end.items()}},
    }
    say(f"partners: router {result['events_per_s'] or 0:,.0f} events/s first → last record ({n:,} events in "
        f"{span:.2f} s; first record {result['start_to_first_s']:.1f} s after the start)")
    return result


async def raw_consume(settings: Settings, start: dict[int, int], end: dict[int, int]) -> dict[str, Any]:
    """The same internal records, read with a plain aiokafka consumer: orjson of the value, headers read."""
    consumer = event_consumer(settings, "gb-bench-partners-raw")
    await consumer.start()
    try:
        wanted = {TopicPartition(MEMBERSHIP_TOPIC, p): (o, end[p]) for p, o in start.items() if end[p] > o}
        consumer.assign(list(wanted))
        for tp, (offset, _) in wanted.items():
            consumer.seek(tp, offset)
        remaining, n, size, types = set(wanted), 0, 0, Counter[str]()
        t0 = time.perf_counter()
        while remaining:
            if time.perf_counter() - t0 > 120:
                raise TimeoutError(f"raw consume: {n:,} records after 120 s, partitions left {sorted(remaining)}")
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, batch in batches.items():
                stop = wanted[tp][1]
                for record in batch:
                    if record.offset >= stop:
                        break
                    orjson.loads(record.value)
                    headers = {key: value.decode() for key, value in record.headers}
                    types[headers.get("ce_type", "?")] += 1
                    size += len(record.value)
                    n += 1
                if batch and batch[-1].offset >= stop - 1:
                    remaining.discard(tp)
        elapsed = time.perf_counter() - t0
    finally:
        await consumer.stop()
    result: dict[str, Any] = {"events": n, "seconds": round(elapsed, 3), "events_per_s": n / elapsed,
                              "value_bytes": size, "partitions": len(wanted), "types": dict(types)}
    say(f"partners: raw aiokafka consume + decode {n / elapsed:,.0f} events/s ({n:,} in {elapsed:.2f} s)")
    return result


async def measure(settings: Settings, commands: int, backlog: int) -> dict[str, Any]:
    """All three measurements, on the running system; the subscriptions are deleted again at the end."""
    kafka, hook = Arrivals(), Arrivals()
    receiver = Receiver(hook)
    subscriptions: list[str] = []
    tail: Tail | None = None
    result: dict[str, Any] = {"commands": commands, "backlog": backlog, "command": "POST /v1/members",
                              "outward_type": REGISTERED}
    async with _client(settings) as client:
        try:
            await receiver.start()
            kafka_partner, kafka_sub = await register_partner(client, "kafka", {"protocol": "KAFKA"})
            subscriptions.append(kafka_sub)
            hook_partner, hook_sub = await register_partner(
                client, "hook", {"protocol": "HTTP", "sink": receiver.url, "types": [REGISTERED]})
            subscriptions.append(hook_sub)
            secret = await client.get(f"/v1/subscriptions/{hook_sub}/secret")
            if secret.status_code != 200:
                raise RuntimeError(f"GET /v1/subscriptions/{hook_sub}/secret answered {secret.status_code}")
            receiver.webhook = Webhook(secret.json()["secret"])
            result.update(kafka_partner=kafka_partner, hook_partner=hook_partner, webhook_sink=receiver.url)
            tail = Tail(settings, partner_topic(kafka_partner))
            await tail.start(partner_topic(hook_partner))
            tail.handle = lambda now, event, _record: kafka.arrived(event["subject"], now)
            branch = (await _post(client, "/v1/branches", branch_body()))["id"]
            say(f"partners: {kafka_partner} (KAFKA) and {hook_partner} (HTTP → {receiver.url}); "
                f"{commands} sequential POST /v1/members into branch {branch}")
            lat = result["latency"] = await delivery_latency(client, tail, branch, kafka, hook, commands)
            result["webhook_requests"] = {"received": receiver.requests, "refused_unverified": receiver.refused}
            k, w = lat["to_partner_topic"], lat["to_webhook"]
            say(f"partners: command → partner topic p50 {k.get('p50_ms')} ms, p99 {k.get('p99_ms')} ms; → webhook "
                f"p50 {w.get('p50_ms')} ms, p99 {w.get('p99_ms')} ms (failures {lat['failures'] or 'none'})")
            # The webhook partner selects nothing of the backlog; its subscription goes now all the same.
            await client.delete(f"/v1/subscriptions/{hook_sub}")
            subscriptions.remove(hook_sub)
            router = result["router"] = await router_throughput(settings, tail, backlog)
            offsets = router["internal_offsets"]
            raw = result["raw"] = await raw_consume(settings, offsets["start"], offsets["end"])
            result["router_vs_raw"] = router["events_per_s"] / raw["events_per_s"] if router["events_per_s"] else None
        finally:
            for sid in subscriptions:
                with contextlib.suppress(Exception):
                    await client.delete(f"/v1/subscriptions/{sid}")
            if tail is not None:
                await tail.stop()
            await receiver.stop()
            if supervisor.app_pid(settings, ROUTER) is None:  # e.g. a failure while it was stopped
                await asyncio.to_thread(supervisor.start_app, get_process(ROUTER, settings), settings)
    return result


def note(result: dict[str, Any]) -> str:
    return (
        f"Partners: two partners registered through the gateway (county-wide scope, personal data masked), one "
        f"with a KAFKA subscription, one with an HTTP subscription to a receiver inside the benchmark process "
        f"(uvicorn on 127.0.0.1, each request verified with `standardwebhooks`). {result['commands']} sequential "
        f"POST /v1/members (after {WARMUP} untimed), each timed from just before the POST to (a) its CloudEvent "
        "read from the partner topic by a consumer tailing it as the operator and (b) its verified arrival at the "
        "receiver. Router throughput: `partners-router` stopped, "
        f"{result['backlog']:,} BranchEstablished events appended straight into gb_membership (512 concurrent "
        "appends) and published by the relay, projector caught up, router started again; events/s = distinct "
        "CloudEvent ids / time from the first to the last read from the partner topic (faust start-up excluded; "
        "the router works in batches of up to 500, so the first read brings a whole batch). Raw: one aiokafka "
        "consumer (operator, already connected) reads the same records of gb.membership.events from their "
        "offsets, orjson-decodes each value and decodes its headers, timed from the first fetch to the last record.")

"""The fault suite (issue 15, item 7): under a load of commands from concurrent clients, each fault in turn —
SIGKILL of a service instance, a relay, the projector, a policy processor, the gateway, a Kafka broker and
PostgreSQL, and a broker frozen (SIGSTOP) for 30 s — and after each: the accepted commands lost, the effects
duplicated, what the clients saw and the time to recover; at the end the read models against a rebuild.

The system is started the way ``./gb run`` starts it (``infra.local up``: the supervisor, which restarts
whatever dies), so recovery here is the product's own, with no one acting. Run it with ``./gb faults``
(its own data folder and ports); ``--commands`` and ``--clients`` set the load (default 10,000 from 16).

How it counts, per fault:
* Each command creates a branch under a name unique to this run and carries its own Idempotency-Key. A
  client that gets no answer or a 5xx/503 does what a serious client does: it retries the same command with
  the same key (after 0.2 s, doubling to 2 s) — every failed attempt is an error the clients saw.
* **Lost**: a command answered 201 whose branch is missing from the store or from the read model once the
  system has caught up. **Duplicated**: a command whose branch is in the store or the read model more than
  once (a retry the idempotency key did not catch, or a record projected twice).
* **Recovery**: from the fault until the supervisor shows the process running again (for a freeze: until
  SIGCONT), the gateway's /readyz answers ready, and a fresh command is accepted and visible in the read model.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import against_rebuild
from bench.common import say
from bench.system import branch_body, wait_caught_up
from infra import kafka, kafka_quorum, local, supervisor
from services import system
from services.kernel import supervision
from services.kernel.settings import Settings

BRANCH_ESTABLISHED = "gb.membership.branch_established.%"
#: How long one command may go unaccepted before its client gives up on it (counted, never hidden).
GIVE_UP_AFTER = 300.0
FREEZE_SECONDS = 30.0


@dataclass(frozen=True)
class Fault:
    label: str
    target: str
    #: "kill": SIGKILL, the supervisor brings it back; "freeze": SIGSTOP for FREEZE_SECONDS, then SIGCONT.
    how: str = "kill"


FAULTS = (
    Fault("SIGKILL a service instance (membership)", "membership"),
    Fault("SIGKILL a relay (membership-relay)", "membership-relay"),
    Fault("SIGKILL the projector", "projector"),
    Fault("SIGKILL a policy processor (funds-credit)", "funds-credit"),
    Fault("SIGKILL the gateway", "gateway"),
    Fault("SIGKILL a Kafka broker", "kafka"),
    Fault("SIGKILL PostgreSQL", "postgres"),
    Fault(f"SIGSTOP a Kafka broker for {FREEZE_SECONDS:.0f} s", "kafka", "freeze"),
)


@dataclass
class Outcome:
    fault: Fault
    commands: int = 0
    accepted: dict[str, str] = field(default_factory=dict)  # branch name → id answered
    client_errors: Counter[str] = field(default_factory=Counter)
    gave_up: int = 0
    recovery_s: float | None = None
    lost: int = 0
    duplicated: int = 0

    def row(self) -> dict[str, Any]:
        return {"fault": self.fault.label, "commands": self.commands, "accepted": len(self.accepted),
                "client_errors": sum(self.client_errors.values()),
                "error_kinds": dict(self.client_errors.most_common(4)), "gave_up": self.gave_up,
                "recovery_s": self.recovery_s, "lost": self.lost, "duplicated": self.duplicated}


class Load:
    """Concurrent clients posting branch registrations, each retried with its own key until accepted."""

    def __init__(self, gateway: httpx.AsyncClient, run: str) -> None:
        self.gateway = gateway
        self.run = run

    async def command(self, outcome: Outcome, index: int) -> None:
        name = f"Fault {self.run} {outcome.fault.target} {outcome.fault.how} {index}"
        headers = {"Idempotency-Key": f"fault-{self.run}-{name}"}
        backoff, started = 0.2, time.monotonic()
        while time.monotonic() - started < GIVE_UP_AFTER:
            try:
                answer = await self.gateway.post("/v1/branches", json=branch_body(name=name), headers=headers)
            except httpx.TransportError as exc:
                outcome.client_errors[type(exc).__name__] += 1
            else:
                if answer.status_code in (200, 201):
                    outcome.accepted[name] = answer.json()["id"]
                    return
                outcome.client_errors[f"HTTP {answer.status_code}"] += 1
                if answer.status_code < 500 and answer.status_code not in (408, 409, 429):
                    raise RuntimeError(f"{name}: refused as bad input ({answer.status_code}): {answer.text[:300]}")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 2.0)
        outcome.gave_up += 1

    async def phase(self, outcome: Outcome, count: int, clients: int, inject_after: int,
                    inject: Any) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(i)
        outcome.commands = count

        async def client() -> None:
            while not queue.empty():
                await self.command(outcome, queue.get_nowait())

        async def injector() -> None:
            while len(outcome.accepted) < inject_after and not queue.empty():
                await asyncio.sleep(0.05)
            await inject()

        await asyncio.gather(injector(), *(client() for _ in range(clients)))


def _row(s: Settings, name: str) -> supervision.ProcessRow | None:
    table = supervision.read_table(s)
    return next((r for r in table.processes if r.name == name), None) if table else None


async def _ready(gateway: httpx.AsyncClient) -> bool:
    try:
        return (await gateway.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


async def _probe_visible(gateway: httpx.AsyncClient, run: str) -> bool:
    """One fresh command accepted and readable from the read model (with the position it answered)."""
    name = f"Probe {run} {uuid.uuid4().hex[:8]}"
    try:
        answer = await gateway.post("/v1/branches", json=branch_body(name=name),
                                    headers={"Idempotency-Key": f"probe-{name}"})
        if answer.status_code != 201:
            return False
        body = answer.json()
        read = await gateway.get(f"/v1/branches/{body['id']}", params={"min_position": body.get("position", 0)})
        return read.status_code == 200
    except httpx.TransportError:
        return False


def resolve(s: Settings, fault: Fault) -> str:
    """The supervisor's name for the fault's target. On a cluster "kafka" is a broker: the active controller
    for a kill, another one for a freeze (the quorum then has two of three, and loses its leader only once)."""
    if fault.target != "kafka" or s.kafka_brokers == 1:
        return fault.target
    leader = kafka_quorum.active_controller(s)
    node = leader if fault.how == "kill" else next(n for n in kafka.nodes(s) if n != leader)
    return kafka.node_name(s, node)


async def inject(s: Settings, fault: Fault, gateway: httpx.AsyncClient, run: str, outcome: Outcome) -> None:
    """Do the fault, then time the way back: process up again, /readyz ready, a fresh command visible."""
    target = await asyncio.to_thread(resolve, s, fault)
    before = _row(s, target)
    restarts = before.restarts if before else 0
    t0 = time.monotonic()
    if fault.how == "freeze":
        pid = kafka.running_pid(s, kafka.node_of(s, target))
        if pid is None:
            raise RuntimeError(f"no Kafka broker {target} to freeze")
        os.kill(pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(FREEZE_SECONDS)  # the fault's length, not a synchronisation
        finally:
            os.kill(pid, signal.SIGCONT)
    elif not await asyncio.to_thread(local.kill, target, s):
        raise RuntimeError(f"{target} was not running")
    deadline = t0 + GIVE_UP_AFTER
    while time.monotonic() < deadline:
        row = _row(s, target)
        back = fault.how == "freeze" or (row is not None and row.restarts > restarts and row.state == "running")
        if back and await _ready(gateway) and await _probe_visible(gateway, run):
            outcome.recovery_s = round(time.monotonic() - t0, 1)
            return
        await asyncio.sleep(0.2)
    say(f"  {fault.label}: not recovered within {GIVE_UP_AFTER:.0f} s")


async def count_effects(s: Settings, run: str, outcomes: list[Outcome]) -> None:
    """Lost and duplicated, per fault, from the membership store and the read model."""
    store = await asyncpg.connect(s.dsn("membership"))
    read = await asyncpg.connect(s.dsn(system.READ_MODEL_DATABASE))
    try:
        stored = Counter(r["name"] for r in await store.fetch(
            "SELECT data::jsonb ->> 'name' AS name FROM events WHERE type LIKE $1 AND data::jsonb ->> 'name' LIKE $2",
            BRANCH_ESTABLISHED, f"Fault {run} %"))
        viewed = Counter(r["name"] for r in await read.fetch(
            "SELECT name FROM branches_view WHERE name LIKE $1", f"Fault {run} %"))
    finally:
        await store.close()
        await read.close()
    for outcome in outcomes:
        names = outcome.accepted
        outcome.lost = sum(1 for n in names if stored[n] == 0 or viewed[n] == 0)
        prefix = f"Fault {run} {outcome.fault.target} {outcome.fault.how} "
        outcome.duplicated = sum(max(stored[n], viewed[n]) - 1 for n in set(stored) | set(viewed)
                                 if n.startswith(prefix) and max(stored[n], viewed[n]) > 1)


async def differs_from_rebuild(s: Settings, rounds: int = 3) -> list[str]:
    """The read-model tables that differ from a rebuild of every event on Kafka into a fresh schema, compared
    when no event came between the rebuild and the live read (bench/against_rebuild.py); each difference is
    said, with the rows only one side has."""
    stores = {name: await asyncpg.connect(s.dsn(name)) for name in system.names()}
    read = await asyncpg.connect(s.dsn(system.READ_MODEL_DATABASE))
    try:
        for _ in range(rounds):
            before = await _value(lambda: against_rebuild.stored_and_applied(stores, read), GIVE_UP_AFTER,
                                  "every stored event in the live read models")
            schema = f"faults_rebuild_{uuid.uuid4().hex[:8]}"
            done = await asyncio.to_thread(subprocess.run, [
                sys.executable, "-m", "services.gateway.projector", "--rebuild", "--schema", schema],
                env=supervisor.child_env(s), capture_output=True, text=True, timeout=1800)
            if done.returncode != 0:
                raise RuntimeError(f"the rebuild failed: {done.stderr[-2000:]}")
            try:
                live, rebuilt = await against_rebuild.tables(read, "public"), await against_rebuild.tables(read, schema)
            finally:
                await read.execute(f'DROP SCHEMA "{schema}" CASCADE')
            if await against_rebuild.stored_and_applied(stores, read) == before:
                break
            say("  an event came during the rebuild; comparing again")
        else:
            raise RuntimeError(f"events kept coming during {rounds} rebuilds")
    finally:
        for conn in (*stores.values(), read):
            await conn.close()
    differing = [t for t in live if live[t] != rebuilt.get(t)]
    for t in differing:
        say(f"  {t} differs from the rebuild: {against_rebuild.difference(live[t], rebuilt.get(t, []), show=5)}")
    return differing


async def run_suite(s: Settings, faults: tuple[Fault, ...], commands: int, clients: int) -> dict[str, Any]:
    """Start the supervised system, run each fault under its share of the load, count, compare, stop."""
    run = uuid.uuid4().hex[:6]
    await asyncio.to_thread(local.up, s)
    outcomes: list[Outcome] = []
    try:
        limits = httpx.Limits(max_connections=clients + 4)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{s.gateway_port}", timeout=30.0, limits=limits,
                                     headers={"Authorization": f"Bearer {s.admin_token}"}) as gateway:
            await _value(lambda: _ready(gateway), 180, "the system ready")
            load = Load(gateway, run)
            share = max(commands // len(faults), clients)
            for fault in faults:
                outcome = Outcome(fault)
                outcomes.append(outcome)
                t0 = time.monotonic()
                say(f"fault: {fault.label} under {share:,} commands from {clients} clients")
                await load.phase(outcome, share, clients, inject_after=share // 5,
                                 inject=lambda f=fault, o=outcome: inject(s, f, gateway, run, o))
                say(f"  accepted {len(outcome.accepted):,}/{share:,} in {time.monotonic() - t0:.0f} s, "
                    f"{sum(outcome.client_errors.values())} errors seen, recovered in {outcome.recovery_s} s")
                await _value(lambda: _ready(gateway), GIVE_UP_AFTER, "ready again before the next fault")
            await wait_caught_up(s, "the fault suite's commands")
        await count_effects(s, run, outcomes)
        differing = await differs_from_rebuild(s)
    finally:
        await asyncio.to_thread(local.down, s)
    return {"run": run, "commands": sum(o.commands for o in outcomes), "clients": clients,
            "faults": [o.row() for o in outcomes], "read_models_differing_from_rebuild": differing}


async def _value(check: Any, timeout: float, what: str) -> Any:
    """The first truthy answer of ``check``, asked every 0.2 s, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := await check()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.2)
    return value


def table(result: dict[str, Any]) -> str:
    """The suite's result as the Markdown table the issue asks for."""
    lines = ["| fault | commands (accepted) | errors clients saw | gave up | recovery | lost | duplicated |",
             "|---|---|---|---|---|---|---|"]
    for f in result["faults"]:
        kinds = ", ".join(f"{k} ×{n}" for k, n in f["error_kinds"].items())
        recovery = f"{f['recovery_s']} s" if f["recovery_s"] is not None else "not recovered"
        lines.append(f"| {f['fault']} | {f['commands']:,} ({f['accepted']:,}) | {f['client_errors']}"
                     f"{f' ({kinds})' if kinds else ''} | {f['gave_up']} | {recovery} | {f['lost']} | "
                     f"{f['duplicated']} |")
    differing = result["read_models_differing_from_rebuild"]
    lines.append("")
    lines.append("Read models against a rebuild from Kafka: " + (
        "equal, every table" if not differing else f"DIFFERENT: {', '.join(differing)}"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    from datetime import UTC, datetime

    from bench.common import RESULTS_DIR
    from infra import secrets
    from services.kernel.settings import load_settings

    p = argparse.ArgumentParser(prog="./gb faults", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--commands", type=int, default=10_000, help="commands across all faults (default 10000)")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    p.add_argument("--only", default="", help="comma-separated targets to fault (default: every fault)")
    p.add_argument("--results", default=str(RESULTS_DIR / "faults.md"), help="where the table goes")
    args = p.parse_args(argv)
    only = {t for t in args.only.split(",") if t}
    faults = tuple(f for f in FAULTS if not only or f.target in only)
    s = secrets.local_settings(load_settings())
    started = datetime.now(UTC)
    result = asyncio.run(run_suite(s, faults, args.commands, args.clients))
    text = table(result)
    cluster = " --cluster" if s.kafka_brokers > 1 else ""
    command = f"./gb faults{cluster}" + (f" --commands {args.commands}" if args.commands != 10_000 else "") + (
        f" --clients {args.clients}" if args.clients != 16 else "") + (f" --only {args.only}" if only else "")
    head = (f"# Fault suite\n\nMeasured {started:%Y-%m-%d %H:%M} UTC on this machine ({os.cpu_count()} cores) at "
            f"commit {_commit()}, {_shape(s)}, with `{command}`.\n\n")
    Path(args.results).write_text(head + text + "\n")
    (Path(args.results).with_suffix(".json")).write_text(json.dumps(result, indent=2) + "\n")
    print(text)
    bad = any(f["lost"] or f["duplicated"] or f["recovery_s"] is None for f in result["faults"])
    return 1 if bad or result["read_models_differing_from_rebuild"] else 0


def _shape(s: Settings) -> str:
    if s.kafka_brokers == 1 and s.instances == 1:
        return "the default setup (one broker, one instance of each process)"
    return (f"{s.kafka_brokers} Kafka brokers (replication {s.kafka_replication_factor}, min.insync.replicas "
            f"{s.kafka_min_insync_replicas}) and {s.instances} instances of each service, relay, projector and policy")


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())

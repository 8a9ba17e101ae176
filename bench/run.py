"""Golden Bridge benchmark: one run against the PostgreSQL and Kafka of the GB_* environment.

  1. kernel EventStore appends/s, 1 and 16 concurrent writers (scratch database gb_bench_kernel)
  2. on the same server, same run: raw asyncpg autocommit INSERTs (the ceiling) and the
     `eventsourcing` library (scratch database gb_bench_es); ratios ours/raw and ours/eventsourcing
  3. the whole system: commands/s through the gateway, command-to-read-model latency
  4. rebuild of the read models from Kafka offset 0 (after topping the topic up to ~100,000 events)

Results: bench/results/latest.md (table) and one JSON line appended to bench/results/results.jsonl.
Run with ``./gb bench [options]`` (which starts and stops PostgreSQL and Kafka); see bench/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
# `python bench/run.py` puts bench/ first on sys.path; the project root is what we import from.
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "bench":
    sys.path[0] = str(_ROOT)
elif str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import shlex  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

from bench import (  # noqa: E402
    appends,
    as_of,
    audit,
    bare,
    dues,
    growth,
    partners,
    personal_data,
    policy,
    profile,
    rebuild_baselines,
    report,
    system,
)
from bench.common import RESULTS_DIR, drop_database, recreate_database, say  # noqa: E402
from bench.machine import describe  # noqa: E402
from services.kernel.settings import Settings, load_settings, redact  # noqa: E402

PARTS = ("kernel", "asyncpg", "eventsourcing", "commands", "bare", "profile", "latency", "policy", "rebuild", "dues",
         "personal_data", "partners", "audit", "asof", "growth")
KERNEL_DB, ES_DB = "gb_bench_kernel", "gb_bench_es"
#: The parts that need the app processes running.
SYSTEM_PARTS = {"commands", "bare", "profile", "latency", "policy", "rebuild", "partners", "audit", "asof", "growth"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="./gb bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=15.0, help="duration of each timed append run (default 15)")
    p.add_argument("--writers", type=int, nargs="+", default=[1, 16], help="concurrent writers (default 1 16)")
    p.add_argument("--command-seconds", type=float, default=None,
                   help="duration of the commands/s run through the gateway (default: --seconds)")
    p.add_argument("--warmup-seconds", type=float, default=45.0,
                   help="the same load before each commands/s window, ours and the bare alike, reported apart "
                        "(default 45): on a cold system the first minute is largely the JVM compiling Kafka")
    p.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients for commands/s (default 16)")
    p.add_argument("--latency-commands", type=int, default=300,
                   help="sequential commands per latency measurement (default 300)")
    p.add_argument("--rebuild-events", type=int, default=100_000,
                   help="top the event topic up to at least this many events before the rebuild (default 100000)")
    p.add_argument("--system-running", action="store_true",
                   help="the app processes are already running: do not start or stop them")
    p.add_argument("--dues-accounts", type=int, default=100_000, help="dues accounts for the monthly run")
    p.add_argument("--partner-commands", type=int, default=200,
                   help="sequential commands timed to the partner topic and the webhook (default 200)")
    p.add_argument("--partner-backlog", type=int, default=5_000,
                   help="events routed from a backlog for the router's throughput (default 5000)")
    p.add_argument("--growth-max", type=int, default=1_000_000, choices=growth.POINTS,
                   help="growth part: the largest point, in events (default 1000000; 100000 for a quick run)")
    p.add_argument("--profile-format", choices=("flamegraph", "raw"), default="flamegraph",
                   help="profile part: SVG flame graphs (default) or collapsed stacks as text")
    p.add_argument("--only", default=",".join(PARTS),
                   help=f"comma-separated parts to run (default all: {','.join(PARTS)})")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where latest.md and results.jsonl go")
    args = p.parse_args(argv)
    args.only = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(args.only) - set(PARTS)
    if unknown:
        p.error(f"unknown parts {sorted(unknown)}; choose from {','.join(PARTS)}")
    args.command_seconds = args.command_seconds or args.seconds
    return args


async def appends_phase(settings: Settings, args: argparse.Namespace, results: dict[str, Any],
                        notes: list[str], errors: list[str]) -> None:
    parts = set(args.only)
    out: dict[str, dict[str, Any]] = {"kernel": {}, "asyncpg": {}, "eventsourcing": {}}
    results["appends"] = out
    es_missing = appends.eventsourcing_available() if "eventsourcing" in parts else None
    if es_missing:
        out["eventsourcing"]["skipped"] = es_missing
        errors.append(f"eventsourcing baseline skipped: {es_missing}")
    run_es = "eventsourcing" in parts and not es_missing
    if parts & {"kernel", "asyncpg"}:
        await recreate_database(settings.admin_dsn, KERNEL_DB)
    if run_es:
        await recreate_database(settings.admin_dsn, ES_DB)
    kernel_dsn = settings.dsn(KERNEL_DB.removeprefix("gb_"))
    try:
        async with appends.KernelBench(kernel_dsn) as kernel:
            # Same writer count side by side, so slow drift of a shared machine hits all three alike.
            for w in args.writers:
                if "asyncpg" in parts:
                    out["asyncpg"][str(w)] = await appends.raw_asyncpg(kernel_dsn, w, args.seconds)
                if "kernel" in parts:
                    out["kernel"][str(w)] = await kernel.run(w, args.seconds)
                    if "asyncpg" in parts and w > 1:
                        batch = max(1, round(out["kernel"][str(w)]["events_per_transaction"]))
                        out.setdefault("asyncpg_batched", {})[str(w)] = await appends.raw_asyncpg_batched(
                            kernel_dsn, batch, args.seconds)
                        if batch != w:  # the store split what the writers handed in: the stricter ceiling too
                            out.setdefault("asyncpg_batched_handed_in", {})[str(w)] = (
                                await appends.raw_asyncpg_batched(kernel_dsn, w, args.seconds))
                if run_es:
                    out["eventsourcing"][str(w)] = await asyncio.to_thread(
                        appends.eventsourcing_create, settings.admin_dsn, ES_DB, w, args.seconds)
    finally:
        for name in (KERNEL_DB, ES_DB):
            await drop_database(settings.admin_dsn, name)
    notes.append(
        f"Appends: {args.seconds:g} s per figure; each starts on an empty table after a CHECKPOINT. Ours and "
        "raw asyncpg run as asyncio tasks in this one Python process; `eventsourcing` as threads of one "
        "process sharing one Application (POSTGRES_POOL_SIZE = threads), as es_bench.py does. Ours appends "
        "through `EventStore.append` with a fresh stream per event (no load, no idempotency key); its "
        "single writer task groups concurrent appends into transactions, up to two at once on two connections "
        "(what is queued is shared between the free ones; events per transaction in the notes column). Raw "
        "asyncpg is asyncpg_bench.py --mode single (one autocommit INSERT per "
        "event, 100 streams per connection). Raw asyncpg batched (for more than one writer, right after ours): one "
        "connection writing transactions of as many rows as ours carried per transaction, one multi-row INSERT "
        "(unnest) each, back to back — the store's writer without the store; when ours carried fewer than the "
        "writers handed in together, again with all of theirs in one transaction. The reference measured "
        "`eventsourcing` with 1 and 8 threads, "
        "not 16.")


async def system_phase(settings: Settings, args: argparse.Namespace, results: dict[str, Any],
                       notes: list[str], errors: list[str]) -> None:
    parts = set(args.only)
    await system.wait_caught_up(settings, "before the system measurements")
    if "commands" in parts:
        try:
            results["commands"] = await system.commands_per_second(settings, args.clients, args.command_seconds,
                                                                   args.warmup_seconds)
            results["commands"]["catch_up_after"] = await system.wait_caught_up(settings, "after commands/s")
        except Exception as exc:
            errors.append(f"commands/s failed: {exc!r}")
            traceback.print_exc()
    if "bare" in parts:
        try:
            results["bare"] = await bare.bare_commands(settings, args.clients, args.command_seconds,
                                                       args.warmup_seconds)
        except Exception as exc:
            errors.append(f"bare baseline failed: {exc!r}")
            traceback.print_exc()
    if "profile" in parts:
        try:
            results["profile"] = await profile.flame_graphs(settings, args.clients, args.command_seconds,
                                                            args.results_dir, args.profile_format)
            notes.append(profile.note(results["profile"]))
        except Exception as exc:
            errors.append(f"profile failed: {exc!r}")
            traceback.print_exc()
    if "latency" in parts:
        for mode in ("min_position", "polling"):
            try:
                results[f"latency_{mode}"] = await system.visibility_latency(settings, args.latency_commands, mode)
            except Exception as exc:
                errors.append(f"latency ({mode}) failed: {exc!r}")
                traceback.print_exc()
    if "policy" in parts:
        try:
            results["policy"] = await policy.credit_latency(settings, args.latency_commands)
        except Exception as exc:
            errors.append(f"policy latency failed: {exc!r}")
            traceback.print_exc()
    if "rebuild" in parts:
        try:
            before = await system.topic_events(settings)
            need = args.rebuild_events - before
            if need > 0:
                # Round up a little: the relay may publish a few duplicates, never fewer.
                load = await system.load_membership_events(settings, need)
                load.update(await system.wait_caught_up(settings, "relay and projector after loading"))
                results["load"] = load
                notes.append(
                    f"Before the rebuild, the topic held {before:,} events; {need:,} BranchEstablished events "
                    "(home_org_id `township-bench`) were appended straight into gb_membership with the kernel "
                    "EventStore (512 concurrent appends, group commit) and published by the running relay; "
                    "the live projector applied them too. They stay in this data directory.")
            else:
                results["load"] = {"events": 0}
                notes.append(f"The topic already held {before:,} events (≥ {args.rebuild_events:,}); nothing loaded.")
            results["rebuild"] = await system.rebuild(settings)
            results["rebuild_ceilings"] = await rebuild_baselines.measure(settings)
            notes.append(
                "Rebuild: `python -m services.gateway.projector --rebuild --schema bench_rebuild` as a subprocess; "
                "the wall time includes Python start-up and dropping/creating the schema; the rebuild stops at the "
                "end offsets it read when it started. Events applied = rows of bench_rebuild.applied_events "
                "(the schema is dropped afterwards). The live projector and the other services keep running, "
                "idle.")
        except Exception as exc:
            errors.append(f"rebuild failed: {exc!r}")
            traceback.print_exc()
    # Parts measured by a module of their own, each with the note that explains its figures.
    measured: tuple[tuple[str, Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], str]], ...] = (
        ("partners", lambda: partners.measure(settings, args.partner_commands, args.partner_backlog), partners.note),
        ("asof", lambda: as_of.measure(settings), as_of.note),
        ("audit", lambda: audit.measure(settings, args.clients, args.command_seconds), audit.note),
        ("growth", lambda: growth.measure(settings, args.growth_max, args.results_dir), growth.note),
    )
    for part, measure, note in measured:
        if part not in parts:
            continue
        try:
            results[part] = await measure()
            notes.append(note(results[part]))
        except Exception as exc:
            errors.append(f"{part} failed: {exc!r}")
            traceback.print_exc()

def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings = load_settings()
    passed = sys.argv[1:] if argv is None else argv
    record: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["./gb", "bench", *passed]),
        "invoked_as": shlex.join([sys.executable, *sys.argv]),
        "config": {"seconds": args.seconds, "writers": args.writers, "command_seconds": args.command_seconds,
                   "warmup_seconds": args.warmup_seconds,
                   "clients": args.clients, "latency_commands": args.latency_commands,
                   "rebuild_events": args.rebuild_events, "system_running": args.system_running,
                   "dues_accounts": args.dues_accounts, "growth_max": args.growth_max,
                   "partner_commands": args.partner_commands, "partner_backlog": args.partner_backlog,
                   "only": args.only},
        "partial": set(args.only) != set(PARTS),
        "reference": report.REFERENCE,
    }
    t_start = time.monotonic()
    say(f"PostgreSQL {redact(settings.admin_dsn)}, Kafka {settings.bootstrap_servers}, data {settings.data_dir}")
    machine = asyncio.run(describe(settings.admin_dsn))
    machine["kafka"] = (f"external at {settings.kafka_bootstrap}" if settings.kafka_bootstrap
                        else f"{machine['kafka']} (single node, KRaft, infra/kafka.py)")
    say(f"machine: {machine['nproc']} CPUs, {machine['cpu']}, {machine['memory']}, PostgreSQL {machine['postgresql']}")
    results: dict[str, Any] = {}
    notes: list[str] = [f"Client, services, PostgreSQL and Kafka all share this machine's {machine['nproc']} CPUs."]
    errors: list[str] = []
    parts = set(args.only)
    try:
        if "personal_data" in parts:
            results["personal_data"] = personal_data.measure()
            notes.append("Personal data: one registration's CPU work in process, in clear and sealed (data key made "
                         "and wrapped, ID number and contact sealed, keyed hash), median of 5 rounds "
                         "(bench/personal_data.py); the two extra short statements per registration are in commands/s.")
        if parts & {"kernel", "asyncpg", "eventsourcing"}:
            try:
                asyncio.run(appends_phase(settings, args, results, notes, errors))
            except Exception as exc:
                errors.append(f"append benchmarks failed: {exc!r}")
                traceback.print_exc()
        if "dues" in parts:
            try:
                asyncio.run(dues.dues_phase(settings, args.dues_accounts, results, notes, say))
            except Exception as exc:
                errors.append(f"dues benchmark failed: {exc!r}")
                traceback.print_exc()
        if parts & SYSTEM_PARTS:
            started: list[str] = []
            try:
                if not args.system_running:
                    started = system.start_system(settings)
                asyncio.run(system_phase(settings, args, results, notes, errors))
            except Exception as exc:
                errors.append(f"system benchmarks failed: {exc!r}")
                traceback.print_exc()
            finally:
                system.stop_system(settings, started)
            notes.append(
                "System: every process of infra/processes.py (six services and their relays, the funds-credit "
                "policy, the partner router and webhook deliverer, the projector, the gateway) runs separately "
                f"({'already running' if args.system_running else 'started by the benchmark with infra.supervisor'}). "
                f"Commands/s: {args.clients} concurrent httpx clients POST /v1/branches back to back for "
                f"{args.command_seconds:g} s, each with a fresh Idempotency-Key; only 201s count. Before the "
                f"window, {args.warmup_seconds:g} s of the same load (the warm-up row; the bare stack gets the same) "
                "and 2 s more: from a cold start Kafka's CPU per command falls about threefold over the first minute "
                "as the JVM compiles it, which is no cost of a command on a running system. Latency: sequential "
                "commands on an otherwise idle system, from sending the POST until the "
                "branch is readable through the gateway — once with min_position (the gateway waits), once by "
                "polling GET /v1/branches/{id} about every millisecond.")
    finally:
        record["machine"] = machine
        record["total_seconds"] = round(time.monotonic() - t_start, 1)
        record["results"] = results
        record["ratios"] = report.ratios(results)
        record["errors"] = errors
        record["notes"] = notes + [f"ERROR: {e}" for e in errors]
        latest = report.write(record, args.results_dir)
        print(latest.read_text())
        say(f"results: {latest} and {args.results_dir / 'results.jsonl'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

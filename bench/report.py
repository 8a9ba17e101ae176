"""Results as a Markdown table (bench/results/latest.md) and one JSON line (bench/results/results.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Reference figures from /work/shared/bench/README.md (medians of 3, taken 2026-11-24).
REFERENCE: dict[str, Any] = {
    "source": "/work/shared/bench/README.md",
    "taken": "2026-11-24",
    "machine": "2 vCPU (Intel Xeon), 24 GiB, PostgreSQL 15.18 with Debian's stock config, synchronous_commit on, "
               "Python 3.11.7, asyncpg 0.32.0, eventsourcing 9.5.6 + psycopg-binary 3.3.9",
    "pgbench_insert_tps": {"1": 5842, "8": 19226, "32": 27257},
    "asyncpg_autocommit_insert": {"1": 3480, "16": 14338},
    "asyncpg_tx_per_event": {"1": 2173, "16": 9290},
    "asyncpg_executemany_100_per_tx": {"1": 64015, "16": 116902},
    "eventsourcing_create": {"1": 993, "8": 1162, "procs4": 1810},
    "eventsourcing_create_db_functions": {"1": 1701, "procs4": 2895},
    "eventsourcing_replay_raw": 310028,
    "eventsourcing_replay_domain_objects": 168700,
}

TARGETS = {"kernel_appends_16": 10_000, "rebuild_events_per_s": 100_000}


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _cycle(run: dict[str, Any]) -> str:
    """Where one transaction's time went in an appends run, and the WAL each event cost (older results: nothing)."""
    parts = []
    if run.get("ms_every_transaction") is not None:
        parts.append(f"a transaction every {run['ms_every_transaction']:.2f} ms, each"
                     f" {run['ms_writing_per_transaction']:.2f} ms in PostgreSQL (statement, commit, round trip),"
                     f" up to {run['most_in_flight']} at once; {run['ms_between_transactions']:.2f} ms a transaction"
                     " with none in PostgreSQL")
    elif run.get("ms_writing_per_transaction") is not None:
        parts.append(f"a transaction every {run['ms_writing_per_transaction'] + run['ms_between_transactions']:.2f} ms:"
                     f" {run['ms_writing_per_transaction']:.2f} ms in PostgreSQL (statement, commit, round trip),"
                     f" {run['ms_between_transactions']:.2f} ms in this process between two")
    elif run.get("ms_per_transaction") is not None:
        parts.append(f"a transaction every {run['ms_per_transaction']:.2f} ms")
    if run.get("wal_bytes_per_event") is not None:
        parts.append(f"{run['wal_bytes_per_event']:,} bytes of WAL per event")
    return "; " + "; ".join(parts) if parts else ""


def _cpu(part: dict[str, Any], names: dict[str, str]) -> str:
    """The CPU seconds a part's processes spent (bench/cpu.py), its own process named as ``names`` says; nothing
    for results written before they were measured."""
    spent = part.get("cpu_seconds")
    if not spent:
        return ""
    return "; CPU " + ", ".join(f"{names.get(name, name)} {seconds:.1f} s" for name, seconds in list(spent.items())[:4])


def ratios(results: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    appends = results.get("appends", {})
    kernel = appends.get("kernel", {})
    raw = appends.get("asyncpg", {})
    es = appends.get("eventsourcing", {})
    out: dict[str, dict[str, float | None]] = {"kernel_vs_asyncpg_raw": {}, "kernel_vs_eventsourcing": {},
                                               "asyncpg_raw_vs_reference": {}, "kernel_vs_asyncpg_batched": {}}
    for w, b in appends.get("asyncpg_batched", {}).items():
        out["kernel_vs_asyncpg_batched"][w] = _ratio(kernel.get(w, {}).get("events_per_s"), b.get("events_per_s"))
    for w in kernel.keys() | raw.keys() | (es.keys() - {"skipped"}):
        ours = kernel.get(w, {}).get("events_per_s")
        out["kernel_vs_asyncpg_raw"][w] = _ratio(ours, raw.get(w, {}).get("events_per_s"))
        out["kernel_vs_eventsourcing"][w] = _ratio(ours, es.get(w, {}).get("events_per_s"))
        out["asyncpg_raw_vs_reference"][w] = _ratio(raw.get(w, {}).get("events_per_s"),
                                                    REFERENCE["asyncpg_autocommit_insert"].get(w))
    commands, bare = results.get("commands"), results.get("bare")
    if commands and bare:
        out["commands_vs_bare"] = {
            "throughput": _ratio(commands["commands_per_s"], bare["commands_per_s"]),
            "p99": _ratio(commands["post_latency"].get("p99_ms"), bare["post_latency"].get("p99_ms"))}
    return out


def _lat(summary: dict[str, Any] | None) -> str:
    if not summary or not summary.get("n"):
        return "—"
    return f"{_n(summary['p50_ms'], 1)} / {_n(summary['p99_ms'], 1)} / {_n(summary['max_ms'], 1)}"


def markdown(record: dict[str, Any]) -> str:
    r = record["results"]
    m = record["machine"]
    rat = record["ratios"]
    appends = r.get("appends", {})
    kernel, raw, es = appends.get("kernel", {}), appends.get("asyncpg", {}), appends.get("eventsourcing", {})
    ref = REFERENCE
    rows: list[tuple[str, str, str, str, str]] = []

    def rate(d: dict[str, Any], key: str) -> str:
        return _n(d.get(key, {}).get("events_per_s"))

    for w in record["config"]["writers"]:
        w = str(w)
        k = kernel.get(w, {})
        note = f"{_n(k.get('events_per_transaction'), 1)} events per transaction{_cycle(k)}" if k else ""
        target = f"target ≥ {_n(TARGETS['kernel_appends_16'])}; " if w == "16" else ""
        rows.append((f"1. Kernel `EventStore.append`, {w} writer(s), new stream + 1 event each", rate(kernel, w),
                     "events/s", "—", f"{target}{note}"))
    for w in record["config"]["writers"]:
        w = str(w)
        rows.append((f"2. asyncpg, one autocommit INSERT per event, {w} connection(s) — the ceiling",
                     rate(raw, w), "events/s", _n(ref["asyncpg_autocommit_insert"].get(w)),
                     f"this run / reference = {_x(rat['asyncpg_raw_vs_reference'].get(w))}"))
    for w in record["config"]["writers"]:
        w = str(w)
        ref_es = ref["eventsourcing_create"].get(w)
        ref_text = _n(ref_es) if ref_es else f"{_n(ref['eventsourcing_create']['8'])} (8 threads)"
        value = f"skipped: {es['skipped']}" if "skipped" in es else rate(es, w)
        rows.append((f"2. `eventsourcing` 9.5.6, create aggregate (1 event), {w} thread(s)", value, "events/s",
                     ref_text, ""))
    for w in record["config"]["writers"]:
        w = str(w)
        goal = " (goal ≥ 1.5×)" if w == "16" else ""
        rows.append((f"2. Ratio ours / asyncpg raw, {w} writer(s)", _x(rat["kernel_vs_asyncpg_raw"].get(w)), "",
                     "", f"ours / one autocommit INSERT per event{goal}"))
        batched = appends.get("asyncpg_batched", {}).get(w)
        if batched:
            rows.append((f"2. asyncpg batched, {batched['batch']} rows a transaction, one connection — the ceiling "
                         f"for {w} writers", rate(appends["asyncpg_batched"], w), "events/s", "—",
                         f"ours / batched = {_x(rat.get('kernel_vs_asyncpg_batched', {}).get(w))} (goal ≥ 0.3×)"
                         f"{_cycle(batched)}"))
        whole = appends.get("asyncpg_batched_handed_in", {}).get(w)
        if whole:
            ours = appends.get("kernel", {}).get(w, {}).get("events_per_s")
            rows.append((f"2. asyncpg batched, {whole['batch']} rows a transaction (the {w} writers' appends in one, "
                         "as they were handed in), one connection", rate(appends["asyncpg_batched_handed_in"], w),
                         "events/s", "—", f"ours / this = {_x(_ratio(ours, whole.get('events_per_s')))}; the store "
                         f"writes them as two batches at once{_cycle(whole)}"))
        rows.append((f"2. Ratio ours / `eventsourcing`, {w} writer(s)", _x(rat["kernel_vs_eventsourcing"].get(w)),
                     "", "", ""))
    c = r.get("commands")
    if c:
        rows.append((f"3. Commands through the gateway, POST /v1/branches, {c['clients']} clients",
                     _n(c["commands_per_s"]), "commands/s", "—",
                     f"statuses {c['statuses']}; projector lag at the end {c['projector_lag_at_end']} events, "
                     f"caught up {_n(c.get('catch_up_after', {}).get('caught_up_s'), 1)} s later"))
        rows.append(("3. POST latency under that load, p50 / p99 / max", _lat(c["post_latency"]), "ms", "—", ""))
    bare = r.get("bare")
    if bare:
        rows.append((f"3. Bare FastAPI/uvicorn + one asyncpg INSERT per request, same load, {bare['clients']} clients "
                     "— the ceiling", _n(bare["commands_per_s"]), "requests/s", "—", f"statuses {bare['statuses']}"))
        rows.append(("3. Bare POST latency under that load, p50 / p99 / max", _lat(bare["post_latency"]), "ms", "—",
                     ""))
    for key, label in (("commands", "a command"), ("bare", "a bare request")):
        spent = (r.get(key) or {}).get("cpu")
        if spent:
            # Largest first (results.jsonl keeps its keys sorted by name).
            parts = ", ".join(f"{name} {ms:g}" for name, ms in
                              sorted(spent["ms_per_unit"].items(), key=lambda kv: -kv[1]))
            rows.append((f"3. CPU per {label}, every process (bench/cpu.py)", _n(spent["total_ms_per_unit"], 2),
                         "ms", "—", parts))
    for key, label in (("commands", "commands"), ("bare", "bare requests")):
        warm_up = (r.get(key) or {}).get("warm_up")
        if warm_up:
            spent = warm_up.get("cpu") or {}
            kafka = spent.get("ms_per_unit", {}).get("kafka")
            rows.append((f"3. The warm-up before the window ({label}, same load, from a cold start)",
                         _n(warm_up["commands_per_s"]), "per s", "—",
                         f"{_n(warm_up['seconds'], 0)} s; CPU per one {_n(spent.get('total_ms_per_unit'), 2)} ms"
                         + (f", Kafka's {kafka:g}" if kafka is not None else "")))
    mem = (r.get("commands") or {}).get("memory")
    if mem and mem.get("under_load"):
        top = ", ".join(f"{name} {mib:g}" for name, mib in
                        sorted(mem["under_load"]["mib"].items(), key=lambda kv: -kv[1])[:6])
        both = f"{_n(mem['idle']['total_mib'])} / {_n(mem['under_load']['total_mib'])}"
        rows.append(("3. Whole-system memory (PSS), idle / under the commands load", both, "MiB", "—",
                     f"largest under load: {top}"))
    cmd = rat.get("commands_vs_bare", {})
    if cmd.get("throughput") is not None:
        rows.append(("3. Ratio commands / bare (goal ≥ 0.5×); POST p99 ours / bare (goal ≤ 4×)",
                     f"{_x(cmd['throughput'])}; {_x(cmd.get('p99'))}", "", "", ""))
    for key, label in (("latency_min_position", "GET …?min_position= answers 200"),
                       ("latency_polling", "GET without min_position stops answering 404")):
        v = r.get(key)
        if v:
            extra = f"; {v['gets_per_command']} GETs per command" if "gets_per_command" in v else ""
            rows.append((f"3. Command → read model, POST until {label}, {v['visible'].get('n', 0)} sequential "
                         "commands, p50 / p99 / max", _lat(v["visible"]), "ms", "—",
                         f"POST alone p50 {_n(v['post'].get('p50_ms'), 1)} ms; failures {v['failures'] or 'none'}"
                         f"{extra}"))
    pol = r.get("policy")
    if pol:
        rows.append((f"3. Funds on a cadre's lead → contribution on the secondment (two services, the funds-credit "
                     f"policy, two relays, the projector), {pol['visible'].get('n', 0)} sequential instalments, "
                     "p50 / p99 / max", _lat(pol["visible"]), "ms", "—", f"failures {pol['failures'] or 'none'}"))
    pd = r.get("personal_data")
    if pd:
        rows.append(("3. Sealing personal data, one registration in process: in clear / sealed",
                     f"{_n(pd['in_clear_us'], 1)} / {_n(pd['sealed_us'], 1)}", "µs", "—",
                     f"{_n(pd['added_us'], 1)} µs added per command (×{pd['ratio']})"))
    rb = r.get("rebuild")
    if rb:
        rows.append(("4. Rebuild (`projector --rebuild`), events applied / wall time", _n(rb["events_per_s"]),
                     "events/s", f"{_n(ref['eventsourcing_replay_domain_objects'])} (`eventsourcing` read-back "
                     "as domain objects, no writes)", f"target ≥ {_n(TARGETS['rebuild_events_per_s'])}"))
        rows.append(("4. Rebuild, between the projector's own start and done log lines",
                     _n(rb.get("events_per_s_projecting")), "events/s", "—",
                     f"{_n(rb.get('projecting_seconds'), 1)} s of {_n(rb['wall_seconds'], 1)} s wall"
                     f"{_cpu(rb, {'subprocesses': 'the rebuild'})}"))
        rows.append(("4. Events applied by the rebuild / events on the topic",
                     f"{_n(rb['events_applied'])} / {_n(rb['events_in_topic'])}", "events", "—", ""))
    ceil = r.get("rebuild_ceilings")
    if rb and ceil:
        raw, copy = ceil["raw_consume"], ceil["copy"]
        rows.append(("4. Rebuild ceiling: raw aiokafka consume + decode of every event topic", _n(raw["events_per_s"]),
                     "events/s", "—", f"{_n(raw['events'])} events; rebuild / raw = "
                     f"{_x(_ratio(rb['events_per_s'], raw['events_per_s']))} (goal ≥ 0.5×)"
                     f"{_cpu(raw, {'client': 'the consumer'})}"))
        rows.append(("4. Rebuild ceiling: COPY of one row per event into a fresh table", _n(copy["rows_per_s"]),
                     "rows/s", "—", f"rebuild / COPY = {_x(_ratio(rb['events_per_s'], copy['rows_per_s']))} "
                     f"(goal ≥ 0.3×){_cpu(copy, {})}"))
    load = r.get("load")
    if load and load.get("events"):
        rows.append(("4. Extra events loaded for the rebuild (kernel store → relay → Kafka)", _n(load["events"]),
                     "events", "—", f"appended at {_n(load['events_per_s'])} events/s; relay had them all on "
                     f"Kafka {_n(load['relay_done_s'], 1)} s later, live projector {_n(load['caught_up_s'], 1)} s later"
                     ))

    dues = r.get("dues")
    if dues:
        rows.append((f"5. Monthly dues assessment run, {dues['accounts']:,} accounts", _n(dues["events_per_s"]),
                     "events/s", "—", f"wall {_n(dues['seconds'], 1)} s; {dues['assessed']:,} assessed, "
                     f"{dues['skipped']:,} skipped{_cpu(dues, {'client': 'the run'})}"))
        rerun = dues.get("rerun")
        if rerun:
            rows.append(("5. The same month run again (nothing may be appended twice)", _n(rerun["assessed"]),
                         "assessed", "—", f"{rerun['skipped']:,} skipped in {_n(rerun['seconds'], 1)} s"))
        ceiling = dues.get("batched_append")
        if ceiling:
            rows.append(("5. Ceiling: the same events appended by plain asyncpg, batched", _n(ceiling["events_per_s"]),
                         "events/s", "—", f"{ceiling['batch']} rows a transaction, {ceiling['connections']} "
                         f"connections; dues run / ceiling = {_x(dues.get('vs_batched_append'))} (goal ≥ 0.5×)"
                         f"{_cpu(ceiling, {'client': 'the appenders'})}"))

    rows += _growth_rows(r.get("growth"))

    pa = r.get("partners")
    if pa and pa.get("latency"):
        lat = pa["latency"]
        failures = f"failures {lat['failures'] or 'none'}"
        rows.append((f"6. Command → partner topic: POST /v1/members until its CloudEvent is read from "
                     f"gb.partner.<id>.events, {lat['to_partner_topic'].get('n', 0)} sequential commands, "
                     "p50 / p99 / max", _lat(lat["to_partner_topic"]), "ms", "—",
                     f"POST alone p50 {_n(lat['post'].get('p50_ms'), 1)} ms; {failures}; the router reads the "
                     "directory after a quiet moment of the partners store (docs/partners.md), no fixed wait"))
        hooks = pa.get("webhook_requests", {})
        rows.append((f"6. Command → webhook: the same commands until the signed POST arrives (verified) at a "
                     f"receiver, {lat['to_webhook'].get('n', 0)} commands, p50 / p99 / max", _lat(lat["to_webhook"]),
                     "ms", "—", f"{hooks.get('received', 0)} requests, {hooks.get('refused_unverified', 0)} "
                     "refused as unverified"))
    rt, raw = (pa or {}).get("router"), (pa or {}).get("raw")
    if rt:
        rows.append((f"6. Router (faust) throughput, backlog of {_n(rt['events'])} events → partner topic, first to "
                     "last record", _n(rt["events_per_s"]), "events/s", "—",
                     f"{_n(rt['first_to_last_s'], 2)} s; first record {_n(rt['start_to_first_s'], 1)} s after "
                     f"starting the router ({_n(rt['events_per_s_with_startup'])} events/s with start-up); without "
                     f"the first read ({_n(rt['first_read'])} events) {_n(rt['events_per_s_after_first_read'])} "
                     f"events/s; {_n(rt['duplicates'])} duplicates"))
    if raw:
        rows.append((f"6. Raw aiokafka consume + orjson decode of the same {_n(raw['events'])} records of "
                     "gb.membership.events", _n(raw["events_per_s"]), "events/s", "—",
                     f"{_n(raw['seconds'], 2)} s, {raw['partitions']} partitions"))
    if rt and raw:
        rows.append(("6. Ratio router / raw consume", _x(pa.get("router_vs_raw")), "", "", ""))

    out = [
        "# Golden Bridge benchmark — latest run",
        "",
        f"Date: {record['date']}  ",
        f"Rerun: `{record['command']}` (took {_n(record.get('total_seconds'))} s)  ",
        f"Git: {m['git'].get('commit')}{' (with uncommitted changes)' if m['git'].get('uncommitted_changes') else ''}"
        f"{'  ' if record['partial'] else ''}",
    ]
    if record["partial"]:
        out.append(f"**Partial run** (`--only {','.join(record['config']['only'])}`).")
    out += [
        "",
        "| What | This run | Unit | Reference (2026-11-24) | Ratio / target / notes |",
        "|---|---:|---|---:|---|",
        *(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows),
        "",
        "Machine",
        "",
        f"- {m['nproc']} CPUs ({m['cpu']}), {m['memory']} memory, {m['kernel']}",
        f"- PostgreSQL {m['postgresql']}; " + ", ".join(f"{k}={v}" for k, v in m["postgresql_settings"].items()),
        f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        f"- Kafka {m['kafka']}",
        f"- Reference machine: {ref['machine']} (from {ref['source']})",
        "",
        "Notes",
        "",
        *(f"- {note}" for note in record["notes"]),
        "",
    ]
    return "\n".join(out)


def _growth_rows(g: dict[str, Any] | None) -> list[tuple[str, str, str, str, str]]:
    """Issue 14 item 5: the rebuild and the 5 % report at each size, and the list queries at 1 M members."""
    if not g:
        return []
    rows = []
    for c in g["rebuild"]["curve"]:
        rows.append((f"7. Growth: rebuild, first {c['events']:,} events applied (topic of "
                     f"{g['rebuild']['total']['events_applied']:,})", _n(c["seconds"], 1), "s", "—",
                     f"{_n(c['events_per_s'])} events/s; events appended via the store and published by the relay"))
    for c in g["report"]["curve"]:
        rows.append((f"7. Growth: 5 % report at {c['events']:,} events ({c['secondments']:,} secondments), "
                     "county-wide / one township, p50", f"{_n(c['county']['p50_ms'], 1)} / "
                     f"{_n(c['township']['p50_ms'], 1)}", "ms", "—", "read-model rows COPYed"))
    q = g["queries"]
    for name, after in q["after"].items():
        before = q["before"][name]
        rows.append((f"7. Growth: {name} at {q['members']:,} members, p50 / p99", f"{_n(after['p50_ms'], 2)} / "
                     f"{_n(after['p99_ms'], 2)}", "ms", "—",
                     f"before (the DDL before issue 14 item 5): {_n(before['p50_ms'], 1)} / "
                     f"{_n(before['p99_ms'], 1)} ms; rows COPYed; plans in {q['plans']}"))
    return rows


def last_full_run(results_dir: Path) -> dict[str, Any] | None:
    """The latest record of ``results.jsonl`` that ran every part, if any."""
    path = results_dir / "results.jsonl"
    if not path.exists():
        return None
    full = None
    for line in path.read_text().splitlines():
        if line.strip() and not (record := json.loads(line)).get("partial", True):
            full = record
    return full


def render(record: dict[str, Any], full: dict[str, Any] | None) -> str:
    """This run's table; below a partial run's, the last full run's (``full``)."""
    text = markdown(record)
    if record["partial"] and full is not None:
        text += ("\n## The last full run, for the parts this run did not measure\n\n"
                 + markdown(full).split("\n", 1)[1].lstrip("\n"))
    return text


def write(record: dict[str, Any], results_dir: Path) -> Path:
    """latest.md: this run's table; after a partial run, the last full run's table below it, whole and under its
    own date and commit (every ratio stays beside the ceiling measured in its own run)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    latest = results_dir / "latest.md"
    latest.write_text(render(record, last_full_run(results_dir)))
    with open(results_dir / "results.jsonl", "a") as out:
        out.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    return latest

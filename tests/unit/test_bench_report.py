"""bench/report.py: after a partial run, latest.md keeps the last full run's table below this run's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench import report

RESULTS = Path(__file__).parents[2] / "bench" / "results" / "results.jsonl"


def _records() -> list[dict[str, object]]:
    return [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]


def test_a_partial_run_keeps_the_last_full_run_below_it(tmp_path: Path) -> None:
    records = _records()
    full = [r for r in records if not r["partial"]][-1]
    partial = [r for r in records if r["partial"]][-1]
    shutil.copy(RESULTS, tmp_path / "results.jsonl")

    text = report.write(partial, tmp_path).read_text()

    mine, _, kept = text.partition("## The last full run, for the parts this run did not measure")
    assert "**Partial run**" in mine
    assert f"Date: {full['date']}" in kept and "**Partial run**" not in kept
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == len(records) + 1


def test_a_full_run_is_alone(tmp_path: Path) -> None:
    full = [r for r in _records() if not r["partial"]][-1]
    assert "## The last full run" not in report.write(full, tmp_path).read_text()


def test_an_appends_row_says_where_a_transaction_went_and_its_wal() -> None:
    ours = {"ms_writing_per_transaction": 3.69, "ms_between_transactions": 1.28, "wal_bytes_per_event": 1083}
    batched = {"ms_per_transaction": 1.16, "wal_bytes_per_event": 377}

    assert report._cycle(ours) == ("; a transaction every 4.97 ms: 3.69 ms in PostgreSQL (statement, commit, round"
                                   " trip), 1.28 ms in this process between two; 1,083 bytes of WAL per event")
    assert report._cycle(batched) == "; a transaction every 1.16 ms; 377 bytes of WAL per event"
    # Results written before the breakdown existed, or a server whose pg_stat_wal cannot be read.
    assert report._cycle({"events_per_transaction": 16.0}) == ""
    assert report._cycle({**batched, "wal_bytes_per_event": None}) == "; a transaction every 1.16 ms"


def test_a_parts_cpu_names_its_own_process_and_keeps_the_four_largest() -> None:
    dues = {"cpu_seconds": {"client": 8.79, "postgres": 4.48, "kafka": 0.31, "gateway": 0.1, "projector": 0.06}}
    assert report._cpu(dues, {"client": "the run"}) == "; CPU the run 8.8 s, postgres 4.5 s, kafka 0.3 s, gateway 0.1 s"
    assert report._cpu({"events_per_s": 1.0}, {}) == ""  # measured before the CPU was


def test_the_warm_up_before_a_commands_window_is_reported_apart(tmp_path: Path) -> None:
    full = [r for r in _records() if not r["partial"]][-1]
    results = json.loads(json.dumps(full["results"]))
    results["bare"].pop("warm_up", None)  # the recorded run may have one; this case is a bare part without
    results["commands"]["warm_up"] = {"seconds": 45.0, "commands_per_s": 111.4,
                                      "cpu": {"ms_per_unit": {"kafka": 3.8, "gateway": 1.9}, "total_ms_per_unit": 16.7}}
    text = report.write({**full, "results": results}, tmp_path).read_text()

    [row] = [line for line in text.splitlines() if "The warm-up before the window (commands" in line]
    assert "| 111 |" in row and "45 s; CPU per one 16.70 ms, Kafka's 3.8" in row
    assert "The warm-up before the window (bare" not in text  # a run without one says nothing of it

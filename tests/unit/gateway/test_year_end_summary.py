"""The year-end summary's sums: a township is the sum of its branches, with its own targets beside them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from services.gateway.api.summary import COLUMNS, summarise, to_csv

MEMBERSHIP = {
    "townships": [{"township_id": "t-1", "status": "met", "branches_by_deadline": ["b-1", "b-2"]},
                  {"township_id": "t-2", "status": "missed", "branches_by_deadline": []}],
    "branches": [{"branch_id": "b-1", "township_id": "t-1", "status": "met", "activists": 2, "admissions": 1},
                 {"branch_id": "b-2", "township_id": "t-1", "status": "open", "activists": 1, "admissions": 0}],
}
SECONDMENT = {"townships": [{"township_id": "t-1", "out": 3, "required": 3, "status": "met"},
                            {"township_id": "t-3", "out": 0, "required": 1, "status": "open"}]}
CREDIT = [{"township_id": "t-1", "branch_id": "b-1", "leads_registered": 2, "projects_landed": 1,
           "capital_arrived_yuan": Decimal("400000"), "actual_fixed_investment_yuan": Decimal("0")},
          {"township_id": "t-2", "branch_id": None, "leads_registered": 1, "projects_landed": 0,
           "capital_arrived_yuan": Decimal("0"), "actual_fixed_investment_yuan": Decimal("0")}]


def test_townships_sum_their_branches_and_keep_their_own_targets() -> None:
    rows = summarise(MEMBERSHIP, SECONDMENT, CREDIT, {"b-1": (Decimal("120"), Decimal("100"), Decimal("1000"))})
    townships = {r["township_id"]: r for r in rows if r["level"] == "township"}
    assert list(townships) == ["t-1", "t-2", "t-3"]  # a township with no branch and one known only by its units
    t1 = townships["t-1"]
    assert (t1["activists"], t1["admissions"], t1["leads_registered"], t1["capital_arrived_yuan"]) == (
        3, 1, 2, Decimal("400000"))
    assert (t1["township_target"], t1["branches_by_30_june"], t1["cadres_out"], t1["secondment_target"]) == (
        "met", 2, 3, "met")
    assert (t1["dues_expected_yuan"], t1["dues_paid_yuan"], t1["dues_to_centre_yuan"]) == (
        Decimal("120"), Decimal("100"), Decimal("1000"))
    assert townships["t-2"]["township_target"] == "missed" and townships["t-2"]["leads_registered"] == 1
    branches = [r["branch_id"] for r in rows if r["level"] == "branch"]
    assert branches == ["b-1", "b-2"]


def test_the_csv_has_every_column_and_the_same_numbers() -> None:
    rows = summarise(MEMBERSHIP, SECONDMENT, CREDIT, {})
    table = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert tuple(table[0]) == COLUMNS
    assert [(r["level"], r["township_id"], r["activists"]) for r in table][:2] == [
        ("township", "t-1", "3"), ("township", "t-2", "0")]
    assert (table[2]["township_target"], table[2]["cadres_out"], table[2]["cadres_required"]) == ("", "0", "1")


def test_migrant_worker_services_are_counted_per_township_and_labour_export_per_branch() -> None:
    services = [{"township_id": "t-1", "workers_registered": 5, "service_cases_requested": 4,
                 "service_cases_closed": 2, "service_cases_overdue": 1, "workers_exported": 3},
                {"township_id": "t-4", "workers_registered": 1}]
    exported = [{"township_id": "t-1", "branch_id": "b-2", "workers_exported": 3},
                {"township_id": "t-1", "branch_id": "b-unknown", "workers_exported": 9}]
    rows = summarise(MEMBERSHIP, SECONDMENT, CREDIT, {}, services=services, exported=exported)
    by_key = {(r["level"], r["branch_id"] or r["township_id"]): r for r in rows}
    t1 = by_key[("township", "t-1")]
    assert (t1["workers_registered"], t1["service_cases_requested"], t1["service_cases_closed"],
            t1["service_cases_overdue"], t1["workers_exported"]) == (5, 4, 2, 1, 3)
    # a township known only by its services still gets a row, its missing counts as zero
    t4 = by_key[("township", "t-4")]
    assert (t4["workers_registered"], t4["workers_exported"]) == (1, 0)
    assert by_key[("township", "t-2")]["service_cases_requested"] == 0
    assert (by_key[("branch", "b-2")]["workers_exported"], by_key[("branch", "b-1")]["workers_exported"]) == (3, 0)
    assert by_key[("branch", "b-1")]["service_cases_requested"] is None  # cases are a township's, not a branch's
    assert ("branch", "b-unknown") not in by_key

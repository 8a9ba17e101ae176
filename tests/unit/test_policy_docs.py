"""docs/policies.md lists every setting the county can publish (issue 13 item 3: each with its default and its
source, or "not found"): a setting added to a policy without its row fails here."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from services.investment.contract.values import POLICY_BOOK as INVESTMENT
from services.membership.contract.values import POLICY_BOOK as MEMBERSHIP
from services.pure.policy_data import PolicyBook
from services.secondment.contract.values import POLICY_BOOK as SECONDMENT
from services.workers.contract.values import POLICY_BOOK as WORKERS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "policies.md").read_text()
BOOKS: dict[str, PolicyBook] = {"membership": MEMBERSHIP, "secondment": SECONDMENT, "investment": INVESTMENT,
                                "workers": WORKERS}
SETTINGS = [(service, policy, f.name) for service, book in BOOKS.items() for policy, versions in book.code.items()
            for f in fields(versions[0]) if f.name not in ("version", "effective_from")]


@pytest.mark.parametrize(("service", "policy", "setting"), SETTINGS, ids=lambda v: str(v))
def test_every_publishable_setting_has_its_row_in_the_docs(service: str, policy: str, setting: str) -> None:
    rows = [line for line in DOC.splitlines() if line.startswith("|") and f"`{setting}`" in line]
    assert rows, f"docs/policies.md has no row for {service} · {policy} · `{setting}` (its default and its source)"

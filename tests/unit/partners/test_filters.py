"""CloudEvents Subscriptions API filters: what is refused when a subscription is made, what matches."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.partners.domain.filters import InvalidFilter, check, matches

EVENT = {"type": "goldenbridge.transfer.step.v1", "source": "/golden-bridge/membership", "subject": "member/m-1",
         "id": "e-1"}


@pytest.mark.parametrize(("filters", "expected"), [
    ([], True),
    ([{"exact": {"type": "goldenbridge.transfer.step.v1"}}], True),
    ([{"exact": {"type": "goldenbridge.transfer.step"}}], False),
    ([{"prefix": {"subject": "member/"}}], True),
    ([{"prefix": {"subject": "lead/"}}], False),
    ([{"suffix": {"source": "/membership"}}], True),
    ([{"suffix": {"source": "/investment"}}], False),
    ([{"exact": {"type": "goldenbridge.transfer.step.v1", "subject": "member/m-2"}}], False),
    ([{"prefix": {"subject": "member/"}}, {"exact": {"id": "e-2"}}], False),
    ([{"any": [{"exact": {"id": "e-2"}}, {"prefix": {"subject": "member/m"}}]}], True),
    ([{"all": [{"exact": {"id": "e-1"}}, {"prefix": {"subject": "lead/"}}]}], False),
    ([{"not": {"prefix": {"subject": "lead/"}}}], True),
    ([{"not": {"any": [{"exact": {"id": "e-1"}}]}}], False),
    # An attribute the event lacks never matches (even a prefix of nothing would be vacuous).
    ([{"prefix": {"dataschema": "http"}}], False),
])
def test_each_dialect_matches_as_the_spec_says(filters: list[dict[str, Any]], expected: bool) -> None:
    check(filters)
    assert matches(filters, EVENT) is expected


@pytest.mark.parametrize(("filters", "says"), [
    ([{"regex": {"type": ".*"}}], "unknown dialect"),
    ([{"exact": {"type": "a"}, "prefix": {"type": "b"}}], "one dialect"),
    (["type"], "one dialect"),
    ([{"exact": {}}], "attribute"),
    ([{"exact": {"data": "x"}}], "is not one of"),
    ([{"exact": {"type": 7}}], "non-empty string"),
    ([{"prefix": {"type": ""}}], "non-empty string"),
    ([{"all": []}], "non-empty list"),
    ([{"any": {"exact": {"type": "a"}}}], "non-empty list"),
    ([{"exact": {"type": "x"}}] * 21, "at most 20"),
])
def test_a_filter_that_cannot_be_evaluated_as_written_is_refused(filters: list[Any], says: str) -> None:
    with pytest.raises(InvalidFilter, match=says):
        check(filters)


def test_nesting_has_a_limit() -> None:
    deep: dict[str, Any] = {"exact": {"type": "a"}}
    for _ in range(10):
        deep = {"not": deep}
    with pytest.raises(InvalidFilter, match="nest"):
        check([deep])


values = st.text(alphabet="abc/.-", min_size=1, max_size=6)


@given(subject=values, prefix=values)
def test_not_inverts_and_any_of_one_is_that_one(subject: str, prefix: str) -> None:
    event = {**EVENT, "subject": subject}
    one = {"prefix": {"subject": prefix}}
    assert matches([{"not": one}], event) is not matches([one], event)
    assert matches([{"any": [one]}], event) is matches([one], event)
    assert matches([one], event) is subject.startswith(prefix)

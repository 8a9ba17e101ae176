"""infra/topics.py waits until the cluster's metadata shows each topic it created, with a leader per partition."""

from __future__ import annotations

from typing import Any

from infra.topics import not_yet_usable


def _topic(name: str, code: int = 0, leaders: tuple[int, ...] = (1, 1)) -> dict[str, Any]:
    partitions = [
        {"error_code": 0, "partition": i, "leader": leader, "replicas": [1], "isr": [1]}
        for i, leader in enumerate(leaders)
    ]
    return {"error_code": code, "topic": name, "is_internal": False, "partitions": partitions if code == 0 else []}


def test_a_topic_the_metadata_does_not_know_yet_is_waited_for() -> None:
    described = {"a": _topic("a"), "b": _topic("b", code=3)}
    assert not_yet_usable(described, ["a", "b"]) == ["b"]
    assert not_yet_usable({"a": _topic("a")}, ["a", "c"]) == ["c"], "absent from the answer: not known yet"


def test_a_topic_with_a_partition_still_electing_its_leader_is_waited_for() -> None:
    assert not_yet_usable({"a": _topic("a", leaders=(1, -1))}, ["a"]) == ["a"]
    assert not_yet_usable({"a": _topic("a", leaders=())}, ["a"]) == ["a"]


def test_known_topics_with_leaders_are_ready_and_other_errors_are_left_to_the_check() -> None:
    assert not_yet_usable({"a": _topic("a"), "b": _topic("b")}, ["a", "b"]) == []
    # An authorisation error will not go away by waiting: the caller reports it.
    assert not_yet_usable({"a": _topic("a", code=29)}, ["a"]) == []

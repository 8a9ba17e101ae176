"""Each read model declares the events it projects, and the projector offers it those and no others."""

from __future__ import annotations

import ast
import inspect

import pytest

from services.gateway.readmodels import MODULES, PROJECTION


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_a_read_model_declares_exactly_the_events_its_projection_matches(module: object) -> None:
    tree = ast.parse(inspect.getsource(module.apply))  # type: ignore[attr-defined]
    matched = {ast.unparse(node.cls) for node in ast.walk(tree) if isinstance(node, ast.MatchClass)}
    declared = {event.__name__ for event in module.EVENTS}  # type: ignore[attr-defined]
    assert matched == declared


def test_an_event_no_read_model_projects_gives_no_statements() -> None:
    class Unrelated:
        pass

    assert PROJECTION.apply('"public"', None, Unrelated()) == []  # type: ignore[arg-type]

"""Builders for secondment tests: a unit, a cadre and a secondment reached by real commands, valid by default."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from services.pure.identity import Actor, Role
from services.secondment.contract.commands import (
    DecideNomination,
    NominateCadre,
    RecordContribution,
    RegisterCadre,
    RegisterUnit,
    StartSecondment,
)
from services.secondment.contract.events import ContributionKind, HostKind, Placement, Route, UnitKind
from services.secondment.domain import cadres, secondments, units
from services.secondment.domain.cadres import Cadre
from services.secondment.domain.secondments import Secondment
from services.secondment.domain.units import Unit

TODAY = date(2030, 12, 31)
COUNTY = Actor(subject="org-dept", role=Role.COUNTY_ADMIN, org_id="county")
#: The sending unit: a township committee role scoped to its township.
SENDER = Actor(subject="hr-a", role=Role.TOWNSHIP_COMMITTEE, org_id="township-a")
OTHER_SENDER = Actor(subject="hr-b", role=Role.TOWNSHIP_COMMITTEE, org_id="township-b")
DEPARTED = date(2024, 3, 1)
TERM_LAST_DAY = date(2026, 2, 28)
PLACEMENT = Placement(host_kind=HostKind.ENTERPRISE, host_name="Shenzhen Hardware Co.", locality="Shenzhen",
                      outstation_branch_id="b-sz")


def unit(**o: Any) -> RegisterUnit:
    return replace(RegisterUnit(actor=SENDER, today=TODAY, unit_id="u-1", township_id="township-a",
                                name="Agricultural station", kind=UnitKind.STATION, headcount=40,
                                effective_from=date(2024, 1, 1)), **o)


def a_unit(**o: Any) -> Unit:
    state = units.INITIAL
    for event in units.decide(state, unit(**o)):
        state = units.evolve(state, event)
    return state


def register_cadre(**o: Any) -> RegisterCadre:
    return replace(RegisterCadre(
        actor=SENDER, today=TODAY, cadre_id="c-1", name="Li Ming", unit_id="u-1", post="deputy head of station",
        rank="section member", pay_grade="grade 7", administrative_relation_org_id="u-1",
        party_relation_org_id="branch-station", registered_on=date(2023, 1, 1)), **o)


def a_cadre(**o: Any) -> Cadre:
    state = cadres.INITIAL
    for event in cadres.decide(state, register_cadre(**o), unit=a_unit()):
        state = cadres.evolve(state, event)
    return state


CONTEXT: dict[str, Any] = {"cadre": a_cadre()}


def s(cls: Any, **fields: Any) -> Any:
    """A command of ``cls`` on secondment s-1, by the sending unit unless ``actor`` is given."""
    return cls(**{"actor": SENDER, "today": TODAY, "secondment_id": "s-1", **fields})


def decide(state: Secondment, command: Any, **context: Any) -> list[Any]:
    return secondments.decide(state, command, **{**CONTEXT, **context})


def given_(*commands: Any, state: Secondment = secondments.INITIAL, **context: Any) -> Secondment:
    """The state after each command was decided and its events folded in."""
    for command in commands:
        for event in decide(state, command, **context):
            state = secondments.evolve(state, event)
    return state


def nominate(**o: Any) -> NominateCadre:
    return s(NominateCadre, **{"cadre_id": "c-1", "route": Route.SELF_FOUND, "placement": PLACEMENT,
                               "nominated_on": date(2024, 1, 10), **o})


def approve(**o: Any) -> DecideNomination:
    return s(DecideNomination, **{"actor": COUNTY, "approved": True, "decided_on": date(2024, 2, 1), **o})


def depart(on: date = DEPARTED) -> StartSecondment:
    return s(StartSecondment, departed_on=on, placement=PLACEMENT)


def away(on: date = DEPARTED) -> Secondment:
    return given_(nominate(), approve(), depart(on))


def capital(amount: str, cid: str = "k-1", on: date = date(2025, 1, 10), **o: Any) -> RecordContribution:
    return s(RecordContribution, **{"contribution_id": cid, "kind": ContributionKind.CAPITAL,
                                    "description": "factory relocated", "contributed_on": on,
                                    "amount_yuan": Decimal(amount), **o})

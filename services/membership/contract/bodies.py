"""HTTP request and response bodies of membership commands (reused by the gateway, defined once)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from services.kernel.bodies import PLAIN, Day
from services.membership.contract.events import BuildMode, DuesCategory, FoundingBasis, MemberStatus

# Every string here is checked as PlainText and every day is a Day, as in the generated bodies
# (services/kernel/bodies.py): what the read models cannot store is refused here, not by the projector after a 201.
Text = Annotated[StrictStr, Field(min_length=1, max_length=200), PLAIN]


class Body(BaseModel):
    # Unknown fields are refused: a misspelt optional field must not be dropped silently.
    model_config = ConfigDict(extra="forbid")


class ContactBody(Body):
    phone: Annotated[StrictStr, Field(min_length=5, max_length=30, examples=["+86 138 0000 0000"]), PLAIN]
    address: Annotated[StrictStr, Field(max_length=300), PLAIN] | None = None
    wechat: Annotated[StrictStr, Field(max_length=100), PLAIN] | None = None


class EstablishBranchBody(Body):
    """An outstation Party branch (驻外党支部) set up where migrant members cluster."""

    name: Text = Field(examples=["Golden Bridge Shenzhen Longhua Branch"])
    founding_basis: FoundingBasis = Field(description="Which of the decision's six founding bases applies.")
    build_mode: BuildMode = Field(description="standalone (单独建), joint (联合建) or affiliated (挂靠建).")
    home_org_id: Text = Field(description="The home organisation that sets up and manages the branch.")
    host_org_id: Text | None = Field(
        None, description="The registered host-locality organisation that guides it (POST /v1/host-organisations); "
                          "its scope reaches the branch and its members through this link.")
    host_guidance_org: Text | None = Field(
        None, description="The guiding host's name as a label only, for a host not registered yet (link it later "
                          "with POST /v1/organisations/{id}/host-guidance). One of the two is required.")
    destination: Text = Field(examples=["Shenzhen, Guangdong"])
    industry: Text = Field(examples=["construction"])
    established_on: Day
    covered_units: list[Text] = Field(default_factory=list, max_length=50,
                                      description="Units covered; a joint branch lists 2 to 5.")
    backdating_reason: Annotated[StrictStr, Field(max_length=500), PLAIN] | None = Field(
        None, description="Why the fact is entered after the day it took effect: required then.")


class RegisterMemberBody(Body):
    name: Text
    national_id: Annotated[
        StrictStr, Field(min_length=18, max_length=18, description="Resident ID; stored, shown masked."), PLAIN
    ]
    formal_org_id: Text = Field(description="The one organisation holding the member's formal relationship.")
    status: MemberStatus
    dues_category: DuesCategory
    contact: ContactBody
    joined_on: Day | None = None
    member_since: Day | None = Field(
        None, description="Since when the member's relationship is in this organisation, when known; omitted: "
                          "a member of the register taken over, counted there on every earlier day.")
    backdating_reason: Annotated[StrictStr, Field(max_length=500), PLAIN] | None = Field(
        None, description="Why the fact is entered after the day it took effect: required then.")


class RegisterOutflowBody(Body):
    destination: Text
    employer: Text
    contact: ContactBody
    left_on: Day
    expected_months: StrictInt = Field(ge=1, le=600, description="How long the member expects to stay away.")
    fixed_place: StrictBool = Field(
        True, description="Working at a relatively fixed place (decides transfer vs certificate)."
    )
    backdating_reason: Annotated[StrictStr, Field(max_length=500), PLAIN] | None = Field(
        None, description="Why the fact is entered after the day it took effect: required then.")

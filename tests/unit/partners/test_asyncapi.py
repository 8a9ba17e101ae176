"""The partners' AsyncAPI documents pass an independent AsyncAPI 3 parser and say what partners receive.

The parser is the AsyncAPI initiative's own (``@asyncapi/parser``, pinned in tests/asyncapi and installed
by ``./gb test``), run by tests/asyncapi/validate.mjs, so the documents are judged by code we did not write.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from services.partners.contract import asyncapi
from services.partners.contract.outward import OutwardType
from services.partners.contract.outward.catalogue import CATALOGUE, MEMBER_ARRIVED, MEMBER_REGISTERED, TRANSFER
from services.partners.contract.values import PartnerFeed, PersonalDataPolicy

ROOT = Path(__file__).resolve().parents[3]
CHECKER = ROOT / "tests" / "asyncapi"

FEED = PartnerFeed(
    partner_id="legal-aid",
    name="县法律援助中心",
    types=(TRANSFER.type, MEMBER_ARRIVED.type, MEMBER_REGISTERED.type),
    personal_data=PersonalDataPolicy.NONE,
)


@dataclass(frozen=True, kw_only=True)
class Place:
    organisation_id: str


@dataclass(frozen=True, kw_only=True)
class MovedV1:
    """An outward type with a nested record (none of the catalogue's has one yet)."""

    member_id: str
    to: Place


@dataclass(frozen=True)
class Verdict:
    ok: bool
    output: str


@pytest.fixture(scope="module")
def check(tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, Any]], Verdict]:
    node = shutil.which("node")
    if node is None or not (CHECKER / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail(
            "the AsyncAPI parser is not installed: `./gb test` installs it (npm ci --prefix tests/asyncapi, "
            f"Node.js 20.17 or newer); node is {node or 'missing'}"
        )
    folder = tmp_path_factory.mktemp("asyncapi")

    def run(document: dict[str, Any]) -> Verdict:
        path = folder / f"document-{len(list(folder.iterdir()))}.json"
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        done = subprocess.run([node, str(CHECKER / "validate.mjs"), str(path)],
                              capture_output=True, text=True, timeout=120)
        return Verdict(done.returncode == 0, done.stdout + done.stderr)

    return run


def test_the_county_wide_document_passes_the_asyncapi_parser(check: Callable[[dict[str, Any]], Verdict]) -> None:
    verdict = check(asyncapi.document())
    assert verdict.ok, verdict.output


def test_a_partner_document_passes_the_asyncapi_parser(check: Callable[[dict[str, Any]], Verdict]) -> None:
    verdict = check(asyncapi.document(FEED, public_base_url="https://gb.example.gov.cn"))
    assert verdict.ok, verdict.output


@pytest.mark.parametrize(
    ("breaks", "reported"),
    [
        pytest.param(lambda d: d["channels"]["partnerEvents"]["messages"]["memberArrivedV1"].update(
            {"$ref": "#/components/messages/noSuchMessage"}), "invalid-ref", id="broken $ref"),
        pytest.param(lambda d: d["operations"]["receiveEvents"].update({"action": "subscribe"}),
                     "receiveEvents/action", id="invalid field value"),
        pytest.param(lambda d: d["servers"]["kafka"].update({"port": 9092}), "servers/kafka/port",
                     id="field the spec does not have"),
        pytest.param(lambda d: d["components"]["messages"]["memberArrivedV1"]["examples"][0]["payload"]["data"]
                     .pop("member_id"), "example-payload", id="example against its schema"),
        pytest.param(lambda d: d["operations"]["receiveEvents"]["bindings"]["kafka"]["groupId"].update(
            {"pattern": r"^gb\.partner\.legal\-aid\..+$"}), "error pattern", id="pattern tools cannot compile"),
    ],
)
def test_the_check_fails_on_a_broken_document(
    check: Callable[[dict[str, Any]], Verdict], breaks: Callable[[dict[str, Any]], None], reported: str
) -> None:
    """Without this, a checker that passes everything would pass our documents too."""
    document = copy.deepcopy(asyncapi.document())
    breaks(document)
    verdict = check(document)
    assert not verdict.ok, f"the checker passed a broken document\n{verdict.output}"
    assert reported in verdict.output, verdict.output


def test_nested_schemas_become_component_schemas_that_resolve(
    check: Callable[[dict[str, Any]], Verdict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A type with a nested record has ``$defs``; in the document they must resolve as component schemas."""

    moved = OutwardType(
        type="goldenbridge.member.moved.v1", summary="Test only.", schema=MovedV1, sources=MEMBER_ARRIVED.sources,
        subject=lambda o: f"member/{o.member_id}", places=lambda o: (o.to.organisation_id,),
        example=MovedV1(member_id="m-1", to=Place(organisation_id="br-1")),
    )
    assert "$defs" in moved.json_schema()
    monkeypatch.setattr(asyncapi, "CATALOGUE", {**CATALOGUE, moved.type: moved})
    document = asyncapi.document()
    assert document["components"]["schemas"]["memberMovedV1Data"]["properties"]["to"] == {
        "$ref": "#/components/schemas/memberMovedV1.Place"
    }
    verdict = check(document)
    assert verdict.ok, verdict.output


def test_the_county_wide_document_has_every_outward_type_on_the_parameterised_partner_topic() -> None:
    document = asyncapi.document()
    channel = document["channels"]["partnerEvents"]
    assert channel["address"] == "gb.partner.{partner}.events"
    assert set(channel["parameters"]) == {"partner"}
    names = {m["name"] for m in document["components"]["messages"].values()}
    assert names == set(CATALOGUE)
    assert document["servers"]["kafka"]["protocol"] == "kafka"
    assert document["servers"]["kafka"]["variables"]["bootstrap"]["default"] == "localhost:10092"
    assert document["components"]["securitySchemes"]["scramSha256"]["type"] == "scramSha256"


def test_a_partner_document_has_its_topic_its_types_and_its_policy() -> None:
    base = "https://gb.example.gov.cn"
    document = asyncapi.document(FEED, public_base_url=base)
    channel = document["channels"]["partnerEvents"]
    assert channel["address"] == "gb.partner.legal-aid.events"
    assert "parameters" not in channel
    group = document["operations"]["receiveEvents"]["bindings"]["kafka"]["groupId"]["pattern"]
    assert re.fullmatch(group, "gb.partner.legal-aid.reader")
    assert not re.fullmatch(group, "gb.partner.host-ningbo.reader")
    kafka_messages = {k: m for k, m in document["components"]["messages"].items() if not k.endswith("Webhook")}
    assert sorted(m["name"] for m in kafka_messages.values()) == sorted(FEED.types)
    registered = kafka_messages["memberRegisteredV1"]
    (example,) = registered["examples"]
    event = example["payload"]
    assert event["partner"] == "legal-aid"
    assert event["dataschema"] == f"{base}/v1/schemas/goldenbridge.member.registered.v1.json"
    assert event["source"] == "/golden-bridge/membership"
    assert event["data"]["name"] is None and event["data"]["national_id_masked"] is None  # policy: none
    assert event["data"]["member_id"] == "m-1"


def test_the_county_wide_examples_show_each_policy() -> None:
    message = asyncapi.document()["components"]["messages"]["memberArrivedV1"]
    by_policy = {e["name"]: e["payload"]["data"]["name"] for e in message["examples"]}
    assert by_policy == {"personalDataNone": None, "personalDataMasked": "李*"}


def test_a_feed_naming_an_unknown_type_is_refused() -> None:
    feed = PartnerFeed(partner_id="p", name="p", types=("goldenbridge.no.such.v1",),
                       personal_data=PersonalDataPolicy.MASKED)
    with pytest.raises(ValueError, match=re.escape("goldenbridge.no.such.v1")):
        asyncapi.document(feed)


def test_the_served_schema_is_the_outward_types_data_schema() -> None:
    for name, kind in CATALOGUE.items():
        served = asyncapi.schema(name)
        assert served == kind.json_schema()
        assert served["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    with pytest.raises(KeyError):
        asyncapi.schema("goldenbridge.no.such.v1")

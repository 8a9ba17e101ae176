"""Partners and subscriptions through the gateway: the county registers, a partner manages its own
subscriptions and reads only its own records; schemas and per-partner AsyncAPI documents are served."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.conftest import bearer, eventually

REGISTERED = "goldenbridge.member.registered.v1"
ORGANISATION = "goldenbridge.organisation.established.v1"


def partner_body(partner_id: str, **overrides: Any) -> dict[str, Any]:
    return {"partner_id": partner_id, "name": "宁波市江北区委组织部", "kind": "host_committee", "contact": "0574-8700",
            "scope": {"event_types": [REGISTERED, ORGANISATION], "townships": []}, "personal_data": "masked",
            **overrides}


async def register(gateway: httpx.AsyncClient, admin: dict[str, str], partner_id: str, **overrides: Any) -> None:
    answer = await gateway.post("/v1/partners", json=partner_body(partner_id, **overrides), headers=admin)
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"/v1/partners/{partner_id}"


async def test_a_partner_manages_its_own_subscriptions_and_reads_nothing_of_another(
        system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    mine, theirs = f"pa-{uuid.uuid4().hex[:6]}", f"pb-{uuid.uuid4().hex[:6]}"
    await register(gateway, admin_headers, mine)
    await register(gateway, admin_headers, theirs, personal_data="none")
    me, other = bearer(system, Role.PARTNER, org_id=mine), bearer(system, Role.PARTNER, org_id=theirs)

    created = await gateway.post("/v1/subscriptions", headers=me, json={
        "partner_id": mine, "protocol": "KAFKA", "types": [REGISTERED],
        "filters": [{"prefix": {"subject": "member/"}}]})
    assert created.status_code == 201, created.text
    sid, position = created.json()["id"], created.json()["position"]
    theirs_sub = await gateway.post("/v1/subscriptions", headers=other,
                                    json={"partner_id": theirs, "protocol": "KAFKA"})
    assert theirs_sub.status_code == 201, theirs_sub.text
    other_sid = theirs_sub.json()["id"]

    got = await gateway.get(f"/v1/subscriptions/{sid}", params={"min_position": position}, headers=me)
    assert got.status_code == 200, got.text
    assert got.json()["sink"] == f"gb.partner.{mine}.events" and got.json()["state"] == "active"
    listed = await gateway.get("/v1/subscriptions", params={"min_position": theirs_sub.json()["position"]},
                               headers=me)
    assert {s["partner_id"] for s in listed.json()["items"]} == {mine}

    # Another partner's records: 403 for reads and writes alike, and nothing is changed.
    for path in (f"/v1/subscriptions/{other_sid}", f"/v1/partners/{theirs}", f"/v1/subscriptions/{other_sid}/secret",
                 f"/v1/partners/{theirs}/kafka-credentials", f"/v1/partners/{theirs}/asyncapi.json"):
        answer = await gateway.get(path, headers=me)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert (await gateway.get("/v1/subscriptions", params={"partner_id": theirs}, headers=me)).status_code == 403
    assert (await gateway.delete(f"/v1/subscriptions/{other_sid}", headers=me)).status_code == 403
    assert (await gateway.put(f"/v1/subscriptions/{other_sid}", json={}, headers=me)).status_code == 403
    stolen = await gateway.post("/v1/subscriptions", headers=me, json={"partner_id": theirs, "protocol": "KAFKA"})
    assert stolen.status_code == 403, stolen.text
    assert (await gateway.post("/v1/partners", json=partner_body("px"), headers=me)).status_code == 403

    # Its own: update, credentials, its AsyncAPI document, then delete.
    updated = await gateway.put(f"/v1/subscriptions/{sid}", headers=me, json={"types": [REGISTERED]})
    assert updated.status_code == 201, updated.text
    login = (await gateway.get(f"/v1/partners/{mine}/kafka-credentials", headers=me)).json()
    assert login["username"] == f"partner-{mine}" and login["topic"] == f"gb.partner.{mine}.events"
    assert len(login["password"]) >= 32
    document = (await gateway.get(f"/v1/partners/{mine}/asyncapi.json", headers=me)).json()
    assert document["asyncapi"].startswith("3.") and f"gb.partner.{mine}.events" in str(document["channels"])
    deleted = await gateway.delete(f"/v1/subscriptions/{sid}", headers=me)
    assert deleted.status_code == 201, deleted.text
    gone = await gateway.get(f"/v1/subscriptions/{sid}", params={"min_position": deleted.json()["position"]},
                             headers=me)
    assert gone.status_code == 403


async def test_bad_partner_and_subscription_input_is_a_clear_422(
        system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    pid = f"pc-{uuid.uuid4().hex[:6]}"
    bad = await gateway.post("/v1/partners", json=partner_body("Not An Id"), headers=admin_headers)
    assert bad.status_code == 422 and "partner_id" in bad.json()["detail"]
    unknown = await gateway.post("/v1/partners", headers=admin_headers,
                                 json=partner_body(pid, scope={"event_types": ["gb.membership.member_registered.v2"]}))
    assert unknown.status_code == 422 and "unknown outward" in unknown.json()["detail"]
    await register(gateway, admin_headers, pid)
    again = await gateway.post("/v1/partners", json=partner_body(pid), headers=admin_headers)
    assert again.status_code == 409
    for body, says in (
        ({"partner_id": pid, "protocol": "HTTP", "sink": "ftp://x"}, "http"),
        ({"partner_id": pid, "protocol": "KAFKA", "filters": [{"regex": {"type": "x"}}]}, "unknown dialect"),
        ({"partner_id": pid, "protocol": "KAFKA", "types": ["goldenbridge.lead.registered.v1"]}, "outside"),
    ):
        answer = await gateway.post("/v1/subscriptions", json=body, headers=admin_headers)
        assert answer.status_code == 422, answer.text
        assert says in answer.json()["detail"]


async def test_the_outward_schemas_are_public(gateway: httpx.AsyncClient) -> None:
    listed = (await gateway.get("/v1/schemas")).json()["items"]
    assert REGISTERED in {item["type"] for item in listed}
    schema = await gateway.get(f"/v1/schemas/{REGISTERED}.json")
    assert schema.status_code == 200 and schema.json()["properties"]["name"]["x-gb-personal"] is True
    assert (await gateway.get("/v1/schemas/nothing.json")).status_code == 404


async def test_the_demo_partners_load_once_and_get_their_feeds(
        system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    from demo.partners import PARTNERS, load_partners

    base = str(gateway.base_url)
    assert await load_partners(base, system.admin_token) == len(PARTNERS)
    assert await load_partners(base, system.admin_token) == len(PARTNERS)  # replayed keys: nothing new

    async def subscriptions(partner_id: str) -> list[dict[str, Any]]:
        answer = await gateway.get("/v1/subscriptions", params={"partner_id": partner_id}, headers=admin_headers)
        return list(answer.json()["items"])

    for partner in PARTNERS:
        pid = partner["partner_id"]
        mine = await eventually(lambda pid=pid: subscriptions(pid), what=f"{pid}'s subscription in the read model")
        assert len(mine) == 1 and mine[0]["sink"] == f"gb.partner.{pid}.events"


async def test_an_id_of_the_other_kind_of_record_is_403_to_a_partner_and_404_to_the_county_never_a_500(
        system: Settings, gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    # Partners and subscriptions share one stream-id namespace: a partner's id in a subscription's URL (and a
    # subscription's in a partner's) once folded the other kind's events, a 500 that told which partner ids exist.
    mine, theirs = f"pk-{uuid.uuid4().hex[:6]}", f"pl-{uuid.uuid4().hex[:6]}"
    await register(gateway, admin_headers, mine)
    await register(gateway, admin_headers, theirs)
    me = bearer(system, Role.PARTNER, org_id=mine)
    subscribed = await gateway.post("/v1/subscriptions", headers=admin_headers,
                                    json={"partner_id": theirs, "protocol": "KAFKA"})
    assert subscribed.status_code == 201, subscribed.text
    sid = subscribed.json()["id"]

    def subscription_calls(id_: str) -> list[tuple[str, str, dict[str, Any] | None]]:
        return [("GET", f"/v1/subscriptions/{id_}/secret", None), ("GET", f"/v1/subscriptions/{id_}/deliveries", None),
                ("DELETE", f"/v1/subscriptions/{id_}", None),
                ("PUT", f"/v1/subscriptions/{id_}", {"sink": "https://partner.example/hook"}),
                ("POST", f"/v1/subscriptions/{id_}/resumption", {}),
                ("POST", f"/v1/subscriptions/{id_}/replay", {"from_position": 0})]

    change = {k: v for k, v in partner_body(sid).items() if k not in ("partner_id", "kind")}
    calls = [*((me, call, 403) for id_ in (mine, theirs, "no-such-partner-zz") for call in subscription_calls(id_)),
             *((admin_headers, call, 404) for id_ in (mine, theirs) for call in subscription_calls(id_)),
             (admin_headers, ("GET", f"/v1/partners/{sid}/kafka-credentials", None), 404),
             (admin_headers, ("PUT", f"/v1/partners/{sid}", change), 404),
             (admin_headers, ("POST", "/v1/subscriptions", {"partner_id": sid, "protocol": "KAFKA"}), 404)]
    wrong = []
    for headers, (method, path, body), status in calls:
        answer = await gateway.request(method, path, headers=headers, json=body)
        if answer.status_code != status or answer.headers["content-type"] != "application/problem+json":
            who = "partner" if headers is me else "county"
            wrong.append(f"{method} {path} as the {who}: {answer.status_code} {answer.text[:120]}")
    assert wrong == []

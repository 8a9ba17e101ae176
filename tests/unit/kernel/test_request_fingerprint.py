"""A retry record's fingerprint is keyed: HMAC-SHA256 under a key derived from GB_INTERNAL_SECRET, never the plain
SHA-256 of the request that anyone with the table could reverse by trying every phone or ID number."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI
from starlette.requests import Request

from services.kernel.credential import CredentialCheck
from services.kernel.http import command_meta
from services.kernel.retries import FINGERPRINT_SCHEME, fingerprint_key, request_fingerprint
from services.pure.identity import Actor, Role

SECRET = "s" * 40
KEY = fingerprint_key(SECRET)
PATH = "/members/m-1/outflows"
BODY = b'{"contact": {"phone": "13812344567"}}'
SECRETARY = Actor(subject="bob", role=Role.BRANCH_SECRETARY, org_id="branch-1")


def test_the_same_request_has_the_same_fingerprint() -> None:
    first = request_fingerprint(KEY, "POST", PATH, BODY)
    assert first == request_fingerprint(fingerprint_key(SECRET), "POST", PATH, BODY)
    assert first.startswith(FINGERPRINT_SCHEME) and len(first) == len(FINGERPRINT_SCHEME) + 64


def test_another_body_path_or_method_has_another_fingerprint() -> None:
    first = request_fingerprint(KEY, "POST", PATH, BODY)
    assert request_fingerprint(KEY, "POST", PATH, BODY.replace(b"4567", b"4568")) != first
    assert request_fingerprint(KEY, "POST", "/members/m-2/outflows", BODY) != first
    assert request_fingerprint(KEY, "PUT", PATH, BODY) != first


def test_another_key_gives_another_fingerprint() -> None:
    other = fingerprint_key("t" * 40)
    assert other != KEY and len(other) == 32
    assert request_fingerprint(other, "POST", PATH, BODY) != request_fingerprint(KEY, "POST", PATH, BODY)


def test_the_fingerprint_is_not_the_plain_hash_of_the_request_nor_keyed_with_the_secret_itself() -> None:
    message = b"POST" + PATH.encode() + b"\n" + BODY
    fingerprint = request_fingerprint(KEY, "POST", PATH, BODY).removeprefix(FINGERPRINT_SCHEME)
    assert fingerprint != hashlib.sha256(message).hexdigest()
    # The secret also signs the gateway's credentials: the fingerprint's key is derived from it, not it.
    assert SECRET.encode() != KEY
    assert fingerprint != request_fingerprint(SECRET.encode(), "POST", PATH, BODY).removeprefix(FINGERPRINT_SCHEME)


def _request(app: FastAPI, body_path: str = PATH) -> Request:
    return Request({"type": "http", "method": "POST", "path": body_path, "raw_path": body_path.encode(),
                    "query_string": b"", "headers": [(b"idempotency-key", b"k-1")], "app": app})


def test_a_commands_metadata_carries_the_fingerprint_under_the_services_own_internal_secret() -> None:
    app = FastAPI()
    app.state.credentials = CredentialCheck(secret=SECRET, audience="membership")
    meta = command_meta(_request(app), SECRETARY, BODY)
    assert meta.fingerprint == request_fingerprint(KEY, "POST", PATH, BODY)
    assert meta.idempotency_key == "bob:k-1"
    # Another deployment (another secret) fingerprints the same request differently.
    elsewhere = FastAPI()
    elsewhere.state.credentials = CredentialCheck(secret="t" * 40, audience="membership")
    assert command_meta(_request(elsewhere), SECRETARY, BODY).fingerprint != meta.fingerprint

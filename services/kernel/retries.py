"""A command's retry key and request fingerprint: what tells a retry from another request under one Idempotency-Key.

The HTTP edge (services/kernel/http.py ``command_meta``) reads both from each command's request; the event store
keeps them in ``idempotency_keys`` in the append's own transaction (services/kernel/store_schema.sql).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.pure.errors import InvalidIdempotencyKey

#: Marks a keyed fingerprint in ``idempotency_keys`` (services/kernel/store_schema.sql tells the unkeyed ones of
#: earlier versions by its absence).
FINGERPRINT_SCHEME = "hmac-sha256:"


@functools.lru_cache(maxsize=4)
def fingerprint_key(internal_secret: str) -> bytes:
    """The key of request fingerprints, derived from ``GB_INTERNAL_SECRET`` (HKDF-SHA256, a label of its own).

    A fingerprint hashes a command's body, and a body holds what it holds in clear: an ID number, a phone. An
    unkeyed hash of it, kept for ever in ``idempotency_keys``, gives that back to anyone with the table and the
    rest of the body (the event's clear fields): a masked phone leaves under a million candidates, an ID number
    with its region and birth date about ten thousand, tried in well under a second. Keyed, it is worthless
    without the secret. Every instance of every service already holds this one, and the same one (it checks the
    gateway's credentials with it): a retry sent to another instance matches, and no new secret is needed —
    outside development it must be set and strong (settings.py). Derived, not used as it is: the secret also
    signs credentials, and one key never serves two purposes."""
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"golden-bridge/kernel", info=b"idempotency-fingerprint/v1")
    return kdf.derive(internal_secret.encode())


def request_fingerprint(key: bytes, method: str, path: str, body: bytes) -> str:
    """What tells a retry from another request under the same Idempotency-Key: HMAC-SHA256 of method, path and body."""
    digest = hmac.new(key, method.encode() + path.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    return FINGERPRINT_SCHEME + digest


#: What an Idempotency-Key may be: a client's token (a UUID is 36 characters) of printable ASCII, spaces included
#: (the header is a structured-field string), at most 255 characters. A key of thousands overflowed the key's index
#: entry (a 500) and, written in one batch with other callers' commands (services/kernel/group_commit.py), failed
#: theirs too.
_RETRY_KEY = re.compile(r"[ -~]{1,255}")


def retry_key(header: str | None) -> str | None:
    """The request's Idempotency-Key, if it sent one that this API keeps; 400 problem+json otherwise."""
    if header is None:
        return None
    if not _RETRY_KEY.fullmatch(header):
        raise InvalidIdempotencyKey(
            f"Idempotency-Key must be 1 to 255 printable ASCII characters (a UUID, for example); this one has "
            f"{len(header)} characters{'' if header.isascii() else ', not all ASCII'}. Send a new key")
    return header

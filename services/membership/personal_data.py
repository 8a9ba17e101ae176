"""Membership's keys for personal data: a master key, one data key per person, AES-256-GCM envelopes.

Why this shape. Events are kept forever — in the store, on Kafka, in every consumer's copy — and the
Personal Information Protection Law lets a person be forgotten. Encrypting each person's data with a
key of their own ("crypto-shredding") reconciles the two: to forget someone, destroy one key, and every
copy of their ciphertext everywhere becomes noise, while the events themselves (and their hash chain)
stay exactly as recorded.

The hierarchy:

* **Master key** — ``GB_MEMBERSHIP_MASTER_KEY`` (at least 32 bytes), never stored. HKDF-SHA256 derives
  two independent keys from it: the *key-encryption key* and the *index key*. Outside
  ``GB_ENV=development`` a missing, short or development value refuses to start, naming the variable.
* **Data keys** — 32 random bytes per person, stored only wrapped (AES key wrap, RFC 3394, under the
  key-encryption key) in ``person_keys`` (services/membership/personal_data.sql).
* **Envelopes** — AES-256-GCM, a random 96-bit nonce per envelope, the person's id as authenticated
  data (an envelope copied onto another record does not open).
* **Index** — the national ID number's HMAC-SHA256 under the index key, for uniqueness and look-up:
  the directory stores that, never the number. ID numbers have little entropy (region, birth date,
  serial), so an unkeyed hash could be reversed by trying them all; the key makes that impossible for
  anyone without the master key.

Everything here is pure computation; services/membership/vault.py keeps the keys in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from services.kernel.settings import service_secret
from services.membership.contract.events.personal import SealedPersonalData
from services.pure.errors import Problem

MASTER_KEY_VARIABLE = "GB_MEMBERSHIP_MASTER_KEY"
#: Development only; refused whenever GB_ENV is not "development".
DEV_MASTER_KEY = "dev-membership-master-key-change-me-outside-development"
ALG = "A256GCM"
_AAD_PREFIX = b"gb.membership/personal-data/v1|"


class Erased(Problem):
    """The person's data key was destroyed (erasure): their personal data can never be read again."""

    status = 410
    slug = "personal-data-erased"
    title = "This person's personal data was erased"


class Unreadable(Exception):
    """An envelope does not open with the key given (wrong key, wrong person or altered ciphertext)."""


@dataclass(frozen=True)
class Keys:
    """The two keys derived from the master key; ``repr`` never shows them."""

    key_encryption_key: bytes
    index_key: bytes

    def __repr__(self) -> str:
        return "Keys(<secret>)"

    @classmethod
    def from_master(cls, master: bytes) -> Keys:
        def derive(info: bytes) -> bytes:
            kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"golden-bridge/membership", info=info)
            return kdf.derive(master)

        return cls(key_encryption_key=derive(b"person-key-wrapping"), index_key=derive(b"national-id-index"))


def master_key(environ: Mapping[str, str] = os.environ) -> bytes:
    """The master key from ``GB_MEMBERSHIP_MASTER_KEY``; outside development it must be set, not the
    development value, and at least 32 bytes."""
    return service_secret(MASTER_KEY_VARIABLE, DEV_MASTER_KEY, "it is the master key of every person's personal "
                          "data", environ)


def load_keys(environ: Mapping[str, str] = os.environ) -> Keys:
    return Keys.from_master(master_key(environ))


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(keys: Keys, data_key: bytes) -> bytes:
    return aes_key_wrap(keys.key_encryption_key, data_key)


def unwrap(keys: Keys, wrapped: bytes) -> bytes:
    try:
        return aes_key_unwrap(keys.key_encryption_key, wrapped)
    except InvalidUnwrap:
        raise Unreadable("the data key does not unwrap with this master key") from None


def national_id_hash(keys: Keys, national_id: str) -> bytes:
    """The keyed hash the directory stores instead of the number (uppercase X, no spaces)."""
    return hmac.new(keys.index_key, national_id.strip().upper().encode(), hashlib.sha256).digest()


def seal(data_key: bytes, *, key_id: str, person_id: str, record: Mapping[str, Any]) -> SealedPersonalData:
    """``record`` (JSON-able personal fields) as an AES-256-GCM envelope bound to ``person_id``."""
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key).encrypt(nonce, orjson.dumps(record), _AAD_PREFIX + person_id.encode())
    return SealedPersonalData(key_id=key_id, nonce=_b64(nonce), ciphertext=_b64(ciphertext), alg=ALG)


def open_sealed(data_key: bytes, *, person_id: str, sealed: SealedPersonalData) -> dict[str, Any]:
    """The record inside an envelope; ``Unreadable`` with any other key, person or altered byte."""
    if sealed.alg != ALG:
        raise Unreadable(f"unknown envelope algorithm {sealed.alg}")
    try:
        plain = AESGCM(data_key).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext),
                                         _AAD_PREFIX + person_id.encode())
    except (InvalidTag, ValueError):
        raise Unreadable("the envelope does not open with this key for this person") from None
    record: dict[str, Any] = orjson.loads(plain)
    return record


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

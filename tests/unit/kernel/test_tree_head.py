"""Signed tree heads: the fixed 96-byte encoding, Ed25519 signing and verification, and key serialisation."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.kernel import tree_head as th
from services.kernel.merkle import MerkleLog, leaf_hash
from services.kernel.tree_head import TreeHead

# RFC 8032 section 7.1, TEST 1: secret key and its public key.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_EMPTY_MESSAGE_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)

KEY = Ed25519PrivateKey.from_private_bytes(RFC8032_SECRET)
LOG = MerkleLog(leaf_hash(bytes([i])) for i in range(5))
HEAD = TreeHead(size=5, root_hash=LOG.root(), timestamp_ms=1_796_000_000_123, log_id=th.log_id_for(KEY.public_key()))


def test_the_key_is_rfc_8032s() -> None:
    assert th.public_key_to_raw(KEY.public_key()) == RFC8032_PUBLIC
    assert KEY.sign(b"") == RFC8032_EMPTY_MESSAGE_SIGNATURE


def test_the_encoding_is_the_documented_fixed_layout() -> None:
    encoded = HEAD.encode()
    assert len(encoded) == th.ENCODED_SIZE == 96
    assert encoded[0:16] == b"tlog-tree-head/1" == th.CONTEXT
    assert encoded[16:48] == HEAD.log_id == hashlib.sha256(RFC8032_PUBLIC).digest()
    assert encoded[48:56] == (5).to_bytes(8, "big")
    assert encoded[56:64] == (1_796_000_000_123).to_bytes(8, "big")
    assert encoded[64:96] == HEAD.root_hash
    assert encoded == struct.pack(">16s32sQQ32s", b"tlog-tree-head/1", HEAD.log_id, 5, 1_796_000_000_123, LOG.root())
    assert TreeHead.decode(encoded) == HEAD


def test_decoding_refuses_anything_else() -> None:
    encoded = HEAD.encode()
    for bad in (encoded[:-1], encoded + b"\x00", b"x" + encoded[1:], b""):
        with pytest.raises(ValueError):
            TreeHead.decode(bad)


@pytest.mark.parametrize("changes", [
    {"size": -1}, {"size": 2**64}, {"timestamp_ms": -1}, {"timestamp_ms": 2**64}, {"size": True},
    {"root_hash": b"\x00" * 31}, {"root_hash": b"\x00" * 33}, {"log_id": b""}, {"log_id": "0" * 32},
])
def test_a_tree_head_refuses_fields_outside_the_layout(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(HEAD, **changes)  # type: ignore[arg-type]


def test_the_largest_values_fit() -> None:
    head = dataclasses.replace(HEAD, size=2**64 - 1, timestamp_ms=2**64 - 1)
    assert TreeHead.decode(head.encode()) == head


def test_a_signature_verifies() -> None:
    signature = th.sign(KEY, HEAD)
    assert len(signature) == th.SIGNATURE_SIZE
    assert signature == th.sign(KEY, HEAD)  # Ed25519 is deterministic
    assert th.verify(KEY.public_key(), HEAD, signature)
    assert KEY.public_key().verify(signature, HEAD.encode()) is None  # plain Ed25519 over the 96 bytes


def _flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


@pytest.mark.parametrize("changes", [
    {"size": 6}, {"size": 4}, {"timestamp_ms": 1_796_000_000_124}, {"root_hash": _flip(LOG.root())},
    {"root_hash": LOG.root(4)}, {"log_id": _flip(th.log_id_for(KEY.public_key()))},
])
def test_a_changed_field_fails(changes: dict[str, object]) -> None:
    signature = th.sign(KEY, HEAD)
    assert not th.verify(KEY.public_key(), dataclasses.replace(HEAD, **changes), signature)  # type: ignore[arg-type]


def test_a_changed_signature_fails() -> None:
    signature = th.sign(KEY, HEAD)
    for i in range(len(signature)):
        for bit in (0, 7):
            tampered = signature[:i] + bytes([signature[i] ^ (1 << bit)]) + signature[i + 1:]
            assert not th.verify(KEY.public_key(), HEAD, tampered)
    for bad in (b"", signature[:-1], signature + b"\x00", bytes(64)):
        assert not th.verify(KEY.public_key(), HEAD, bad)
    assert not th.verify(KEY.public_key(), HEAD, signature.hex())  # type: ignore[arg-type]


def test_another_key_fails() -> None:
    other = th.generate_private_key()
    assert not th.verify(other.public_key(), HEAD, th.sign(KEY, HEAD))
    assert not th.verify(KEY.public_key(), HEAD, th.sign(other, HEAD))
    assert th.log_id_for(other.public_key()) != HEAD.log_id


def test_keys_round_trip_through_pem_and_base64() -> None:
    key = th.generate_private_key()
    public = key.public_key()
    pem = th.private_key_to_pem(key)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    again = th.private_key_from_pem(pem)
    assert th.public_key_to_raw(again.public_key()) == th.public_key_to_raw(public)
    public_pem = th.public_key_to_pem(public)
    assert public_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert th.public_key_to_raw(th.public_key_from_pem(public_pem)) == th.public_key_to_raw(public)
    text = th.public_key_to_b64(public)
    assert len(text) == 44 and base64.b64decode(text) == th.public_key_to_raw(public)
    restored = th.public_key_from_b64(text)
    signature = th.sign(key, HEAD)
    assert th.verify(restored, HEAD, signature)
    assert th.public_key_to_b64(KEY.public_key()) == base64.b64encode(RFC8032_PUBLIC).decode()


@pytest.mark.parametrize("text", ["", "not base64!", base64.b64encode(bytes(31)).decode(), "é"])
def test_a_bad_base64_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        th.public_key_from_b64(text)


def test_a_pem_of_another_key_type_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    private_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError):
        th.private_key_from_pem(private_pem)
    with pytest.raises(ValueError):
        th.public_key_from_pem(public_pem)

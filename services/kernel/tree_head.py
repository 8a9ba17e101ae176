"""Signed tree heads of the transparency log: what the log commits to, signed with Ed25519.

A tree head says: at ``timestamp_ms`` the log ``log_id`` held ``size`` entries whose RFC 9162 Merkle
tree hash is ``root_hash`` (see ``services.kernel.merkle``).

Signed bytes, fixed binary layout (96 bytes, integers unsigned big-endian, no padding, no lengths):

    offset  size  field
    0       16    the ASCII context ``tlog-tree-head/1`` (``CONTEXT``; names the message and its version)
    16      32    log_id: SHA-256 of the log's raw 32-byte Ed25519 public key (``log_id_for``)
    48      8     size (uint64)
    56      8     timestamp_ms (uint64, milliseconds since the Unix epoch, UTC)
    64      32    root_hash (SHA-256)

Why fixed binary rather than canonical JSON: every field has a fixed width, so there is exactly one
encoding and an offline verifier in any language rebuilds it with a struct pack (Go
``binary.BigEndian``, Java ``ByteBuffer``, JS ``DataView``) with no rules on key order, whitespace,
number formatting or string escaping to agree on. It is the shape of RFC 9162's TreeHeadDataV2
(uint64 timestamp, uint64 tree_size, root hash) with a context prefix and the log id, so a signature
over a tree head can never be taken for a signature over anything else, nor for another log's.

The signature is plain Ed25519 (RFC 8032, 64 bytes) over those 96 bytes. The public key is served as
the standard base64 (with padding) of its raw 32 bytes (``public_key_to_b64``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CONTEXT = b"tlog-tree-head/1"  # 16 bytes, fixed forever for this layout; a new layout takes a new context
HASH_SIZE = 32
SIGNATURE_SIZE = 64
PUBLIC_KEY_SIZE = 32
_LAYOUT = struct.Struct(">16s32sQQ32s")
ENCODED_SIZE = _LAYOUT.size  # 96
_UINT64_MAX = 2**64 - 1


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The log ``log_id`` held ``size`` entries with Merkle root ``root_hash`` at ``timestamp_ms``."""

    size: int
    root_hash: bytes
    timestamp_ms: int
    log_id: bytes

    def __post_init__(self) -> None:
        for name in ("size", "timestamp_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _UINT64_MAX:
                raise ValueError(f"{name} must be an integer in 0..2^64-1")
        for name in ("root_hash", "log_id"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != HASH_SIZE:
                raise ValueError(f"{name} must be {HASH_SIZE} bytes")

    def encode(self) -> bytes:
        """The 96 bytes that are signed (layout in the module docstring)."""
        return _LAYOUT.pack(CONTEXT, self.log_id, self.size, self.timestamp_ms, self.root_hash)

    @classmethod
    def decode(cls, data: bytes) -> TreeHead:
        """The tree head of ``encode``'s bytes; ValueError for anything else."""
        if len(data) != ENCODED_SIZE:
            raise ValueError(f"an encoded tree head is {ENCODED_SIZE} bytes")
        context, log_id, size, timestamp_ms, root_hash = _LAYOUT.unpack(data)
        if context != CONTEXT:
            raise ValueError("not an encoded tree head (wrong context)")
        return cls(size=size, root_hash=root_hash, timestamp_ms=timestamp_ms, log_id=log_id)


def sign(private_key: Ed25519PrivateKey, head: TreeHead) -> bytes:
    """The 64-byte Ed25519 signature over ``head.encode()``."""
    return private_key.sign(head.encode())


def verify(public_key: Ed25519PublicKey, head: TreeHead, signature: bytes) -> bool:
    """Is ``signature`` the key's signature over this tree head? False, never raises, for any bad input."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        public_key.verify(signature, head.encode())
    except InvalidSignature:
        return False
    return True


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def log_id_for(public_key: Ed25519PublicKey) -> bytes:
    """The log id: SHA-256 of the raw 32-byte public key (as RFC 6962's LogID hashes the log's key)."""
    return hashlib.sha256(public_key_to_raw(public_key)).digest()


def private_key_to_pem(private_key: Ed25519PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``); keep it wherever secrets are kept."""
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def private_key_from_pem(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the PEM holds no Ed25519 private key")
    return key


def public_key_to_pem(public_key: Ed25519PublicKey) -> bytes:
    """SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``)."""
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_from_pem(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the PEM holds no Ed25519 public key")
    return key


def public_key_to_raw(public_key: Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of the public key (RFC 8032 encoding)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != PUBLIC_KEY_SIZE:
        raise ValueError(f"a raw Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_key_to_b64(public_key: Ed25519PublicKey) -> str:
    """Standard base64 (with padding, 44 characters) of the raw 32-byte key: the form served to auditors."""
    return base64.b64encode(public_key_to_raw(public_key)).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not standard base64") from exc
    return public_key_from_raw(raw)

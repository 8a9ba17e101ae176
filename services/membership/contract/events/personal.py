"""Personal data in membership events: the sealed envelope and the masked forms readers may see.

Since the v2 events, a person's national ID number, phone, address and WeChat id travel only inside a
``SealedPersonalData``: AES-256-GCM under that person's own data key, which only membership holds
(services/membership/personal_data.py). Everyone else — the store's readers, Kafka, the read models,
partners — gets the masked forms below. Erasing a person destroys their key, so the ciphertext stays
where it is (the hash chain still verifies) but can never be read again.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.membership.contract.events.common import Contact


@dataclass(frozen=True, kw_only=True)
class SealedPersonalData:
    """A person's personal fields as one AES-256-GCM ciphertext (JSON inside), readable only by membership.

    ``key_id`` names the person's data key; the authenticated data binds the ciphertext to the person's id,
    so it cannot be moved to another record. ``nonce`` and ``ciphertext`` (tag included) are base64url.
    """

    key_id: str
    nonce: str
    ciphertext: str
    alg: str = "A256GCM"


def mask_national_id(national_id: str) -> str:
    """Keep region and check digit only: enough to tell two people apart, not to identify one."""
    if not national_id:
        return ""
    return national_id[:3] + "*" * 14 + national_id[-1:]


def mask_phone(phone: str) -> str:
    """The last four digits only (every other digit a ``*``): enough to confirm a number, not to call it."""
    digits = [c for c in phone if c.isdigit()]
    if not digits:
        return ""
    return "*" * max(0, len(digits) - 4) + "".join(digits[-4:])


def masked_contact(contact: Contact) -> Contact:
    """A contact as readers outside membership see it: the phone's last four digits, no address, no WeChat."""
    return Contact(phone=mask_phone(contact.phone))

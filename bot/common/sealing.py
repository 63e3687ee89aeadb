"""Sealed values: personal data a conversation must carry to a later turn without storing it readable.

The complaint form's call-back number is needed when the ticket is filed, turns after it was said,
but Rasa's tracker store, its HTTP API and the event broker must not hold it. The slot keeps it
encrypted and authenticated (Fernet) under a key derived from the identity secret; only the action
server, which has the secret, reads it back. A changed secret makes old seals unreadable, which the
form treats as a number not given.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken

SEALED_PREFIX = "sealed:v1:"


def _fernet(secret: str) -> Fernet:
    if not secret:
        raise ValueError("a secret is required to seal or unseal")
    key = hashlib.sha256(b"sealed-value\0" + secret.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def seal(value: str, secret: str) -> str:
    return SEALED_PREFIX + _fernet(secret).encrypt(value.encode("utf-8")).decode("ascii")


def unseal(value: object, secret: str) -> Optional[str]:
    """The sealed text, or None when `value` is not a seal made with this secret."""
    if not is_sealed(value):
        return None
    try:
        return _fernet(secret).decrypt(value[len(SEALED_PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None

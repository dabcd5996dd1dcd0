"""Encryption at rest for the few things kept only until they are dealt with.

Updates waiting in the inbox (bot.store) hold raw message text until they are answered, so
they are sealed with AES-256-GCM under a key derived from the conversation-reference secret.
A row can only be opened with that secret, and only under the name it was sealed for
(`aad`, e.g. "telegram:1234"), so rows cannot be swapped around undetected.

    seal(key, plaintext, aad) -> bytes     nonce (12 bytes) + ciphertext + tag
    unseal(key, blob, aad) -> bytes        ValueError if the key or name does not match
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def derive(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, so the same secret never keys two different things."""
    return hmac.new(secret, f"signpost/{purpose}/v1".encode(), hashlib.sha256).digest()


def seal(key: bytes, plaintext: bytes, aad: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad.encode())


def unseal(key: bytes, blob: bytes, aad: str) -> bytes:
    if len(blob) <= NONCE_BYTES:
        raise ValueError("sealed value is too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad.encode())
    except InvalidTag:
        raise ValueError("sealed value does not open with this key") from None

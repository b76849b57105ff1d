"""Vendor tokens at rest: AES-256-GCM under a key derived from the data-folder secret, with key ids.

A sealed value is ``<key id>.<base64url(nonce | ciphertext | tag)>``. The key id names the secret
it was sealed with, so after a rotation (the old secret moved to ``secrets/retired/``) old values
still open and are sealed again with the current key (:func:`needs_rekey`). The associated data
binds a value to its row (``user id:provider``): a value copied onto another row does not open.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fithub.core.devices.errors import CredentialsUnreadable

INFO = b"fithub/device-credentials/aes-256-gcm/v1"
NONCE_BYTES = 12


def derive(secret: bytes) -> tuple[str, bytes]:
    """``(key id, 32-byte key)`` for a data-folder secret (the id reveals nothing about the key)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret)
    return hashlib.sha256(b"fithub-key-id:" + key).hexdigest()[:16], key


class CredentialVault:
    """Seals and opens small JSON documents (tokens, OAuth state secrets)."""

    def __init__(self, current: bytes, retired: Sequence[bytes] = ()) -> None:
        self.key_id, key = derive(current)
        self._ciphers: dict[str, AESGCM] = {self.key_id: AESGCM(key)}
        for secret in retired:
            kid, old = derive(secret)
            self._ciphers.setdefault(kid, AESGCM(old))

    def __repr__(self) -> str:
        return f"CredentialVault(key_id={self.key_id!r}, keys={len(self._ciphers)})"

    def seal(self, document: Mapping[str, Any], aad: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(document, separators=(",", ":")).encode()
        sealed = self._ciphers[self.key_id].encrypt(nonce, plaintext, aad.encode())
        return f"{self.key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, value: str, aad: str) -> dict[str, Any]:
        kid, _, payload = value.partition(".")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise CredentialsUnreadable(f"sealed with unknown key {kid!r}")
        try:
            raw = base64.urlsafe_b64decode(payload.encode())
            plaintext = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode())
            document = json.loads(plaintext)
        except (InvalidTag, ValueError) as exc:
            raise CredentialsUnreadable("the sealed value does not open") from exc
        if not isinstance(document, dict):
            raise CredentialsUnreadable("the sealed value is not a document")
        return document

    def needs_rekey(self, value: str) -> bool:
        """True when ``value`` was sealed with a retired key."""
        return value.partition(".")[0] != self.key_id

    @staticmethod
    def key_id_of(value: str) -> str:
        return value.partition(".")[0]

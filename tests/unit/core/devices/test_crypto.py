"""Sealed vendor tokens: AES-GCM with key ids, bound to their row, opening after a key rotation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fithub.core.devices.crypto import CredentialVault
from fithub.core.devices.errors import CredentialsUnreadable
from fithub.core.keys import load_or_create_keys

TOKENS = {"access_token": "at-123", "refresh_token": "rt-456"}


def test_sealed_tokens_open_only_on_their_row_and_hide_the_tokens() -> None:
    vault = CredentialVault(os.urandom(32))
    sealed = vault.seal(TOKENS, "7:oura")
    assert sealed.startswith(vault.key_id + ".")
    assert "at-123" not in sealed and "rt-456" not in sealed
    assert vault.open(sealed, "7:oura") == TOKENS
    with pytest.raises(CredentialsUnreadable):
        vault.open(sealed, "8:oura")  # copied onto another user's row
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(CredentialsUnreadable):
        vault.open(tampered, "7:oura")
    assert vault.seal(TOKENS, "7:oura") != sealed  # a fresh nonce each time


def test_after_a_rotation_old_values_open_and_are_flagged_for_rekeying() -> None:
    old_secret, new_secret = os.urandom(32), os.urandom(32)
    before = CredentialVault(old_secret)
    sealed = before.seal(TOKENS, "1:oura")
    after = CredentialVault(new_secret, retired=[old_secret])
    assert after.key_id != before.key_id
    assert after.open(sealed, "1:oura") == TOKENS and after.needs_rekey(sealed)
    resealed = after.seal(after.open(sealed, "1:oura"), "1:oura")
    assert not after.needs_rekey(resealed)
    with pytest.raises(CredentialsUnreadable, match="unknown key"):
        CredentialVault(new_secret).open(sealed, "1:oura")


def test_retired_secrets_are_read_from_the_data_folder(tmp_path: Path) -> None:
    first = load_or_create_keys(tmp_path)
    retired = tmp_path / "secrets" / "retired"
    retired.mkdir()
    (retired / "2024-01").write_bytes(first.secret_key)
    (tmp_path / "secrets" / "secret_key").unlink()
    second = load_or_create_keys(tmp_path)
    assert second.secret_key != first.secret_key
    assert second.retired_secret_keys == (first.secret_key,)

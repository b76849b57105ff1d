"""Access tokens: keys parsed once, a checked signature remembered, expiry checked on every use."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from fithub.core.errors import InvalidToken
from fithub.core.keys import load_or_create_keys
from fithub.core.security import tokens
from fithub.core.security.tokens import TokenIssuer


@pytest.fixture
def issuer(tmp_path: Path) -> TokenIssuer:
    return TokenIssuer(load_or_create_keys(tmp_path), "fithub", ttl_seconds=60)


def test_a_token_verifies_again_and_again_to_the_same_claims(issuer: TokenIssuer) -> None:
    token, ttl = issuer.issue(7, "s1", "user")
    first = issuer.verify(token)
    assert ttl == 60 and issuer.verify(token) == first
    assert (first.user_id, first.session_id, first.role) == (7, "s1", "user")


def test_a_remembered_token_still_expires(
    issuer: TokenIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = issuer.issue(7, "s1", "user")
    claims = issuer.verify(token)  # checked and remembered
    monkeypatch.setattr(tokens.time, "time", lambda: claims.expires_at + 0.5)
    with pytest.raises(InvalidToken) as caught:
        issuer.verify(token)
    assert caught.value.code == "token_expired"


def test_a_forged_token_is_refused_every_time(issuer: TokenIssuer, tmp_path: Path) -> None:
    other = TokenIssuer(load_or_create_keys(tmp_path / "other"), "fithub", ttl_seconds=60)
    forged, _ = other.issue(7, "s1", "admin")
    for _ in range(2):  # a refusal is not remembered as a success
        with pytest.raises(InvalidToken):
            issuer.verify(forged)


def test_a_tampered_payload_is_refused(issuer: TokenIssuer) -> None:
    token, _ = issuer.issue(7, "s1", "user")
    issuer.verify(token)
    head, _, signature = token.split(".")
    body = jwt.utils.base64url_encode(b'{"sub":"1","sid":"s1","role":"admin"}').decode()
    with pytest.raises(InvalidToken):
        issuer.verify(f"{head}.{body}.{signature}")


def test_the_cache_is_bounded(issuer: TokenIssuer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_CACHE_SIZE", 3)
    issued = [issuer.issue(i, f"s{i}", "user")[0] for i in range(5)]
    for token in issued:
        issuer.verify(token)
    assert list(issuer._verified) == issued[-3:]

"""Access tokens (RS256 JWTs) and refresh-token rotation, checked against the live server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PASSWORD
from tests.integration.helpers import assert_problem, bearer, error_fields, login_ok

ME = "/api/v1/users/me"


@pytest.fixture(scope="module")
def server_private_key(server) -> bytes:
    return (server.data_dir / "secrets" / "jwt_private.pem").read_bytes()


def _claims(user, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "iss": "fithub",
        "sub": str(user.id),
        "sid": user.session_id,
        "role": "user",
        "iat": now,
        "exp": now + 300,
    }
    return claims | overrides


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict, claims: dict) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def _assert_rejected(response, code: str) -> None:
    assert_problem(response, 401, code)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


async def test_a_token_forged_with_the_server_key_is_accepted(api, reader, server_private_key):
    """The control for the tests below: our forging matches what the server issues."""
    token = jwt.encode(_claims(reader), server_private_key, algorithm="RS256")
    response = await api.get(ME, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == reader.id


async def test_expired_token_is_401_token_expired(api, reader, server_private_key):
    past = int(time.time()) - 3600
    token = jwt.encode(
        _claims(reader, iat=past - 900, exp=past), server_private_key, algorithm="RS256"
    )
    _assert_rejected(await api.get(ME, headers=bearer(token)), "token_expired")


async def test_token_signed_by_another_key_is_invalid(api, reader):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(reader), stranger, algorithm="RS256")
    _assert_rejected(await api.get(ME, headers=bearer(token)), "invalid_token")


async def test_token_from_another_issuer_is_invalid(api, reader, server_private_key):
    token = jwt.encode(_claims(reader, iss="evil"), server_private_key, algorithm="RS256")
    _assert_rejected(await api.get(ME, headers=bearer(token)), "invalid_token")


async def test_token_missing_the_session_claim_is_invalid(api, reader, server_private_key):
    claims = _claims(reader)
    del claims["sid"]
    token = jwt.encode(claims, server_private_key, algorithm="RS256")
    _assert_rejected(await api.get(ME, headers=bearer(token)), "invalid_token")


async def test_unsigned_and_hmac_tokens_are_invalid(api, reader, server_private_key):
    """alg=none, and HS256 keyed with the public key (the classic algorithm confusion)."""
    none_token = _unsigned({"alg": "none", "typ": "JWT"}, _claims(reader)) + "."
    _assert_rejected(await api.get(ME, headers=bearer(none_token)), "invalid_token")

    private = serialization.load_pem_private_key(server_private_key, password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = _unsigned({"alg": "HS256", "typ": "JWT"}, _claims(reader))
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hs_token = signing_input + "." + _b64(signature)
    _assert_rejected(await api.get(ME, headers=bearer(hs_token)), "invalid_token")


async def test_token_naming_another_users_session_is_refused(api, reader, user, server_private_key):
    """A validly signed token must still match its session's owner."""
    token = jwt.encode(_claims(reader, sub=str(user.id)), server_private_key, algorithm="RS256")
    _assert_rejected(await api.get(ME, headers=bearer(token)), "session_ended")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Token abc.def.ghi",
    ],
)
async def test_missing_bearer_is_401_with_a_challenge(api, header):
    headers = {} if header is None else {"Authorization": header}
    response = await api.get(ME, headers=headers)
    _assert_rejected(response, "auth_required")


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"])
async def test_garbage_bearer_is_401_with_a_challenge(api, token):
    _assert_rejected(await api.get(ME, headers=bearer(token)), "invalid_token")


# -- refresh rotation -------------------------------------------------------------------------


async def _refresh(api, refresh_token: str):
    return await api.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})


async def test_refresh_returns_a_new_pair_for_the_same_session(api, user):
    response = await _refresh(api, user.refresh_token)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["session_id"] == user.session_id
    assert pair["refresh_token"] != user.refresh_token
    assert pair["access_token"] != user.access_token
    me = await api.get(ME, headers=bearer(pair["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == user.id

    again = await _refresh(api, pair["refresh_token"])  # the new one rotates too
    assert again.status_code == 200, again.text


async def test_reusing_a_refresh_token_revokes_the_whole_family(api, user):
    second = (await _refresh(api, user.refresh_token)).json()
    third = (await _refresh(api, second["refresh_token"])).json()
    assert (await api.get(ME, headers=bearer(third["access_token"]))).status_code == 200

    replay = await _refresh(api, user.refresh_token)
    assert_problem(replay, 401, "refresh_token_reused")

    # Nobody keeps the session: not the newest refresh token, nor any access token of it.
    assert_problem(await _refresh(api, third["refresh_token"]), 401, "session_ended")
    for token in (user.access_token, second["access_token"], third["access_token"]):
        assert_problem(await api.get(ME, headers=bearer(token)), 401, "session_ended")


async def test_reuse_does_not_touch_other_sessions(api, user):
    laptop = await login_ok(api, user.email, PASSWORD)
    await _refresh(api, user.refresh_token)
    assert_problem(await _refresh(api, user.refresh_token), 401, "refresh_token_reused")
    assert (await api.get(ME, headers=bearer(laptop["access_token"]))).status_code == 200
    assert (await _refresh(api, laptop["refresh_token"])).status_code == 200


async def test_unknown_refresh_token_is_401(api):
    assert_problem(await _refresh(api, "x" * 43), 401, "invalid_refresh_token")


async def test_an_access_token_is_not_a_refresh_token(api, user):
    response = await _refresh(api, user.access_token)
    assert error_fields(assert_problem(response, 422, "validation_failed")) == {"refresh_token"}

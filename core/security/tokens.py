"""RS256 access tokens (JWT) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from fithub.core.errors import InvalidToken
from fithub.core.keys import KeyRing

ALGORITHM = "RS256"
VERIFIED_CACHE_SIZE = 4096


@dataclass(frozen=True)
class AccessClaims:
    """What an access token says about its bearer."""

    user_id: int
    session_id: str
    role: str
    expires_at: int


class TokenIssuer:
    """Signs and verifies access JWTs with the key ring's RSA pair.

    The keys are parsed once: PyJWT given PEM text parses (and, for the private key, checks)
    the key on every call, which cost about 50 ms a signature. A token whose signature was
    checked once is remembered (bounded, per process): its signature cannot change, and
    expiry is checked on every use.
    """

    def __init__(self, keys: KeyRing, issuer: str, ttl_seconds: int) -> None:
        private = load_pem_private_key(keys.jwt_private_pem, password=None)
        public = load_pem_public_key(keys.jwt_public_pem)
        if not isinstance(private, RSAPrivateKey) or not isinstance(public, RSAPublicKey):
            raise TypeError("the key ring's JWT keys must be RSA")
        self._private = private
        self._public = public
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: int, session_id: str, role: str) -> tuple[str, int]:
        """Return a signed access token and its lifetime in seconds."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": str(user_id),
            "sid": session_id,
            "role": role,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._private, algorithm=ALGORITHM), self.ttl_seconds

    def verify(self, token: str) -> AccessClaims:
        """Decode and check signature, issuer and expiry; raise InvalidToken otherwise."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._decode(token)
            self._verified[token] = claims
            if len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        if claims.expires_at <= time.time():
            raise InvalidToken("The access token has expired.", code="token_expired")
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._public,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "sid", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("The access token has expired.", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("The access token is invalid.") from exc
        try:
            return AccessClaims(
                user_id=int(payload["sub"]),
                session_id=str(payload["sid"]),
                role=str(payload.get("role", "user")),
                expires_at=int(payload["exp"]),
            )
        except (TypeError, ValueError) as exc:
            raise InvalidToken("The access token is invalid.") from exc


def new_refresh_token() -> str:
    """A random refresh token (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """The stored form of a refresh token: its SHA-256, so a database leak yields no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()

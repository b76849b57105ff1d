"""A notifier that sends push notifications through Firebase Cloud Messaging (HTTP v1 API).

Settings (``FITHUB_NOTIFIER_PUSH_*``, keyed in lower case without the prefix):

- ``service_account_file`` (a path) or ``service_account_json`` (its text): the Google service
  account fithub signs in with (``client_email``, ``private_key``, ``private_key_id``,
  ``project_id``, ``token_uri``);
- ``project_id``: the Firebase project (default: the service account's);
- ``base_url`` (default ``https://fcm.googleapis.com``) and ``token_url`` (default: the service
  account's ``token_uri``): where to reach FCM and Google's OAuth2 token endpoint.

fithub signs an RS256 JWT with the account's key and trades it for an access token (RFC 7523
grant), kept until shortly before it expires and shared by every send of the process: concurrent
sends wait for one fetch. Each message is ``POST {base_url}/v1/projects/{project}/messages:send``
to one registration token (the recipient's address); FCM's message ``name`` is the provider
message id. ``message.data`` rides along as string values, with the idempotency key under
``idempotency_key`` so the app can drop a repeated delivery.

Errors follow FCM's error body (``error.status``, ``details[].errorCode``): an unregistered or
invalid token raises ``RecipientInvalid`` (fithub then forgets the device token); quota, 5xx and
timeouts ``DeliveryRetryLater`` (with ``Retry-After``); a 401 refreshes the access token once and
then gives up; a wrong sender, third-party auth errors and a 403 raise ``DeliveryGaveUp``. Never
logged: the device token, the key, the access token, the message.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from fithub.plugins import (
    DeliveryGaveUp,
    DeliveryResult,
    DeliveryRetryLater,
    Notifier,
    NotifierChannel,
    NotifierContext,
    NotifierError,
    PluginHost,
    Recipient,
    RecipientInvalid,
    RenderedMessage,
    hookimpl,
)
from fithub.plugins.http import parse_retry_after

DEFAULT_BASE_URL = "https://fcm.googleapis.com"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME_S = 3600  # Google's maximum for a JWT grant
REFRESH_MARGIN_S = 60.0  # an access token is renewed this long before it expires
IDEMPOTENCY_DATA_KEY = "idempotency_key"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
RETRY_STATUSES = frozenset({"QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL", "RESOURCE_EXHAUSTED"})
GIVE_UP_CODES = frozenset({"SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR", "APNS_AUTH_ERROR"})
_CODE = re.compile(r"^[A-Z_]{1,40}$")


def _setting_error(message: str) -> NotifierError:
    return NotifierError(f"push notifier: {message}")


@dataclass(frozen=True)
class ServiceAccount:
    """The parts of a Google service-account key file fithub uses."""

    client_email: str
    private_key: RSAPrivateKey
    private_key_id: str | None
    project_id: str | None
    token_uri: str | None

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> ServiceAccount:
        """Read the account from ``service_account_json`` or ``service_account_file``."""
        text = settings.get("service_account_json") or ""
        path = settings.get("service_account_file") or ""
        if not text and path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError:
                raise _setting_error(
                    "cannot read FITHUB_NOTIFIER_PUSH_SERVICE_ACCOUNT_FILE"
                ) from None
        if not text:
            raise _setting_error(
                "set FITHUB_NOTIFIER_PUSH_SERVICE_ACCOUNT_FILE or _SERVICE_ACCOUNT_JSON"
            )
        try:
            info = json.loads(text)
        except ValueError:
            raise _setting_error("the service account is not JSON") from None
        if not isinstance(info, dict):
            raise _setting_error("the service account is not a JSON object")
        email, pem = info.get("client_email"), info.get("private_key")
        if not isinstance(email, str) or not email or not isinstance(pem, str):
            raise _setting_error("the service account lacks client_email or private_key")
        try:
            key = load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError):
            raise _setting_error("the service account's private_key is not a PEM key") from None
        if not isinstance(key, RSAPrivateKey):
            raise _setting_error("the service account's private_key is not an RSA key")

        def text_of(name: str) -> str | None:
            value = info.get(name)
            return value if isinstance(value, str) and value else None

        return cls(
            client_email=email,
            private_key=key,
            private_key_id=text_of("private_key_id"),
            project_id=text_of("project_id"),
            token_uri=text_of("token_uri"),
        )


@dataclass(frozen=True)
class AccessToken:
    """An OAuth2 access token and when (``time.monotonic()``) it stops being used."""

    value: str = ""
    renew_at: float = 0.0

    def fresh(self) -> bool:
        return bool(self.value) and time.monotonic() < self.renew_at


class AccessTokens:
    """Access tokens from a JWT grant, cached until shortly before expiry; one fetch at a time."""

    def __init__(
        self, account: ServiceAccount, token_url: str, session: aiohttp.ClientSession
    ) -> None:
        self.account = account
        self.token_url = token_url
        self.session = session
        self._token = AccessToken()
        self._lock = asyncio.Lock()

    def assertion(self) -> str:
        """A signed JWT asking for the FCM scope (RFC 7523, as Google's auth libraries make it)."""
        now = int(time.time())
        claims = {
            "iss": self.account.client_email,
            "aud": self.token_url,
            "scope": SCOPE,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_S,
        }
        headers = {"kid": self.account.private_key_id} if self.account.private_key_id else None
        return jwt.encode(claims, self.account.private_key, algorithm="RS256", headers=headers)

    async def get(self, stale: str | None = None) -> str:
        """A fresh access token; with ``stale`` (one FCM refused), a new one unless another
        send already replaced it."""
        async with self._lock:
            token = self._token
            if token.fresh() and token.value != stale:
                return token.value
            self._token = AccessToken()
            self._token = await self._fetch()
            return self._token.value

    async def _fetch(self) -> AccessToken:
        form = {"grant_type": GRANT_TYPE, "assertion": self.assertion()}
        async with self.session.post(self.token_url, data=form) as response:
            status = response.status
            if status == 429 or status >= 500:
                wait = parse_retry_after(response.headers.get("Retry-After"))
                raise DeliveryRetryLater(f"Google's token endpoint said later ({status})", wait)
            if status != 200:
                raise DeliveryGaveUp(f"Google refused fithub's service account ({status})")
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = None
        value = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in", ASSERTION_LIFETIME_S) if isinstance(body, dict) else 0
        if not isinstance(value, str) or not value or not isinstance(lifetime, int | float):
            raise DeliveryGaveUp("Google's token endpoint answered without an access token")
        return AccessToken(value, time.monotonic() + float(lifetime) - REFRESH_MARGIN_S)


def _data(message: RenderedMessage) -> dict[str, str]:
    """``message.data`` as FCM takes it: string values, none of its reserved keys."""
    data: dict[str, str] = {}
    for key, value in message.data.items():
        if value is None or key in {"from", "gcm"} or key.lower().startswith("google"):
            continue
        if isinstance(value, str):
            data[key] = value
        elif isinstance(value, bool):
            data[key] = "true" if value else "false"
        elif isinstance(value, int | float):
            data[key] = str(value)
        else:
            data[key] = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    data[IDEMPOTENCY_DATA_KEY] = message.idempotency_key
    return data


def _error_codes(body: Any) -> tuple[str, str, bool]:
    """FCM's ``error.status``, its FcmError ``errorCode`` and whether it is about the token."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", "", False
    status = error.get("status")
    status = status if isinstance(status, str) and _CODE.match(status) else ""
    code, about_token = "", False
    message = error.get("message")
    if isinstance(message, str) and "registration token" in message.lower():
        about_token = True
    for detail in error.get("details") or []:
        if not isinstance(detail, dict):
            continue
        kind = detail.get("@type")
        found = detail.get("errorCode")
        if kind == FCM_ERROR_TYPE and isinstance(found, str) and _CODE.match(found):
            code = code or found
        if kind == BAD_REQUEST_TYPE:
            for violation in detail.get("fieldViolations") or []:
                if isinstance(violation, dict) and violation.get("field") == "message.token":
                    about_token = True
    return status, code, about_token


class PushNotifier:
    """Sends one FCM message per delivery to the recipient's registration token."""

    name: ClassVar[str] = "push"
    display_name: ClassVar[str] = "Push (Firebase Cloud Messaging)"
    channel: ClassVar[NotifierChannel] = "push"

    def __init__(self, context: NotifierContext) -> None:
        settings = context.settings
        self.context = context
        account = ServiceAccount.from_settings(settings)
        project = settings.get("project_id") or account.project_id
        if not project:
            raise _setting_error("set FITHUB_NOTIFIER_PUSH_PROJECT_ID")
        self.project_id = project
        base = (settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.send_url = f"{base}/v1/projects/{project}/messages:send"
        token_url = settings.get("token_url") or account.token_uri or DEFAULT_TOKEN_URL
        self.tokens = AccessTokens(account, token_url, context.session)

    def payload(self, message: RenderedMessage, recipient: Recipient) -> dict[str, Any]:
        """The request body FCM gets for ``message`` to ``recipient``."""
        return {
            "message": {
                "token": recipient.address,
                "notification": {"title": message.title, "body": message.text},
                "data": _data(message),
            }
        }

    async def send(self, message: RenderedMessage, recipient: Recipient) -> DeliveryResult:
        """Send the message once; FCM's answer decides the error (never naming the token)."""
        if not recipient.address or any(c.isspace() for c in recipient.address):
            raise RecipientInvalid("the recipient is not an FCM registration token")
        payload = self.payload(message, recipient)
        try:
            async with asyncio.timeout(self.context.timeout_s):
                token = await self.tokens.get()
                name = await self._post(payload, token)
                if name is None:  # FCM refused the access token: fetch a new one, try once more
                    token = await self.tokens.get(stale=token)
                    name = await self._post(payload, token)
                    if name is None:
                        raise DeliveryGaveUp("FCM refused a fresh access token (401)")
        except TimeoutError:
            raise DeliveryRetryLater("FCM did not answer in time") from None
        except aiohttp.ClientError as exc:
            raise DeliveryRetryLater(f"could not reach FCM ({type(exc).__name__})") from None
        self.context.logger.info("push sent: %s", name)
        return DeliveryResult(provider_message_id=name)

    async def _post(self, payload: dict[str, Any], token: str) -> str | None:
        """POST the message: FCM's name for it, None when FCM refused the access token (401);
        raise for the other errors."""
        headers = {"Authorization": f"Bearer {token}"}
        async with self.context.session.post(self.send_url, json=payload, headers=headers) as resp:
            status = resp.status
            try:
                body = await resp.json(content_type=None)
            except ValueError:
                body = None
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        if status == 200:
            name = body.get("name") if isinstance(body, dict) else None
            if not isinstance(name, str) or not name:
                raise DeliveryGaveUp("FCM accepted the message without naming it")
            return name
        error, code, about_token = _error_codes(body)
        said = f"{status} {code or error or 'no error code'}"
        if code in GIVE_UP_CODES:
            raise DeliveryGaveUp(f"FCM refused fithub's sender credentials ({said})")
        if code == "UNREGISTERED" or status == 404:
            raise RecipientInvalid(f"FCM no longer knows the registration token ({said})")
        if status == 400 and about_token:
            raise RecipientInvalid(f"FCM says the registration token is invalid ({said})")
        if status == 401:
            return None
        if status == 429 or status >= 500 or code in RETRY_STATUSES or error in RETRY_STATUSES:
            raise DeliveryRetryLater(f"FCM said try later ({said})", retry_after)
        raise DeliveryGaveUp(f"FCM refused the message ({said})")


@hookimpl
def register_notifiers(host: PluginHost) -> list[type[Notifier]]:
    return [PushNotifier]

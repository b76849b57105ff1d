"""Strava webhooks: the ``hub.challenge`` handshake, and unsigned activity/athlete events.

Strava signs nothing, so every call must prove itself with what only fithub and Strava know
(all from ``FITHUB_STRAVA_OPTIONS``; a call is refused while any of them is missing):

- ``callback_token``: a secret carried as ``?token=`` in the callback URL given to Strava when
  subscribing (``callback_url=https://…/api/v1/webhooks/strava?token=<secret>``), on every call;
- ``verify_token``: the handshake's ``hub.verify_token`` (the subscription is being made);
- ``subscription_id``: every event's ``subscription_id`` (known once the subscription exists).

Each is compared in constant time. A ``delete`` or a deauthorization is still confirmed with
Strava before fithub acts on it (fithub core does that for providers whose pushes are unsigned).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.strava.const import SUBSCRIPTION_ID_OPTION, VERIFY_TOKEN_OPTION
from fithub.plugins.types import DataType, PushEvent, PushRequest, PushResult
from fithub.plugins.webhooks import check_callback_token, same_secret

OBJECT_TYPES = frozenset({"activity", "athlete"})
ASPECT_TYPES = frozenset({"create", "update", "delete"})


def handshake(request: PushRequest, options: Mapping[str, str]) -> PushResult:
    """``GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`` -> echo the challenge."""
    expected = options.get(VERIFY_TOKEN_OPTION, "")
    if not expected:
        raise ProviderError("Strava webhook: no verify_token is configured")
    if request.query.get("hub.mode") != "subscribe":
        raise ProviderError("Strava webhook: hub.mode is not 'subscribe'")
    if not same_secret(request.query.get("hub.verify_token", ""), expected):
        raise ProviderError("Strava webhook: hub.verify_token does not match")
    challenge = request.query.get("hub.challenge", "")
    if not challenge:
        raise ProviderError("Strava webhook: the handshake has no hub.challenge")
    return PushResult(status=200, body={"hub.challenge": challenge})


def _ident(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise ValueError(f"{key} is missing")
    return str(value).strip()


def _deauthorized(updates: Any) -> bool:
    """Athlete ``update`` with ``updates: {"authorized": "false"}``: the grant was withdrawn."""
    if not isinstance(updates, Mapping):
        return False
    value = updates.get("authorized")
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def event(body: Any, options: Mapping[str, str]) -> tuple[PushEvent, ...]:
    """The fithub events one Strava event stands for (none for athlete changes fithub ignores)."""
    if not isinstance(body, Mapping):
        raise ValueError("the event is not a JSON object")
    expected = options.get(SUBSCRIPTION_ID_OPTION, "").strip()
    if not expected:
        raise ProviderError("Strava webhook: no subscription_id is configured")
    if not same_secret(_ident(body, "subscription_id"), expected):
        raise ProviderError("Strava webhook: the event is for another subscription")
    object_type, aspect = body.get("object_type"), body.get("aspect_type")
    if object_type not in OBJECT_TYPES or aspect not in ASPECT_TYPES:
        raise ValueError(f"unknown object_type/aspect_type {object_type!r}/{aspect!r}")
    owner = _ident(body, "owner_id")
    object_id = _ident(body, "object_id")
    if object_type == "athlete":
        if aspect == "update" and _deauthorized(body.get("updates")):
            return (PushEvent(owner, None, action="deauthorize"),)
        return ()
    if aspect == "delete":
        return (PushEvent(owner, DataType.ACTIVITIES, action="delete", object_id=object_id),)
    return (PushEvent(owner, DataType.ACTIVITIES, action="upsert", object_id=object_id),)


def handle(request: PushRequest, options: Mapping[str, str]) -> PushResult:
    """Verify and parse one call to fithub's Strava webhook; ProviderError when it is refused."""
    check_callback_token(request, options, "Strava")
    method = request.method.upper()
    if method == "GET":
        return handshake(request, options)
    if method != "POST":
        raise ProviderError(f"Strava webhook: {method} is not a Strava call")
    try:
        events = event(json.loads(request.body), options)
    except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError included
        raise ProviderMalformedResponse(f"Strava webhook body is unreadable: {exc}") from exc
    return PushResult(status=200, events=events)

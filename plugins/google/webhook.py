"""Google Health webhooks: the subscriber verification handshake and change notifications.

Google POSTs JSON to the subscriber's endpoint with the configured ``endpointAuthorization.secret``
as the whole ``Authorization`` header (e.g. ``Bearer s3cret``):

- verification: ``{"type": "verification"}`` twice, once with the header (Google expects 201)
  and once without (Google expects 401 or 403). Both answers are returned as a PushResult, so the
  handshake passes whatever the webhook route does with errors; a wrong secret gets 403.
- notifications: a JSON array (a single object is accepted too) of
  ``{"data": {"healthUserId", "operation": "UPSERT"|"DELETE", "dataType", "intervals": [
  {"physicalTimeInterval": {"startTime", "endTime"}}, ...]}}``. They only say what changed, so
  each becomes a PushEvent with the changed window for fithub to fetch; one without the secret
  raises ProviderError. The answer is 204.

The ``X-HEALTHAPI-SIGNATURE`` (also documented as ``GOOGLE-HEALTH-API-SIGNATURE``) ECDSA P-256
signature is NOT verified: Google does not document where its public key is published.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.google.const import (
    NOTIFIED_STATUS,
    PUSH_DATA_TYPES,
    RECOMPUTED_ON_DELETE,
    VERIFIED_STATUS,
)
from fithub.plugins.google.mapping import moment
from fithub.plugins.types import DataType, PushEvent, PushRequest, PushResult


def authorized(header: str | None, secret: str) -> bool:
    """The Authorization header is exactly the configured secret (compared in constant time)."""
    if not header or not secret:
        return False
    return hmac.compare_digest(header.strip().encode(), secret.strip().encode())


def _window(intervals: Any) -> tuple[datetime | None, datetime | None]:
    """The span of every ``physicalTimeInterval`` in a notification (None, None when none)."""
    if intervals is None:
        return None, None
    if not isinstance(intervals, list):
        raise ValueError("intervals is not a list")
    starts: list[datetime] = []
    ends: list[datetime] = []
    for entry in intervals:
        if not isinstance(entry, Mapping):
            raise ValueError("an interval is not an object")
        physical = entry.get("physicalTimeInterval")
        if not isinstance(physical, Mapping):
            continue  # civil-only intervals: fithub fetches its look-back window instead
        starts.append(moment(physical.get("startTime"), "physicalTimeInterval.startTime"))
        ends.append(moment(physical.get("endTime"), "physicalTimeInterval.endTime"))
    if not starts:
        return None, None
    return min(starts), max(ends)


def _event(envelope: Any) -> PushEvent | None:
    """One notification -> a PushEvent (None for a data type fithub does not sync)."""
    if not isinstance(envelope, Mapping) or not isinstance(envelope.get("data"), Mapping):
        raise ValueError("a notification has no 'data' object")
    data = envelope["data"]
    user, operation, kind = data.get("healthUserId"), data.get("operation"), data.get("dataType")
    if not isinstance(user, str) or not user:
        raise ValueError("healthUserId is missing")
    if operation not in ("UPSERT", "DELETE"):
        raise ValueError(f"operation {operation!r} is neither UPSERT nor DELETE")
    if not isinstance(kind, str) or not kind:
        raise ValueError("dataType is missing")
    start, end = _window(data.get("intervals"))
    data_type = PUSH_DATA_TYPES.get(kind.strip().lower().replace("_", "-"))
    if data_type is None:
        return None
    # A deleted step or calorie changes the day's totals: fetch the day again instead.
    delete = operation == "DELETE" and data_type not in RECOMPUTED_ON_DELETE
    return PushEvent(external_user_id=user, data_type=data_type,
                     action="delete" if delete else "upsert", start=start, end=end)  # fmt: skip


def _merge(events: list[PushEvent]) -> tuple[PushEvent, ...]:
    """One event per (user, data type, action), its window the union of theirs."""
    merged: dict[tuple[str, DataType | None, str], PushEvent] = {}
    for event in events:
        key = (event.external_user_id, event.data_type, event.action)
        seen = merged.get(key)
        if seen is None:
            merged[key] = event
            continue
        if seen.start is None or event.start is None or seen.end is None or event.end is None:
            start = end = None  # one of them has no window: fetch the look-back window
        else:
            start, end = min(seen.start, event.start), max(seen.end, event.end)
        merged[key] = PushEvent(seen.external_user_id, seen.data_type, seen.action,
                                start=start, end=end)  # fmt: skip
    return tuple(merged.values())


def handle(request: PushRequest, secret: str) -> PushResult:
    """Answer the handshake or turn notifications into events (see the module docstring)."""
    if not secret:
        raise ProviderError("Google Health webhook: no webhook_secret is configured to check it")
    header = request.headers.get("authorization")
    try:
        body = json.loads(request.body) if request.body.strip() else None
    except ValueError:
        body = None
        if not authorized(header, secret):
            raise ProviderError("Google Health webhook: Authorization does not match") from None
        raise ProviderMalformedResponse("Google Health webhook: the body is not JSON") from None
    if isinstance(body, Mapping) and body.get("type") == "verification":
        if not header:
            return PushResult(status=401, body={"error": "missing Authorization"})
        if not authorized(header, secret):
            return PushResult(status=403, body={"error": "Authorization does not match"})
        return PushResult(status=VERIFIED_STATUS)
    if not authorized(header, secret):
        raise ProviderError("Google Health webhook: Authorization does not match")
    envelopes = body if isinstance(body, list) else [body]
    try:
        events = [event for event in map(_event, envelopes) if event is not None]
    except ValueError as exc:
        raise ProviderMalformedResponse(f"Google Health webhook body is unreadable: {exc}") from exc
    return PushResult(status=NOTIFIED_STATUS, events=_merge(events))

"""Oura webhook verification: the signature over timestamp + body, and a fresh timestamp."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from fithub.plugins.errors import ProviderError
from fithub.plugins.oura import const

MS_ABOVE = 100_000_000_000  # a Unix time above this is in milliseconds (after 1973 in ms)


def sent_at(timestamp: str) -> datetime:
    """When Oura signed the push: ``x-oura-timestamp`` in Unix seconds (milliseconds and ISO 8601
    are read too); ProviderError when it is none of these."""
    text = timestamp.strip()
    try:
        if text.lstrip("-").isdigit():
            number = int(text)
            return datetime.fromtimestamp(number / 1000 if number > MS_ABOVE else number, UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ProviderError("Oura webhook: the timestamp is not a time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify(headers: Mapping[str, str], body: bytes, secret: str, now: datetime) -> None:
    """Refuse (ProviderError) a push whose signature does not match or whose signed timestamp is
    more than :data:`const.WEBHOOK_TOLERANCE` from ``now``, either way (a replay)."""
    timestamp = headers.get(const.TIMESTAMP_HEADER, "")
    signature = headers.get(const.SIGNATURE_HEADER, "")
    if not timestamp or not signature:
        raise ProviderError("Oura webhook without its signature headers")
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(digest.lower().encode(), signature.strip().lower().encode()):
        raise ProviderError("Oura webhook signature does not match")
    if abs(now - sent_at(timestamp)) > const.WEBHOOK_TOLERANCE:
        raise ProviderError("Oura webhook timestamp is too old (or ahead): a replay?")

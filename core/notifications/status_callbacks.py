"""Delivery reports a channel sends later (an SMS "delivered"): checked by the notifier, then stored.

The notifier (its ``StatusCallbacks`` capability, plugins/notifier.py) verifies the request, which
some channels sign over the URL they called. Behind a reverse proxy fithub sees another URL than
the channel called, so :func:`called_urls` rebuilds it from ``X-Forwarded-Proto`` and
``X-Forwarded-Host`` - believed only from a proxy listed in ``FITHUB_TRUSTED_PROXIES``, the rule of
``client_info`` (core/auth.py) - and offers the URL under ``FITHUB_PUBLIC_URL`` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from fithub.core.errors import Forbidden, NotFound
from fithub.core.notifications.channels import ChannelSet
from fithub.core.notifications.models import Delivery, DeliveryStatus
from fithub.plugins.notifier import StatusCallbacks, StatusUpdate

#: A report may change a delivery the channel accepted (or an earlier report), nothing else.
REPORTABLE = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


def _last(value: str | None) -> str | None:
    """The hop the nearest proxy added to a comma-separated forwarded header."""
    if not value:
        return None
    hops = [hop.strip() for hop in value.split(",") if hop.strip()]
    return hops[-1] if hops else None


def called_urls(
    url: str,
    *,
    remote_addr: str | None,
    headers: Mapping[str, str],
    trusted_proxies: Sequence[str],
    public_url: str,
) -> list[str]:
    """The URLs the channel may have called for this request ``url``, the likeliest first
    (``headers`` keyed in lower case)."""
    parts = urlsplit(url)
    if remote_addr is not None and remote_addr in trusted_proxies:
        proto = (_last(headers.get("x-forwarded-proto")) or "").lower()
        host = _last(headers.get("x-forwarded-host"))
        parts = parts._replace(
            scheme=proto if proto in ("http", "https") else parts.scheme,
            netloc=host or parts.netloc,
        )
    candidates = [urlunsplit(parts)]
    public = urlsplit(public_url.rstrip("/"))
    if public.scheme and public.netloc:
        path = public.path + parts.path
        candidates.append(urlunsplit((public.scheme, public.netloc, path, parts.query, "")))
    return list(dict.fromkeys(candidates))


def verify(
    channels: ChannelSet,
    name: str,
    urls: Sequence[str],
    form: Mapping[str, str],
    headers: Mapping[str, str],
) -> list[StatusUpdate]:
    """The updates a genuine callback for channel ``name`` reports.

    404 when the channel is not configured or takes no callbacks, 403 when no URL verifies.
    """
    notifier = channels.get(name)
    if notifier is None or not isinstance(notifier, StatusCallbacks):
        raise NotFound(f"The {name} channel takes no status callbacks here.")
    reason = "the callback could not be verified"
    for url in urls:
        try:
            return notifier.status_updates(url, form, headers)
        except ValueError as exc:
            reason = str(exc) or reason
    raise Forbidden(f"Status callback refused: {reason}.", code="callback_unverified")


async def apply(channel: str, updates: Sequence[StatusUpdate]) -> int:
    """Mark the deliveries the updates name delivered or failed; how many rows changed."""
    changed = 0
    for update in updates:
        status = DeliveryStatus(update.status)
        values: dict[str, object] = {"status": status}
        if status == DeliveryStatus.FAILED:
            values["last_error"] = update.error or "undelivered"
        changed += await Delivery.filter(
            channel=channel,
            provider_message_id=update.provider_message_id,
            status__in=REPORTABLE,
        ).update(**values)
    return changed


async def receive(
    channels: ChannelSet,
    name: str,
    urls: Sequence[str],
    form: Mapping[str, str],
    headers: Mapping[str, str],
) -> int:
    """Verify a status callback for channel ``name`` and store what it reports; rows changed."""
    return await apply(name, verify(channels, name, urls, form, headers))

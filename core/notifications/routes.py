"""HTTP routes for ``/api/v1/notifications``: the inbox, deliveries, preferences and contacts.

Thin wrappers that validate, call one service (queries.py, contacts.py, preferences.py,
status_callbacks.py) and shape replies. Two routes take no token: the one-click unsubscribe link
of notification e-mails (RFC 8058; its token names the person) and the channels' status callbacks
(the notifier verifies them). Both take form-encoded bodies, not JSON.
"""

from __future__ import annotations

import html
from typing import Any

from quart import Blueprint, Response, request
from quart_schema import (
    DataSource,
    tag,
    validate_querystring,
    validate_request,
)

from fithub.core.auth import current_user, require_auth
from fithub.core.notifications import contacts, preferences, queries, status_callbacks
from fithub.core.notifications.kinds import Kind
from fithub.core.notifications.models import NotificationSettings, PushToken
from fithub.core.notifications.schemas import (
    ChannelList,
    ChannelOut,
    DeliveryList,
    MarkedRead,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    OneClick,
    PreferenceChanges,
    PreferenceRow,
    PreferenceTable,
    PushTokenIn,
    PushTokenList,
    PushTokenOut,
    QuietHours,
    SettingsOut,
    SettingsUpdate,
    UnreadCount,
    UnsubscribeQuery,
)
from fithub.core.openapi import problems, raw_query, responds
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime
from fithub.core.workouts.ids import ids_in_range

bp = Blueprint("notifications", __name__, url_prefix="/api/v1")
bp.before_request(ids_in_range)
TAG = ["notifications"]
HTML = "text/html"
HTML_SCHEMA = {"type": "string"}
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"


# -- the inbox ----------------------------------------------------------------------------------


@bp.get("/notifications")
@tag(TAG)
@require_auth()
@validate_querystring(NotificationQuery)
@validate_response(NotificationPage)
async def list_notifications(query_args: NotificationQuery) -> dict[str, Any]:
    """Your inbox, newest first, without dismissed items; ``?unread=true`` for unread ones only."""
    return await queries.list_inbox(current_user().id, query_args)


@bp.get("/notifications/unread-count")
@tag(TAG)
@require_auth()
@validate_response(UnreadCount)
async def unread_count() -> UnreadCount:
    """How many inbox items you have not read yet."""
    return UnreadCount(unread=await queries.unread_count(current_user().id))


@bp.post("/notifications/<int:notification_id>/read")
@tag(TAG)
@require_auth()
@validate_response(NotificationOut)
async def mark_read(notification_id: int) -> NotificationOut:
    """Mark one inbox item read (again: no change)."""
    found = await queries.mark_read(current_user().id, notification_id)
    return queries.notification_out(found)


@bp.post("/notifications/read-all")
@tag(TAG)
@require_auth()
@validate_response(MarkedRead)
async def mark_all_read() -> MarkedRead:
    """Mark every inbox item read."""
    return MarkedRead(marked=await queries.mark_all_read(current_user().id))


@bp.post("/notifications/<int:notification_id>/dismiss")
@tag(TAG)
@require_auth()
async def dismiss(notification_id: int) -> Response:
    """Remove an item from your inbox (it also counts as read)."""
    await queries.dismiss(current_user().id, notification_id)
    return Response(status=204)


@bp.get("/notifications/<int:notification_id>/deliveries")
@tag(TAG)
@require_auth()
@validate_response(DeliveryList)
async def list_deliveries(notification_id: int) -> DeliveryList:
    """How each channel (e-mail, push, SMS...) fared with one of your notifications."""
    return DeliveryList(items=await queries.deliveries_of(current_user().id, notification_id))


# -- preferences ----------------------------------------------------------------------------------


def _table(chosen: dict[tuple[str, str], bool]) -> PreferenceTable:
    rows = [PreferenceRow.model_validate(row) for row in preferences.preference_table(chosen)]
    return PreferenceTable(items=rows)


@bp.get("/notifications/preferences")
@tag(TAG)
@require_auth()
@validate_response(PreferenceTable)
async def get_preferences() -> PreferenceTable:
    """Every kind of notification with each channel (inapp, email, push, sms) on or off."""
    return _table(await preferences.choices(current_user().id))


@bp.put("/notifications/preferences")
@tag(TAG)
@require_auth()
@validate_request(PreferenceChanges)
@validate_response(PreferenceTable)
async def update_preferences(data: PreferenceChanges) -> PreferenceTable:
    """Switch channels on or off per kind: a list of ``{kind, channel, enabled}``, all or none.

    Unknown kinds or channels, and switching off account and security e-mail, are refused (422)."""
    user_id = current_user().id
    await preferences.set_choices(user_id, [(c.kind, c.channel, c.enabled) for c in data.root])
    return _table(await preferences.choices(user_id))


# -- settings, push tokens, channels --------------------------------------------------------------


def _settings_out(found: NotificationSettings) -> SettingsOut:
    quiet = None
    if found.quiet_start is not None and found.quiet_end is not None:
        quiet = QuietHours(
            start=found.quiet_start.strftime("%H:%M"), end=found.quiet_end.strftime("%H:%M")
        )
    return SettingsOut(
        quiet_hours=quiet, phone_number=found.phone_number, timezone=current_user().timezone
    )


@bp.get("/notifications/settings")
@tag(TAG)
@require_auth()
@validate_response(SettingsOut)
async def get_settings() -> SettingsOut:
    """Your quiet hours and phone number."""
    return _settings_out(await preferences.settings_of(current_user().id))


@bp.put("/notifications/settings")
@tag(TAG)
@require_auth()
@validate_request(SettingsUpdate)
@validate_response(SettingsOut)
async def update_settings(data: SettingsUpdate) -> SettingsOut:
    """Set quiet hours (``HH:MM`` in your time zone) and the phone number for SMS (E.164).

    Only the fields sent change; null clears one. A number that is not valid is refused (422)."""
    changes: dict[str, Any] = {}
    if "quiet_hours" in data.model_fields_set:
        quiet = data.quiet_hours
        changes["quiet_hours"] = None if quiet is None else (quiet.start, quiet.end)
    if "phone_number" in data.model_fields_set:
        changes["phone_number"] = data.phone_number
    return _settings_out(await contacts.update_settings(current_user().id, **changes))


def _token_out(token: PushToken) -> PushTokenOut:
    return PushTokenOut.model_validate(token, from_attributes=True)


@bp.post("/notifications/push-tokens")
@tag(TAG)
@require_auth()
@validate_request(PushTokenIn)
@validate_response(PushTokenOut, 201)
@validate_response(PushTokenOut, 200)
async def register_push_token(data: PushTokenIn) -> tuple[PushTokenOut, int]:
    """Register a device for push notifications: 201, or 200 when the token was known (it moves
    to you if another account had it)."""
    token, created = await contacts.register_push_token(
        current_user().id, data.token, data.platform, data.device_name
    )
    return _token_out(token), 201 if created else 200


@bp.get("/notifications/push-tokens")
@tag(TAG)
@require_auth()
@validate_response(PushTokenList)
async def list_push_tokens() -> PushTokenList:
    """Your devices registered for push, newest first (the tokens themselves are not shown)."""
    return PushTokenList(
        items=[_token_out(t) for t in await contacts.push_tokens(current_user().id)]
    )


@bp.delete("/notifications/push-tokens/<int:token_id>")
@tag(TAG)
@require_auth()
async def delete_push_token(token_id: int) -> Response:
    """Stop sending push notifications to one device."""
    await contacts.remove_push_token(current_user().id, token_id)
    return Response(status=204)


@bp.get("/notifications/channels")
@tag(TAG)
@require_auth()
@validate_response(ChannelList)
async def list_channels() -> ChannelList:
    """The channels this server can deliver on, and why the others cannot."""
    status = runtime().notifications.channels.status()
    items = [ChannelOut(name=n, configured=r is None, reason=r) for n, r in status.items()]
    return ChannelList(items=items)


# -- without a token: one-click unsubscribe, channel status callbacks ------------------------------


def _page(title: str, body: str) -> Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
        "</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    response = Response(text, status=200, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


def _about(kind: Kind) -> str:
    return f"<p>E-mails about: <strong>{html.escape(kind.description)}</strong></p>"


@bp.get("/notifications/unsubscribe/<token>")
@tag(TAG)
@validate_querystring(UnsubscribeQuery)
@responds(200, "A page with a button that unsubscribes (nothing changes yet).", HTML, HTML_SCHEMA)
async def unsubscribe_page(token: str, query_args: UnsubscribeQuery) -> Response:
    """The unsubscribe link of a notification e-mail, opened in a browser: asks to confirm."""
    _, kind = await contacts.unsubscribe_target(token, query_args.kind)
    form = (
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Stop these e-mails?", _about(kind) + form)


@bp.post("/notifications/unsubscribe/<token>")
@tag(TAG)
@validate_querystring(UnsubscribeQuery)
@validate_request(OneClick, source=DataSource.FORM)
@responds(200, "Unsubscribed: a page saying so.", HTML, HTML_SCHEMA)
async def unsubscribe(token: str, query_args: UnsubscribeQuery, data: OneClick) -> Response:
    """One-click unsubscribe (RFC 8058): no more e-mails of that kind for the link's owner.

    The body is form-encoded ``List-Unsubscribe=One-Click``; 404 for a link that is not valid."""
    kind = await contacts.unsubscribe(token, query_args.kind)
    text = "<p>You will not get these e-mails any more. Change this in the app's settings.</p>"
    return _page("Unsubscribed", _about(kind) + text)


@bp.post("/notifications/channels/<name>/status")
@tag(TAG)
@raw_query
@responds(204, "Stored (a state that needs nothing stored is accepted too).")
@problems(403)
async def channel_status(name: str) -> Response:
    """A channel's delivery report (an SMS status callback): the notifier verifies it (403 if not
    genuine); 404 when the channel takes no callbacks. Point the channel's callback URL here."""
    settings = runtime().settings
    headers = {key.lower(): value for key, value in request.headers.items()}
    urls = status_callbacks.called_urls(
        request.url,
        remote_addr=request.remote_addr,
        headers=headers,
        trusted_proxies=settings.trusted_proxies,
        public_url=settings.public_url,
    )
    form = {key: value for key, value in (await request.form).items()}
    await status_callbacks.receive(runtime().notifications.channels, name, urls, form, headers)
    return Response(status=204)

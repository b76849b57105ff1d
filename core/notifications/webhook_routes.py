"""HTTP routes for outbound webhooks: endpoints, their secrets, test events, deliveries, the catalogue.

Thin wrappers over core/notifications/webhooks.py; docs/webhooks-outbound.md is the guide.
"""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import current_user, require_auth
from fithub.core.errors import ValidationFailed
from fithub.core.notifications import webhooks
from fithub.core.notifications.webhook_events import CATALOGUE
from fithub.core.notifications.webhook_schemas import (
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EndpointUpdate,
    EventTypeList,
    EventTypeOut,
    RecoverIn,
    RecoverOut,
    RotateIn,
    RotateOut,
    TestSent,
    WebhookAttemptOut,
    WebhookDeliveryDetail,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookDeliveryQuery,
)
from fithub.core.openapi import problems
from fithub.core.pagination import PageQuery, paginate
from fithub.core.responses import validate_response
from fithub.core.runtime import runtime

bp = Blueprint("outbound_webhooks", __name__, url_prefix="/api/v1/webhooks")
TAG = ["outbound webhooks"]
ENDPOINT = "/endpoints/<int:endpoint_id>"
DELIVERY = ENDPOINT + "/deliveries/<int:delivery_id>"


def _policy() -> webhooks.UrlPolicy:
    rt = runtime()
    return webhooks.UrlPolicy.of(rt.settings, rt.notifications.channels.environ)


@bp.get("/event-types")
@tag(TAG)
@require_auth()
@validate_response(EventTypeList)
async def list_webhook_event_types() -> EventTypeList:
    """The event catalogue: each type's meaning, version and the JSON Schema of its data."""
    return EventTypeList(
        items=[
            EventTypeOut(
                name=t.name, description=t.description, version=t.version, data_schema=t.schema()
            )
            for t in CATALOGUE.values()
        ]
    )


@bp.post("/endpoints")
@tag(TAG)
@require_auth()
@validate_request(EndpointIn)
@validate_response(EndpointCreated, 201)
async def create_webhook_endpoint(data: EndpointIn) -> tuple[EndpointCreated, int]:
    """Register an endpoint; the answer holds its signing secret, shown this once only."""
    endpoint, secret = await webhooks.create_endpoint(
        runtime().notifications.vault,
        _policy(),
        current_user(),
        url=data.url,
        event_types=data.event_types,
        description=data.description,
        all_users=data.all_users,
    )
    shown = EndpointOut.of(endpoint).model_dump()
    return EndpointCreated(**shown, secret=secret), 201


@bp.get("/endpoints")
@tag(TAG)
@require_auth()
@validate_querystring(PageQuery)
@validate_response(EndpointPage)
async def list_webhook_endpoints(query_args: PageQuery) -> EndpointPage:
    """Your endpoints, newest first (never their secrets)."""
    page = await paginate(webhooks.endpoints_of(current_user()), query_args, EndpointOut.of)
    return EndpointPage(**page)


@bp.get(ENDPOINT)
@tag(TAG)
@require_auth()
@validate_response(EndpointOut)
async def get_webhook_endpoint(endpoint_id: int) -> EndpointOut:
    """One of your endpoints."""
    return EndpointOut.of(await webhooks.owned_endpoint(current_user(), endpoint_id))


@bp.patch(ENDPOINT)
@tag(TAG)
@require_auth()
@validate_request(EndpointUpdate)
@validate_response(EndpointOut)
async def update_webhook_endpoint(endpoint_id: int, data: EndpointUpdate) -> EndpointOut:
    """Change an endpoint; ``enabled: true`` re-enables one disabled for failing or by a 410."""
    try:
        changes = data.changes()
    except ValueError as exc:
        field = str(exc).split()[0]
        raise ValidationFailed(
            str(exc), errors=[{"field": field, "message": "cannot be null", "type": "null"}]
        ) from exc
    endpoint = await webhooks.update_endpoint(_policy(), current_user(), endpoint_id, changes)
    return EndpointOut.of(endpoint)


@bp.delete(ENDPOINT)
@tag(TAG)
@require_auth()
async def delete_webhook_endpoint(endpoint_id: int) -> Response:
    """Remove one of your endpoints and its deliveries."""
    await webhooks.delete_endpoint(current_user(), endpoint_id)
    return Response(status=204)


@bp.post(ENDPOINT + "/rotate-secret")
@tag(TAG)
@require_auth()
@validate_request(RotateIn)
@validate_response(RotateOut)
async def rotate_webhook_secret(endpoint_id: int, data: RotateIn) -> RotateOut:
    """A new signing secret (shown once); the previous one also signs for ``overlap_s``."""
    endpoint, secret = await webhooks.rotate_secret(
        runtime().notifications.vault, current_user(), endpoint_id, data.overlap_s
    )
    return RotateOut(secret=secret, rotation_ends_at=endpoint.rotation_ends_at)


@bp.post(ENDPOINT + "/test")
@tag(TAG)
@require_auth()
@validate_response(TestSent, 202)
@problems(409)
async def send_webhook_test(endpoint_id: int) -> tuple[TestSent, int]:
    """Send an ``endpoint.test`` event to the endpoint now; follow it by its delivery id."""
    delivery = await webhooks.send_test(current_user(), endpoint_id)
    return TestSent(delivery_id=delivery.id), 202


@bp.get(ENDPOINT + "/deliveries")
@tag(TAG)
@require_auth()
@validate_querystring(WebhookDeliveryQuery)
@validate_response(WebhookDeliveryPage)
async def list_webhook_deliveries(
    endpoint_id: int, query_args: WebhookDeliveryQuery
) -> WebhookDeliveryPage:
    """The endpoint's deliveries, newest first; filter by status."""
    query = await webhooks.deliveries_of(current_user(), endpoint_id, query_args.status)
    return WebhookDeliveryPage(**await paginate(query, query_args, WebhookDeliveryOut.of))


@bp.get(DELIVERY)
@tag(TAG)
@require_auth()
@validate_response(WebhookDeliveryDetail)
async def get_webhook_delivery(endpoint_id: int, delivery_id: int) -> WebhookDeliveryDetail:
    """One delivery with its body and its attempt log."""
    delivery, attempts = await webhooks.delivery_of(current_user(), endpoint_id, delivery_id)
    return WebhookDeliveryDetail(
        **WebhookDeliveryOut.of(delivery).model_dump(),
        payload=delivery.payload,
        attempt_log=[WebhookAttemptOut.of(a) for a in attempts],
    )


@bp.post(DELIVERY + "/replay")
@tag(TAG)
@require_auth()
@validate_response(WebhookDeliveryOut, 202)
@problems(409)
async def replay_webhook_delivery(
    endpoint_id: int, delivery_id: int
) -> tuple[WebhookDeliveryOut, int]:
    """Send a delivery again now, with the same ``webhook-id`` (receivers drop duplicates)."""
    delivery = await webhooks.replay(current_user(), endpoint_id, delivery_id)
    return WebhookDeliveryOut.of(delivery), 202


@bp.post(ENDPOINT + "/recover")
@tag(TAG)
@require_auth()
@validate_request(RecoverIn)
@validate_response(RecoverOut, 202)
@problems(409)
async def recover_webhook_deliveries(endpoint_id: int, data: RecoverIn) -> tuple[RecoverOut, int]:
    """Send again every failed delivery of the endpoint made since ``since``."""
    count = await webhooks.recover(current_user(), endpoint_id, data.since)
    return RecoverOut(recovered=count), 202

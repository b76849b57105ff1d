"""Webhook receivers: ``/api/v1/webhooks/{provider}`` for every device provider (journey 3).

Vendors call these without a user's token; the provider plugin verifies each call (handshake,
signature, shared secret). A verified push is stored in the inbox before it is answered
(core/devices/inbox.py); the work it announces happens in a job. A call that fails verification
gets a 401 problem and stores nothing; nothing of the body is logged.
"""

from __future__ import annotations

import json

from quart import Blueprint, Response, request
from quart_schema import tag

from fithub.core.devices import services
from fithub.core.openapi import problems, raw_query, responds
from fithub.core.runtime import runtime
from fithub.plugins.types import PushRequest

bp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks")
JSON, VENDOR_JSON = "application/json", {"type": "object", "additionalProperties": True}


@bp.route("/<provider:provider>", methods=["GET", "POST", "HEAD"])
@tag(["webhooks"])
@raw_query
@responds(200, "Accepted; some vendors expect a JSON answer (a challenge).", JSON, VENDOR_JSON)
@responds(204, "Accepted.")
@responds(401, "Not verified: the answer the vendor's protocol expects.", JSON, VENDOR_JSON)
@responds(403, "Not verified: the answer the vendor's protocol expects.", JSON, VENDOR_JSON)
@problems(400, 401, 403, 404, 413, 503)
async def receive(provider: str) -> Response:
    """A vendor's webhook call (subscription handshake or change notification) for ``provider``.

    Point the vendor's webhook set-up at this URL; docs/providers/ says what each vendor needs
    (verification tokens, signing secrets). The answer is whatever the vendor expects.
    """
    body = await request.get_data(cache=False)
    push = PushRequest(
        method=request.method,
        headers={key.lower(): value for key, value in request.headers.items()},
        query={key: value for key, value in request.args.items()},
        body=body if isinstance(body, bytes) else body.encode(),
    )
    result = await services.receive_push(runtime().devices, provider, push)
    if result.body is None:
        return Response(status=result.status)
    return Response(json.dumps(dict(result.body)), status=result.status,
                    content_type="application/json")  # fmt: skip

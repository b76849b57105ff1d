"""Cross-origin requests from browsers, allowed only from the origins in ``FITHUB_CORS_ORIGINS``.

Nothing is allowed by default. An allowed origin gets ``Access-Control-Allow-Origin`` echoed back
(never ``*``) and, on a preflight (``OPTIONS`` with ``Access-Control-Request-Method``), the methods
of that route, the request headers clients send, and a max age; any other origin gets no CORS
header at all, so the browser keeps the response from the page. Credentials (cookies) are never
allowed: fithub authenticates with bearer tokens, which a page sends explicitly.

WebSockets are out of scope here: browsers do not apply CORS to them, and fithub's sockets
authenticate with a token (a subprotocol or the first message), never with ambient cookies.

quart-cors was considered: its ``cors(app)`` also refuses (400) every WebSocket whose ``Origin`` is
not listed, which includes native clients that send none, and it cannot be applied per blueprint
when one module-level blueprint is registered on several apps (as the tests do).
"""

from __future__ import annotations

from quart import Quart, Response, request

ALLOW_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, X-Request-ID"
EXPOSE_HEADERS = "Location, Retry-After, WWW-Authenticate, X-Request-ID, Content-Disposition"
FALLBACK_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
MAX_AGE_S = 600


def install(app: Quart, origins: list[str]) -> None:
    """Answer preflights and label responses for the allowed ``origins`` (exact matches)."""
    allowed = frozenset(origins)

    @app.after_request
    async def _cors(response: Response) -> Response:
        response.vary.add("Origin")  # a cache must not serve one origin's answer to another
        origin = request.headers.get("Origin")
        if origin is None or origin not in allowed:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if not preflight:
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            return response
        route_methods = [m for m in response.allow if m not in ("OPTIONS",)]
        methods = ", ".join(sorted(route_methods)) if route_methods else FALLBACK_METHODS
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = str(MAX_AGE_S)
        if response.status_code == 200:  # Quart's automatic OPTIONS answer: say "no content"
            response.status_code = 204
            response.set_data(b"")
        return response

"""HTTP routes of the body domain."""

from __future__ import annotations

from quart import Blueprint

bp = Blueprint("body", __name__, url_prefix="/api/v1")

"""HTTP routes of the coaching domain."""

from __future__ import annotations

from quart import Blueprint

bp = Blueprint("coaching", __name__, url_prefix="/api/v1")

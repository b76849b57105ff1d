"""HTTP routes of the exercises domain."""

from __future__ import annotations

from quart import Blueprint

bp = Blueprint("exercises", __name__, url_prefix="/api/v1")

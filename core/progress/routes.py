"""HTTP routes of the progress domain."""

from __future__ import annotations

from quart import Blueprint

bp = Blueprint("progress", __name__, url_prefix="/api/v1")

"""HTTP routes of the privacy domain."""

from __future__ import annotations

from quart import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/api/v1")

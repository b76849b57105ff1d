"""HTTP routes of the workouts domain."""

from __future__ import annotations

from quart import Blueprint

bp = Blueprint("workouts", __name__, url_prefix="/api/v1")

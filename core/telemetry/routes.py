"""HTTP routes for ``/api/v1/telemetry``: the heart-rate profile, live alert rules and past streams.

Thin wrappers over core/telemetry/profiles.py and core/telemetry/rules.py. The live data itself
arrives on the ``/ws/v1/telemetry`` socket (streaming/), and device samples are read through
``/api/v1/samples``.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.responses import validate_response
from fithub.core.telemetry import profiles, rules
from fithub.core.telemetry.schemas import (
    AlertRuleIn,
    AlertRuleOut,
    AlertRulePage,
    AlertRuleQuery,
    AlertRuleUpdate,
    HeartRateProfileIn,
    HeartRateProfileOut,
    TelemetryStreamOut,
    TelemetryStreamPage,
    TelemetryStreamQuery,
)
from fithub.core.workouts.ids import ids_in_range

bp = Blueprint("telemetry", __name__, url_prefix="/api/v1/telemetry")
bp.before_request(ids_in_range)
TAG = ["telemetry"]


# -- heart-rate profile ---------------------------------------------------------------------------


@bp.get("/heart-rate-profile")
@tag(TAG)
@require_auth()
@validate_response(HeartRateProfileOut)
async def get_heart_rate_profile() -> HeartRateProfileOut:
    """Your heart-rate profile: what you entered, the values in effect with their source, zones."""
    found = await profiles.facts(current_user().id)
    return HeartRateProfileOut.model_validate(profiles.describe(found))


@bp.put("/heart-rate-profile")
@tag(TAG)
@require_auth()
@validate_request(HeartRateProfileIn)
@validate_response(HeartRateProfileOut)
async def put_heart_rate_profile(data: HeartRateProfileIn) -> HeartRateProfileOut:
    """Set your measured maximum (100-230) and resting rate (25-120, below the maximum)."""
    found = await profiles.set_profile(
        current_user(), client_info(), data.max_bpm, data.resting_bpm
    )
    return HeartRateProfileOut.model_validate(profiles.describe(found))


# -- alert rules ----------------------------------------------------------------------------------


@bp.get("/alerts")
@tag(TAG)
@require_auth()
@validate_querystring(AlertRuleQuery)
@validate_response(AlertRulePage)
async def list_alert_rules(query_args: AlertRuleQuery) -> dict[str, Any]:
    """Your live alert rules, newest first."""
    return await rules.list_rules(current_user(), query_args)


@bp.post("/alerts")
@tag(TAG)
@require_auth()
@validate_request(AlertRuleIn)
@validate_response(AlertRuleOut, 201)
async def create_alert_rule(data: AlertRuleIn) -> tuple[AlertRuleOut, int]:
    """Add a live alert rule (409 ``too_many_alert_rules`` past 20; 422 when it misses its
    threshold)."""
    rule = await rules.create_rule(current_user(), data.model_dump())
    return AlertRuleOut.model_validate(rules.rule_out(rule)), 201


@bp.get("/alerts/<int:rule_id>")
@tag(TAG)
@require_auth()
@validate_response(AlertRuleOut)
async def get_alert_rule(rule_id: int) -> AlertRuleOut:
    """One of your alert rules (404 if it is not yours)."""
    return AlertRuleOut.model_validate(
        rules.rule_out(await rules.get_rule(current_user(), rule_id))
    )


@bp.patch("/alerts/<int:rule_id>")
@tag(TAG)
@require_auth()
@validate_request(AlertRuleUpdate)
@validate_response(AlertRuleOut)
async def update_alert_rule(rule_id: int, data: AlertRuleUpdate) -> AlertRuleOut:
    """Change an alert rule; the result must still fit its condition."""
    rule = await rules.update_rule(current_user(), rule_id, data.changes())
    return AlertRuleOut.model_validate(rules.rule_out(rule))


@bp.delete("/alerts/<int:rule_id>")
@tag(TAG)
@require_auth()
async def delete_alert_rule(rule_id: int) -> Response:
    """Delete one of your alert rules (404 if it is not yours)."""
    await rules.delete_rule(current_user(), rule_id)
    return Response(status=204)


# -- streams --------------------------------------------------------------------------------------


@bp.get("/streams")
@tag(TAG)
@require_auth()
@validate_querystring(TelemetryStreamQuery)
@validate_response(TelemetryStreamPage)
async def list_telemetry_streams(query_args: TelemetryStreamQuery) -> dict[str, Any]:
    """Your live telemetry streams, newest first; ``?status=active`` or ``ended`` to filter."""
    return await rules.list_streams(current_user(), query_args, query_args.status)


@bp.get("/streams/<int:stream_id>")
@tag(TAG)
@require_auth()
@validate_response(TelemetryStreamOut)
async def get_telemetry_stream(stream_id: int) -> TelemetryStreamOut:
    """One of your streams: its device, counters, times and the derived values at its last batch."""
    stream = await rules.get_stream(current_user(), stream_id)
    return TelemetryStreamOut.model_validate(rules.stream_out(stream))

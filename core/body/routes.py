"""HTTP routes of the body domain: record, batch-import, list, chart and delete measurements."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import client_info, current_user, require_auth
from fithub.core.body import services
from fithub.core.body.schemas import (
    BatchOut,
    MetricBatchIn,
    MetricIn,
    MetricOut,
    MetricPage,
    MetricQuery,
    SeriesOut,
    SeriesQuery,
)
from fithub.core.body.series import metric_series
from fithub.core.responses import validate_response

bp = Blueprint("body", __name__, url_prefix="/api/v1")


@bp.post("/body-metrics")
@tag(["body"])
@require_auth()
@validate_request(MetricIn)
@validate_response(MetricOut, 201)
async def create_metric(data: MetricIn) -> tuple[MetricOut, int]:
    """Record a measurement. Implausible values (e.g. a weight of 5 kg) are a 422 naming the field."""
    user = current_user()
    metric = await services.record_metric(user, client_info(), data)
    return services.metric_out(metric, user), 201


@bp.post("/body-metrics/batch")
@tag(["body"])
@require_auth()
@validate_request(MetricBatchIn)
@validate_response(BatchOut, 201)
async def create_batch(data: MetricBatchIn) -> tuple[BatchOut, int]:
    """Record up to 500 measurements at once: all are stored, or none (422 naming each bad item)."""
    created = await services.record_batch(current_user(), client_info(), data.items)
    return BatchOut(created=created), 201


@bp.get("/body-metrics")
@tag(["body"])
@require_auth()
@validate_querystring(MetricQuery)
@validate_response(MetricPage)
async def list_metrics(query_args: MetricQuery) -> MetricPage:
    """Your measurements, newest first, optionally of one kind and between ``from`` and ``to``."""
    user = current_user()
    span = services.resolve_span(user, query_args.start, query_args.end)
    rows, next_cursor = await services.list_metrics(
        user, kind=query_args.kind, span=span, limit=query_args.limit, cursor=query_args.cursor
    )
    return MetricPage(
        items=[services.metric_out(row, user) for row in rows], next_cursor=next_cursor
    )


@bp.get("/body-metrics/series")
@tag(["body"])
@require_auth()
@validate_querystring(SeriesQuery)
@validate_response(SeriesOut)
async def series(query_args: SeriesQuery) -> SeriesOut:
    """Average, minimum, maximum, count and last value of one kind per local day, week or month."""
    user = current_user()
    span = services.resolve_span(user, query_args.start, query_args.end)
    return await metric_series(user, query_args.kind, query_args.bucket, span)


@bp.delete("/body-metrics/<int:metric_id>")
@tag(["body"])
@require_auth()
async def delete_metric(metric_id: int) -> Response:
    """Delete one of your measurements (404 if it is not yours)."""
    await services.delete_metric(current_user(), client_info(), metric_id)
    return Response(status=204)

"""A live stream's life: opened by a phone, resumed after a reconnect, ended once.

Ending a stream whose samples span a minute or more writes one device activity with provider
``live`` (its span, sport, average and peak heart rate, energy): a later vendor sync of the same
workout is merged with it by the overlap rule (docs/adr/0005-device-data.md), so the minutes count once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Avg, Max
from tortoise.transactions import in_transaction

from fithub.core.devices.models import DeviceSample
from fithub.core.devices.store import upsert_records
from fithub.core.errors import Conflict, NotFound
from fithub.core.events.services import emit
from fithub.core.telemetry.models import StreamStatus, TelemetryStream
from fithub.core.telemetry.storage import PROVIDER
from fithub.plugins.records import Activity, Source

MIN_ACTIVITY_S = 60  # shorter streams are not an activity of their own


async def open_stream(
    user_id: int, device_id: str, device_name: str, sport: str
) -> TelemetryStream:
    """A new active stream of ``user_id`` from ``device_id``."""
    return await TelemetryStream.create(
        user_id=user_id, device_id=device_id, device_name=device_name, sport=sport
    )


async def resume_stream(user_id: int, stream_id: int, device_id: str) -> TelemetryStream:
    """The user's active stream ``stream_id`` from the same device; 404 or 409 otherwise."""
    stream = await TelemetryStream.get_or_none(id=stream_id, user_id=user_id)
    if stream is None or stream.device_id != device_id:
        raise NotFound("No such stream of yours from this device.", code="stream_not_found")
    if stream.status != StreamStatus.ACTIVE:
        raise Conflict("This stream has ended: start a new one.", code="stream_ended")
    return stream


async def stream_state(stream_id: int) -> TelemetryStream | None:
    """The stream as stored now (another socket or the sweeper may have moved it)."""
    return await TelemetryStream.get_or_none(id=stream_id)


async def end_stream(stream: TelemetryStream, summary: dict[str, Any] | None = None) -> bool:
    """End ``stream`` once (False when it had already ended); store its activity and announce it."""
    now = datetime.now(UTC)
    changes: dict[str, Any] = {"status": StreamStatus.ENDED, "ended_at": now}
    if summary is not None:
        changes["summary"] = summary
    async with in_transaction() as conn:
        ended = await (
            TelemetryStream.filter(id=stream.id, status=StreamStatus.ACTIVE)
            .using_db(conn)
            .update(**changes)
        )
        if not ended:
            return False
        await stream.refresh_from_db(using_db=conn)
        activity = await _activity(stream)
        if activity is not None:
            await upsert_records(conn, stream.user_id, PROVIDER, [activity])
        await emit(
            "telemetry.stream.ended",
            stream.user_id,
            {"stream_id": stream.id, "samples": stream.samples, "batches": stream.batches},
            using_db=conn,
        )
    return True


async def _activity(stream: TelemetryStream) -> Activity | None:
    start, end = stream.first_sample_at, stream.last_sample_at
    if start is None or end is None or (end - start).total_seconds() < MIN_ACTIVITY_S:
        return None
    heart = (
        await DeviceSample.filter(
            user_id=stream.user_id, provider=PROVIDER, kind="heart_rate",
            time__gte=start, time__lte=end, external_id__startswith=f"{stream.device_id}:",
        )
        .annotate(avg=Avg("value"), peak=Max("value"))
        .values("avg", "peak")
    )  # fmt: skip
    values = heart[0] if heart else {}
    energy = (stream.summary or {}).get("energy_kcal")
    return Activity(
        source=Source(PROVIDER, f"stream:{stream.id}", stream.device_name or None),
        start=start,
        end=end,
        sport=stream.sport,
        name=f"Live {stream.sport}",
        calories_kcal=energy,
        avg_heart_rate_bpm=values.get("avg"),
        max_heart_rate_bpm=values.get("peak"),
        raw={"stream_id": stream.id, "device": stream.device_name or stream.device_id},
    )


async def end_abandoned(older_than_s: int) -> int:
    """End active streams with no batch for ``older_than_s`` seconds (a phone that went away)."""
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
    stale = await TelemetryStream.filter(
        Q(last_batch_at__lt=cutoff) | Q(last_batch_at__isnull=True, started_at__lt=cutoff),
        status=StreamStatus.ACTIVE,
    ).limit(500)
    ended = 0
    for stream in stale:
        ended += await end_stream(stream)
    return ended

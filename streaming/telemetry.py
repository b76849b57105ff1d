"""The telemetry ingest socket, ``/ws/v1/telemetry``: live samples from a phone's sensors.

After ``start`` (or a resume with ``stream_id``) the phone sends numbered batches; each is checked
as a whole (core/telemetry/batch.py), stored in one commit with the stream's sequence number
(core/telemetry/storage.py) and only then acknowledged. A batch numbered at or below the last
acknowledged one is acknowledged again without storing (a resend after a reconnect); a gap is an
error naming the expected number. A refused batch (impossible values, bad Bluetooth payload) is
an ``error`` event with its ``seq``: it is consumed, nothing of it is stored, the socket stays open.
Derived values go back to the phone (``values``) and to watchers through the fan-out.
Protocol: docs/telemetry.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from fithub.core.errors import FithubError
from fithub.core.observability import Metrics
from fithub.core.telemetry.alerts import AlertWatch, Firing, fire, load_rules
from fithub.core.telemetry.batch import (
    Checked,
    Checker,
    Fix,
    Point,
    RawBle,
    SensorMemory,
)
from fithub.core.telemetry.errors import BatchRejected, SequenceConflict
from fithub.core.telemetry.physiology import LiveDerivation
from fithub.core.telemetry.profiles import heart_profile
from fithub.core.telemetry.storage import skip_batch, store_batch
from fithub.core.telemetry.streams import end_stream, open_stream, resume_stream, stream_state
from fithub.core.telemetry.summary import Summary
from fithub.streaming import protocol as p
from fithub.streaming import telemetry_protocol as tp
from fithub.streaming.socket import Closing, JsonSocket, first_of

if TYPE_CHECKING:
    from fithub.core.telemetry.models import TelemetryStream

log = logging.getLogger("fithub.streaming.telemetry")

T = TypeVar("T")
PATH = "/ws/v1/telemetry"
PUBLISH_TIMEOUT_S = 1.0
CLOSE_STREAM_TAKEN = 4409  # another socket stored this stream's next batch (a stale socket)


class TelemetrySocket(JsonSocket):
    """One phone's telemetry stream."""

    path = PATH
    subprotocol = tp.SUBPROTOCOL
    messages = tp.telemetry_client_message
    bad_message_detail = "The message does not follow the telemetry protocol (docs/telemetry.md)."

    def __init__(self, runtime: Any, limits: Any, socket: Any, metrics: Metrics | None) -> None:
        super().__init__(runtime, limits, socket)
        settings = runtime.settings
        self.metrics = metrics
        self.checker = Checker(settings.telemetry_future_s, settings.telemetry_past_s)
        self.signal_lost_s = float(settings.telemetry_signal_lost_s)
        self.stream: TelemetryStream | None = None
        self.memory = SensorMemory()
        self.derivation: LiveDerivation | None = None
        self.summary = Summary()
        self.watch: AlertWatch | None = None
        self.sensor = "waiting"
        self.heard_at: float | None = None  # monotonic time of the last heart rate
        self.heard_t_s: float | None = None  # its phone time
        self.latest: dict[str, Any] = {}
        self.sensor_news: list[dict[str, Any]] = []

    async def _close(self, code: int, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.telemetry_closes.labels(str(code)).inc()
        await super()._close(code, reason)

    async def serve(self) -> None:
        self.emit(p.event("ready", user_id=self.user_id, protocol=tp.SUBPROTOCOL))
        await first_of(
            asyncio.create_task(self._receive_loop()), asyncio.create_task(self._sensor_clock())
        )

    def _count(self, outcome: str, rows: int = 0) -> None:
        if self.metrics is not None:
            self.metrics.telemetry_batches.labels(outcome).inc()
            if rows:
                self.metrics.telemetry_samples.inc(rows)

    async def _receive_loop(self) -> None:
        while True:
            message = await self.receive()
            if message is None:
                continue
            if isinstance(message, tp.Batch):
                await self._batch(message)
            elif isinstance(message, tp.StartTelemetry):
                await self._start(message)
            elif isinstance(message, tp.StopTelemetry):
                await self._stop()
                raise Closing(p.CLOSE_NORMAL, "stream ended")
            elif isinstance(message, p.Ping):
                self.pong()
            elif isinstance(message, p.Auth):
                self.error(409, "already_authenticated", "This socket is already authenticated.")

    # -- stream lifecycle ----------------------------------------------------------------------

    async def _start(self, message: tp.StartTelemetry) -> None:
        if self.stream is not None:
            self.error(409, "already_started", "This socket already has a stream; stop it first.")
            return
        try:
            if message.stream_id is not None:
                stream = await resume_stream(self.user_id, message.stream_id, message.device.id)
            else:
                stream = await open_stream(
                    self.user_id, message.device.id, message.device.name, message.sport
                )
        except FithubError as exc:
            self.error(exc.status, exc.code, exc.detail)
            return
        self.stream = stream
        profile = await heart_profile(self.user_id)
        self.derivation = LiveDerivation(profile)
        self.summary = Summary.resumed(dict(stream.summary or {}))
        self.watch = AlertWatch(await load_rules(self.user_id), self.derivation.zones)
        snapshot = self.summary.merge(self.derivation.snapshot())
        self.emit(
            p.event(
                "started",
                stream_id=stream.id,
                last_seq=stream.last_seq,
                resumed=message.stream_id is not None,
                max_batch_items=tp.MAX_BATCH_ITEMS,
                derived=snapshot,
            )
        )
        await self._publish("started", device=self._device(), sport=stream.sport)

    async def _stop(self) -> None:
        if self.stream is None:
            return
        summary = self._snapshot()
        await _uncancelled(end_stream(self.stream, summary))
        self.emit(p.event("ended", stream_id=self.stream.id, summary=summary))
        await self._publish("ended", summary=summary)

    # -- batches -------------------------------------------------------------------------------

    async def _batch(self, message: tp.Batch) -> None:
        stream = self.stream
        if stream is None:
            self.error(409, "not_started", "Send {type: start} before batches.", seq=message.seq)
            return
        if message.seq <= stream.last_seq:
            self._count("duplicate")
            self.emit(p.event("ack", seq=message.seq, stored=0, duplicate=True))
            return
        if message.seq != stream.last_seq + 1:
            self._count("gap")
            self.error(
                409,
                "sequence_gap",
                f"Batch {stream.last_seq + 1} comes next: resend from there.",
                seq=message.seq,
                expected=stream.last_seq + 1,
            )
            return
        points, fixes, raw = _split(message)
        try:
            checked = self.checker.check(points, fixes, raw, self.memory, datetime.now(UTC))
        except BatchRejected as exc:
            await self._consume_refused(stream, message.seq, exc)
            return
        firings = self._derive(checked)
        try:
            stored = await _uncancelled(store_batch(stream, message.seq, checked, self._snapshot()))
        except SequenceConflict:
            await self._conflict(message.seq)
            return
        rows = stored.samples + stored.positions
        self._count("stored", rows)
        self.emit(p.event("ack", seq=message.seq, stored=rows, duplicate=False))
        for sensor in self.sensor_news:
            await self._publish("sensor", **sensor)
        self.sensor_news.clear()
        values = self._values()
        self.emit(p.event("values", **values))
        await self._publish("values", **values)
        for firing in firings:
            await self._alert(firing)

    async def _conflict(self, seq: int) -> None:
        """The stream moved without us: ended (by the sweeper), or batch ``seq`` stored already
        (by this stream's previous socket, whose store finished after we resumed)."""
        assert self.stream is not None
        self._count("conflict")
        fresh = await stream_state(self.stream.id)
        if fresh is None or fresh.status != "active":
            self.error(409, "stream_ended", "This stream has ended: start a new one.", seq=seq)
            raise Closing(CLOSE_STREAM_TAKEN, "the stream has ended")
        if fresh.last_seq >= seq:
            self.stream.last_seq = fresh.last_seq
            self.emit(p.event("ack", seq=seq, stored=0, duplicate=True))
            return
        raise Closing(CLOSE_STREAM_TAKEN, "another socket is sending this stream")

    async def _consume_refused(self, stream: TelemetryStream, seq: int, exc: FithubError) -> None:
        try:
            await _uncancelled(skip_batch(stream, seq))
        except SequenceConflict:
            await self._conflict(seq)
            return
        self._count("rejected")
        self.error(exc.status, exc.code, exc.detail, exc.errors, seq=seq)

    def _derive(self, checked: Checked) -> list[Firing]:
        """Feed the batch's heart rate to the derivation and the alerts; note sensor states."""
        firings: list[Firing] = []
        for point in sorted(checked.points, key=lambda item: item.t_ms):
            if point.kind != "heart_rate":
                self.latest[point.kind] = round(point.value, 2)
                continue
            t_s = point.t_ms / 1000
            if point.no_reading:
                self._sensor_state("contact_lost", t_s)
                continue
            assert self.derivation is not None and self.watch is not None
            self.derivation.add_heart_rate(t_s, point.value, point.rr_ms)
            self.latest["heart_rate"] = round(point.value)
            self.heard_at, self.heard_t_s = time.monotonic(), t_s
            if self.sensor in ("contact_lost", "signal_lost"):
                self._sensor_state("reconnected", t_s)
            elif self.sensor != "reconnected":
                self.sensor = "ok"
            firings.extend(self.watch.heart_rate(t_s, point.value))
        for fix in checked.fixes:
            self.latest["position"] = {"lat": fix.lat, "lon": fix.lon, "altitude_m": fix.altitude_m,
                                       "accuracy_m": fix.accuracy_m}  # fmt: skip
        return firings

    def _sensor_state(self, state: str, t_s: float) -> None:
        if self.sensor == state:
            return
        self.sensor = state
        message = {"state": state, "t": round(t_s * 1000)}
        self.emit(p.event("sensor", **message))
        self.sensor_news.append(message)  # published in order, before the batch's values

    async def _sensor_clock(self) -> None:
        """Signal lost: no heart rate for a while during a stream (also fires signal_lost alerts)."""
        while True:
            await asyncio.sleep(min(1.0, self.signal_lost_s / 2))
            if self.heard_at is None or self.heard_t_s is None or self.stream is None:
                continue
            silent = time.monotonic() - self.heard_at
            if silent >= self.signal_lost_s and self.sensor not in ("signal_lost", "contact_lost"):
                self._sensor_state("signal_lost", self.heard_t_s + silent)
                for sensor in self.sensor_news:
                    await self._publish("sensor", **sensor)
                self.sensor_news.clear()
            if self.watch is not None:
                for firing in self.watch.silence(self.heard_t_s + silent):
                    await self._alert(firing)

    async def _alert(self, firing: Firing) -> None:
        """Fire an alert (claimed and announced in one commit); a failure never ends the stream."""
        assert self.stream is not None
        try:
            fired = await _uncancelled(fire(self.user_id, self.stream.id, firing))
        except Exception:
            log.exception("could not fire alert %s of stream %s", firing.rule.id, self.stream.id)
            return
        if fired:
            message = {"rule_id": firing.rule.id, "name": firing.rule.name,
                       "condition": firing.rule.condition.value, "bpm": firing.bpm,
                       "zone": firing.zone}  # fmt: skip
            self.emit(p.event("alert", **message))
            await self._publish("alert", **message)

    # -- output --------------------------------------------------------------------------------

    def _snapshot(self) -> dict[str, Any]:
        derived = self.derivation.snapshot() if self.derivation is not None else {}
        return self.summary.merge(derived)

    def _device(self) -> dict[str, str]:
        assert self.stream is not None
        return {"id": self.stream.device_id, "name": self.stream.device_name}

    def _values(self) -> dict[str, Any]:
        assert self.stream is not None
        return {
            "stream_id": self.stream.id,
            "t": None if self.stream.last_sample_at is None
            else round(self.stream.last_sample_at.timestamp() * 1000),
            "latest": dict(self.latest),
            "derived": self._snapshot(),
            "sensor": self.sensor,
        }  # fmt: skip

    async def _publish(self, kind: str, **fields: Any) -> None:
        """Tell the user's watchers (other screens, trainers): never fails the stream."""
        if self.stream is None:
            return
        message = {"type": kind, "user_id": self.user_id, "stream_id": self.stream.id, **fields}
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_S):  # a hung Redis never stalls the stream
                await self.runtime.fanout.publish(tp.topic(self.user_id), message)
        except Exception:
            log.warning("could not publish live values of stream %s", self.stream.id, exc_info=True)


async def _uncancelled(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its end even if the socket's handler is cancelled meanwhile (the client
    went away): a transaction is never interrupted half-way, and the driver's lock is released."""
    return await asyncio.shield(asyncio.ensure_future(work))


def _split(message: tp.Batch) -> tuple[list[Point], list[Fix], list[RawBle]]:
    points: list[Point] = []
    fixes: list[Fix] = []
    for i, sample in enumerate(message.samples):
        if isinstance(sample, tp.PositionSample):
            fixes.append(Fix(sample.t, sample.lat, sample.lon, sample.altitude_m,
                             sample.accuracy_m, i))  # fmt: skip
        elif isinstance(sample, tp.HeartRateSample):
            points.append(Point("heart_rate", sample.t, sample.value, tuple(sample.rr_ms),
                                sample.contact, i))  # fmt: skip
        else:
            points.append(Point(sample.kind, sample.t, sample.value, index=i))
    raw = [RawBle(item.char, item.t, item.b64) for item in message.ble]
    return points, fixes, raw

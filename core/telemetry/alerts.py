"""Alerts on a live stream: conditions the user configured, held for a while, then a quiet period.

:class:`AlertWatch` is fed heart-rate points in time order (the phone's clock) and says which rules
hold continuously for their ``duration_s``. Firing is claimed in the database: ``last_fired_at``
moves only when the quiet period since the previous firing has passed (a compare-and-set), so two
processes or a reconnect never fire one alert twice. A fired alert is a domain event,
``telemetry.alert``, which notifications deliver (core/notifications/handlers.py).
``signal_lost`` holds when no heart rate arrived for ``duration_s`` while the stream is open; the
socket checks it on a timer as well as on each batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from fithub.core.events.services import emit
from fithub.core.telemetry.models import AlertCondition, TelemetryAlertRule
from fithub.core.telemetry.physiology import HeartRateZones


@dataclass(frozen=True)
class Rule:
    """A rule as the watcher needs it."""

    id: int
    name: str
    condition: AlertCondition
    zone: int | None
    bpm: int | None
    duration_s: int
    quiet_s: int


@dataclass
class Firing:
    """A rule that held for its duration, at phone time ``t_s`` with the value that broke it."""

    rule: Rule
    t_s: float
    bpm: float | None
    zone: int | None


@dataclass
class AlertWatch:
    """The live state of one stream's rules."""

    rules: list[Rule]
    zones: HeartRateZones | None
    since: dict[int, float] = field(default_factory=dict)  # rule id -> when it began to hold
    last_heart_rate_s: float | None = None

    def _holds(self, rule: Rule, bpm: float) -> bool:
        if rule.condition is AlertCondition.BELOW_RATE:
            return rule.bpm is not None and bpm < rule.bpm
        if rule.condition is AlertCondition.ABOVE_RATE:
            return rule.bpm is not None and bpm > rule.bpm
        if rule.condition is AlertCondition.ABOVE_ZONE:
            if self.zones is None or rule.zone is None:
                return False
            return self.zones.zone_of(bpm) > rule.zone
        return False

    def heart_rate(self, t_s: float, bpm: float) -> list[Firing]:
        """Feed one heart-rate point; the rules that have now held for their duration."""
        fired: list[Firing] = []
        self.last_heart_rate_s = t_s
        zone = self.zones.zone_of(bpm) if self.zones is not None else None
        for rule in self.rules:
            if rule.condition is AlertCondition.SIGNAL_LOST:
                self.since.pop(rule.id, None)
                continue
            if not self._holds(rule, bpm):
                self.since.pop(rule.id, None)
                continue
            began = self.since.setdefault(rule.id, t_s)
            if t_s - began >= rule.duration_s:
                fired.append(Firing(rule, t_s, bpm, zone))
                self.since[rule.id] = t_s  # held again only after another full duration
        return fired

    def silence(self, now_s: float) -> list[Firing]:
        """Signal-lost rules whose silence has lasted their duration by phone time ``now_s``."""
        if self.last_heart_rate_s is None:
            return []
        quiet_for = now_s - self.last_heart_rate_s
        fired = []
        for rule in self.rules:
            if rule.condition is not AlertCondition.SIGNAL_LOST or quiet_for < rule.duration_s:
                continue
            if self.since.get(rule.id) == self.last_heart_rate_s:
                continue  # already fired for this silence
            self.since[rule.id] = self.last_heart_rate_s
            fired.append(Firing(rule, now_s, None, None))
        return fired


async def load_rules(user_id: int) -> list[Rule]:
    """The user's enabled rules."""
    rows = await TelemetryAlertRule.filter(user_id=user_id, enabled=True).order_by("id")
    return [Rule(r.id, r.name, r.condition, r.zone, r.bpm, r.duration_s, r.quiet_s) for r in rows]


async def fire(user_id: int, stream_id: int, firing: Firing) -> bool:
    """Claim the firing (outside its rule's quiet period) and emit ``telemetry.alert``."""
    now = datetime.now(UTC)
    rule = firing.rule
    quiet_since = now - timedelta(seconds=rule.quiet_s)
    async with in_transaction() as conn:  # claimed and announced together, or neither
        claimed = await (
            TelemetryAlertRule.filter(
                Q(last_fired_at__isnull=True) | Q(last_fired_at__lte=quiet_since),
                id=rule.id,
                user_id=user_id,
                enabled=True,
            )
            .using_db(conn)
            .update(last_fired_at=now)
        )
        if not claimed:
            return False
        await emit("telemetry.alert", user_id, _payload(stream_id, firing), using_db=conn)
    return True


def _payload(stream_id: int, firing: Firing) -> dict[str, Any]:
    rule = firing.rule
    payload: dict[str, Any] = {
        "rule_id": rule.id,
        "name": rule.name,
        "condition": rule.condition.value,
        "stream_id": stream_id,
        "bpm": None if firing.bpm is None else round(firing.bpm),
        "zone": firing.zone,
        "duration_s": rule.duration_s,
        "t": datetime.fromtimestamp(firing.t_s, UTC).isoformat(),
    }
    return payload

"""Folding many small HealthKit samples into days and nights, in memory bounded by days, not samples.

:class:`DailyTotals` keeps, per local day and per source, running sums of steps, walking and
running distance, active and basal energy and exercise minutes, plus the day's resting heart rate
and its Activity ring totals: a handful of floats per day and source (ten years are ~4,000 days).
The iPhone and the Watch both count the same steps, and the export does not say which source the
person ranks first (the Health app's own de-duplication order), so a day's steps and distance are
those of the source that counted the most that day; the per-source totals stay in ``raw``.

:class:`SleepSamples` keeps each sleep-analysis sample as one small tuple (about 100 bytes: ten
years of nightly stages are ~10 MB) and groups them when the file ends: per source, samples less
than an hour apart form one session; of sessions of different sources that overlap (the iPhone's
in-bed time and the Watch's stages), the one with the most detail is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from fithub.plugins.apple_health import const
from fithub.plugins.apple_health.mapping import source
from fithub.plugins.records import DailySummary, SleepSession, SleepStage, SleepStageKind

SUMMED = ("steps", "distance_m", "active_kcal", "basal_kcal", "exercise_min")


@dataclass
class _Day:
    sums: dict[str, dict[str, float]] = field(default_factory=dict)  # field -> source -> total
    resting: tuple[datetime, float] | None = None
    summary: dict[str, float | None] | None = None


def _best(per_source: dict[str, float] | None) -> tuple[str | None, float | None]:
    if not per_source:
        return None, None
    name = max(per_source, key=lambda k: (per_source[k], k))
    return name, per_source[name]


class DailyTotals:
    """Running per-day totals; :meth:`records` makes one DailySummary per day at the end."""

    def __init__(self) -> None:
        self.days: dict[date, _Day] = {}

    def _day(self, day: date) -> _Day:
        found = self.days.get(day)
        if found is None:
            found = self.days[day] = _Day()
        return found

    def add(self, name: str, day: date, source_name: str, value: float) -> None:
        per_source = self._day(day).sums.setdefault(name, {})
        per_source[source_name] = per_source.get(source_name, 0.0) + value

    def resting(self, moment: datetime, value: float) -> None:
        day = self._day(moment.date())
        if day.resting is None or moment >= day.resting[0]:
            day.resting = (moment, value)

    def summary(self, day: date, totals: dict[str, float | None]) -> None:
        self._day(day).summary = totals

    def records(self) -> Iterator[DailySummary]:
        for day in sorted(self.days):
            yield self._summary(day, self.days[day])

    @staticmethod
    def _summary(day: date, totals: _Day) -> DailySummary:
        sums = totals.sums
        steps_source, steps = _best(sums.get("steps"))
        distance_source, distance = _best(sums.get("distance_m"))
        _, active = _best(sums.get("active_kcal"))
        _, basal = _best(sums.get("basal_kcal"))
        _, exercise = _best(sums.get("exercise_min"))
        ring = totals.summary or {}
        if ring.get("active_kcal") is not None:
            active = ring["active_kcal"]
        if ring.get("exercise_min") is not None:
            exercise = ring["exercise_min"]
        raw: dict[str, Any] = {
            name: {k: round(v, 3) for k, v in sorted(sums[name].items())}
            for name in SUMMED if name in sums
        }  # fmt: skip
        raw["steps_source"], raw["distance_source"] = steps_source, distance_source
        if totals.summary is not None:
            raw["activity_summary"] = totals.summary
        return DailySummary(
            source=source(f"day:{day.isoformat()}"),
            day=day,
            steps=round(steps) if steps is not None else None,
            active_calories_kcal=active,
            total_calories_kcal=(active + basal) if active is not None and basal is not None
            else None,
            distance_m=distance,
            active_minutes=exercise,
            resting_heart_rate_bpm=totals.resting[1] if totals.resting else None,
            raw=raw,
        )  # fmt: skip


# -- sleep ----------------------------------------------------------------------------------------

STAGES = ("in_bed", "asleep", "awake", "light", "deep", "rem")
_STAGE_CODE = {name: i for i, name in enumerate(STAGES)}
ASLEEP = frozenset({_STAGE_CODE[s] for s in ("asleep", "light", "deep", "rem")})
# How much detail a session has: stages beat plain "asleep", which beats in-bed time only.
_DETAIL = {code: (2 if STAGES[code] in ("light", "deep", "rem") else 1) for code in ASLEEP}

# (source index, start, end as POSIX seconds, UTC offset in seconds, stage code, uuid or "")
_Piece = tuple[int, float, float, int, int, str]


@dataclass
class _Session:
    source: int
    pieces: list[_Piece] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0

    @property
    def detail(self) -> tuple[int, float, float]:
        level = max((_DETAIL.get(p[4], 0) for p in self.pieces), default=0)
        asleep = sum(p[2] - p[1] for p in self.pieces if p[4] in ASLEEP)
        return level, asleep, self.end - self.start


class SleepSamples:
    """Sleep-analysis samples, grouped into sessions by :meth:`sessions` (see the module doc)."""

    def __init__(self) -> None:
        self.sources: list[str] = []
        self._index: dict[str, int] = {}
        self.pieces: list[_Piece] = []
        self.dropped = 0  # sessions left out because another source's overlapping one won

    def __len__(self) -> int:
        return len(self.pieces)

    def add(self, source_name: str, start: datetime, end: datetime, stage: str,
            uuid: str = "") -> None:  # fmt: skip
        index = self._index.get(source_name)
        if index is None:
            index = self._index[source_name] = len(self.sources)
            self.sources.append(source_name)
        offset = start.utcoffset() or timedelta()
        self.pieces.append((index, start.timestamp(), max(end, start).timestamp(),
                            int(offset.total_seconds()), _STAGE_CODE[stage], uuid))  # fmt: skip

    def _per_source(self) -> list[_Session]:
        sessions: list[_Session] = []
        self.pieces.sort()
        current: _Session | None = None
        for piece in self.pieces:
            if (
                current is None
                or piece[0] != current.source
                or (piece[1] > current.end + const.SLEEP_GAP_S)
            ):
                current = _Session(piece[0], start=piece[1], end=piece[2])
                sessions.append(current)
            current.pieces.append(piece)
            current.end = max(current.end, piece[2])
        return sessions

    def sessions(self) -> Iterator[SleepSession]:
        """One SleepSession per night or nap, sources de-duplicated; the samples are released."""
        candidates = sorted(self._per_source(), key=lambda s: (s.start, s.source))
        self.pieces = []
        cluster: list[_Session] = []
        cluster_end = 0.0
        for session in [*candidates, None]:
            if session is not None and cluster and session.start < cluster_end:
                cluster.append(session)
                cluster_end = max(cluster_end, session.end)
                continue
            if cluster:
                best = max(cluster, key=lambda s: (s.detail, -s.source))
                self.dropped += len(cluster) - 1
                others = sorted({self.sources[s.source] for s in cluster if s is not best})
                yield self._session(best, others)
            if session is not None:
                cluster, cluster_end = [session], session.end

    def _session(self, session: _Session, others: list[str]) -> SleepSession:
        name = self.sources[session.source]
        first, last = session.pieces[0], max(session.pieces, key=lambda p: p[2])
        start_zone, end_zone = timezone(timedelta(seconds=first[3])), timezone(
            timedelta(seconds=last[3]))  # fmt: skip
        start = datetime.fromtimestamp(session.start, start_zone)
        end = datetime.fromtimestamp(session.end, end_zone)
        totals = dict.fromkeys(STAGES, 0.0)
        stages: list[SleepStage] = []
        for piece in session.pieces:
            stage = STAGES[piece[4]]
            totals[stage] += piece[2] - piece[1]
            if stage != "in_bed":
                zone = timezone(timedelta(seconds=piece[3]))
                stages.append(SleepStage(SleepStageKind(stage),
                                         datetime.fromtimestamp(piece[1], zone),
                                         datetime.fromtimestamp(piece[2], zone)))  # fmt: skip
        asleep = totals["asleep"] + totals["light"] + totals["deep"] + totals["rem"]
        staged = session.detail[0] == 2  # the stages were measured: a zero is a zero
        span = session.end - session.start
        first_asleep = min((p[1] for p in session.pieces if p[4] in ASLEEP), default=None)
        in_bed = [p for p in session.pieces if STAGES[p[4]] == "in_bed"]
        latency = None
        if in_bed and first_asleep is not None:
            latency = max(0.0, first_asleep - min(p[1] for p in in_bed))
        ident = hashlib.sha256(f"{name}\x1f{start.astimezone(UTC).isoformat()}".encode())
        local_start = start.hour
        raw: dict[str, Any] = {
            "source": name,
            "samples": [[STAGES[p[4]], datetime.fromtimestamp(p[1], UTC).isoformat(),
                         datetime.fromtimestamp(p[2], UTC).isoformat(), p[5] or None]
                        for p in session.pieces],
            "other_sources": others,
        }  # fmt: skip
        return SleepSession(
            source=source(f"sleep:{ident.hexdigest()[:40]}"),
            start=start,
            end=end,
            day=end.date(),
            is_nap=span < const.NAP_MAX_S and local_start in const.NAP_HOURS,
            stages=tuple(stages),
            asleep_s=asleep if asleep else None,
            deep_s=totals["deep"] if staged else None,
            light_s=totals["light"] if staged else None,
            rem_s=totals["rem"] if staged else None,
            awake_s=totals["awake"] if staged or totals["awake"] else None,
            latency_s=latency,
            efficiency=min(100.0, 100.0 * asleep / span) if span > 0 and asleep else None,
            raw=raw,
        )

"""Personal-record detection, run inside the transaction that logs a set.

Records are kept as history: a new row each time a best is beaten, with the value it beat. The
first logged value of a kind is a record too (``previous_value`` null). Warm-ups and sets not
completed never count. Kinds and their rules are documented on :class:`RecordKind`; ``max_reps``
counts sets of a bodyweight exercise (see :data:`BODYWEIGHT_TYPE`) without added weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from fithub.core.events.services import emit
from fithub.core.sql import Params
from fithub.core.workouts.models import PersonalRecord, RecordKind

MIN_PACE_DISTANCE_M = 400.0  # shorter efforts give meaningless paces
#: An exercise is "bodyweight" (your body is the load: push-ups, pull-ups, lunges) when its type
#: or its equipment says so; only its sets without added weight count for ``max_reps``.
BODYWEIGHT_TYPE = "bodyweight"
BODYWEIGHT_EQUIPMENT = "bodyweight"


@dataclass(frozen=True)
class LoggedSetFacts:
    user_id: int
    exercise_id: int
    workout_id: int
    set_id: int
    reps: int | None
    weight_kg: float | None
    duration_s: int | None
    distance_m: float | None
    e1rm_kg: float | None
    volume_kg: float | None
    performed_at: datetime


async def _previous_bests(conn: BaseDBAsyncClient, facts: LoggedSetFacts) -> dict[str, Any]:
    """One query: the standing bests, read from the record history (small), not from every set.

    Every completed working set passes through :func:`detect_records`, so the best of each kind is
    always the highest record row still standing; deleting or correcting a set withdraws its rows.
    The cost therefore stays flat however many years of sets a user has.
    """
    p = Params(conn)
    user, exercise, workout = p(facts.user_id), p(facts.exercise_id), p(facts.workout_id)
    this_set, weight = p(facts.set_id), p(facts.weight_kg)
    kind = {k: f"'{k.value}'" for k in RecordKind}
    sql = f"""
        SELECT MAX(CASE WHEN kind = {kind[RecordKind.MAX_WEIGHT]} THEN value END) AS max_weight,
               MAX(CASE WHEN kind = {kind[RecordKind.BEST_E1RM]} THEN value END) AS best_e1rm,
               MAX(CASE WHEN kind = {kind[RecordKind.LONGEST_DISTANCE]} THEN value END)
                   AS longest_distance,
               MAX(CASE WHEN kind = {kind[RecordKind.LONGEST_DURATION]} THEN value END)
                   AS longest_duration,
               MAX(CASE WHEN kind = {kind[RecordKind.MAX_REPS_AT_WEIGHT]} AND weight_kg = {weight}
                        THEN value END) AS reps_at_weight,
               MAX(CASE WHEN kind = {kind[RecordKind.MAX_REPS]} THEN value END) AS max_reps,
               MIN(CASE WHEN kind = {kind[RecordKind.FASTEST_PACE]} THEN value END) AS fastest_pace,
               MAX(CASE WHEN kind = {kind[RecordKind.MAX_SESSION_VOLUME]} AND workout_id <> {workout}
                        THEN value END) AS best_session_volume,
               MAX(CASE WHEN kind = {kind[RecordKind.MAX_SESSION_VOLUME]} AND workout_id = {workout}
                        THEN id END) AS session_record_id,
               (SELECT SUM(volume_kg) FROM workout_sets
                 WHERE workout_id = {workout} AND exercise_id = {exercise} AND id <> {this_set}
                   AND is_warmup = FALSE AND completed = TRUE) AS session_volume_before,
               (SELECT COUNT(*) FROM exercises
                 WHERE id = {exercise} AND (type = {p(BODYWEIGHT_TYPE)}
                       OR equipment = {p(BODYWEIGHT_EQUIPMENT)})) AS bodyweight
          FROM personal_records
         WHERE user_id = {user} AND exercise_id = {exercise}
    """
    rows = await conn.execute_query_dict(sql, p.values)
    return rows[0] if rows else {}


async def detect_records(conn: BaseDBAsyncClient, facts: LoggedSetFacts) -> list[PersonalRecord]:
    """Store the records this (already inserted, working) set breaks; emit ``record.achieved`` each."""
    bests = await _previous_bests(conn, facts)
    found: list[
        tuple[RecordKind, float, float | None, float | None]
    ] = []  # kind, value, prev, weight

    def beats(
        kind: RecordKind,
        value: float | None,
        previous: float | None,
        *,
        lower: bool = False,
        weight: float | None = None,
    ) -> None:
        if value is None or value <= 0:
            return
        if previous is None or (value < previous if lower else value > previous):
            found.append((kind, value, previous, weight))

    if facts.reps and facts.reps > 0:
        beats(RecordKind.MAX_WEIGHT, facts.weight_kg, bests.get("max_weight"))
        if facts.weight_kg:
            beats(
                RecordKind.MAX_REPS_AT_WEIGHT,
                float(facts.reps),
                _float(bests.get("reps_at_weight")),
                weight=facts.weight_kg,
            )
        elif bests.get("bodyweight"):  # no weight (or 0): most reps of a bodyweight exercise
            beats(RecordKind.MAX_REPS, float(facts.reps), _float(bests.get("max_reps")))
    beats(RecordKind.BEST_E1RM, facts.e1rm_kg, _float(bests.get("best_e1rm")))
    beats(RecordKind.LONGEST_DISTANCE, facts.distance_m, _float(bests.get("longest_distance")))
    beats(
        RecordKind.LONGEST_DURATION, _float(facts.duration_s), _float(bests.get("longest_duration"))
    )
    if facts.distance_m and facts.distance_m >= MIN_PACE_DISTANCE_M and facts.duration_s:
        pace = facts.duration_s * 1000.0 / facts.distance_m
        beats(RecordKind.FASTEST_PACE, pace, _float(bests.get("fastest_pace")), lower=True)

    stored: list[PersonalRecord] = []
    for kind, value, previous, weight in found:
        stored.append(await _store(conn, facts, kind, value, previous, weight))
    if facts.volume_kg:
        session_total = (_float(bests.get("session_volume_before")) or 0.0) + facts.volume_kg
        session = await _session_volume(
            conn,
            facts,
            session_total,
            _float(bests.get("best_session_volume")),
            bests.get("session_record_id"),
        )
        if session is not None:
            stored.append(session)
    return stored


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


async def _store(
    conn: BaseDBAsyncClient,
    facts: LoggedSetFacts,
    kind: RecordKind,
    value: float,
    previous: float | None,
    weight: float | None,
) -> PersonalRecord:
    record = await PersonalRecord.create(
        using_db=conn,
        user_id=facts.user_id,
        exercise_id=facts.exercise_id,
        kind=kind,
        value=value,
        previous_value=previous,
        weight_kg=weight,
        workout_id=facts.workout_id,
        set_id=facts.set_id,
        achieved_at=facts.performed_at,
    )
    await _announce(conn, record)
    return record


async def _session_volume(
    conn: BaseDBAsyncClient,
    facts: LoggedSetFacts,
    total: float,
    best_elsewhere: float | None,
    existing_id: int | None,
) -> PersonalRecord | None:
    """The session-volume record grows set by set: one row per workout, updated in place."""
    if best_elsewhere is not None and total <= best_elsewhere:
        return None
    if existing_id is not None:
        p = Params(conn)
        await conn.execute_query(
            f"UPDATE personal_records SET value = {p(total)}, set_id = {p(facts.set_id)},"
            f" achieved_at = {p(facts.performed_at)} WHERE id = {p(int(existing_id))}",
            p.values,
        )
        return None  # already announced for this workout
    return await _store(conn, facts, RecordKind.MAX_SESSION_VOLUME, total, best_elsewhere, None)


async def refresh_session_volume(
    conn: BaseDBAsyncClient, user_id: int, exercise_id: int, workout_id: int
) -> None:
    """Re-total a workout's session-volume record after its sets were corrected or removed.

    The record keeps what remains of the session; it is withdrawn when nothing remains or the
    total no longer beats the best it had beaten. Never creates a record.
    """
    from fithub.core.workouts.models import WorkoutSet

    record = (
        await PersonalRecord.filter(
            user_id=user_id,
            exercise_id=exercise_id,
            workout_id=workout_id,
            kind=RecordKind.MAX_SESSION_VOLUME,
        )
        .using_db(conn)
        .first()
    )
    if record is None:
        return
    rows = (
        await WorkoutSet.filter(
            user_id=user_id,
            exercise_id=exercise_id,
            workout_id=workout_id,
            completed=True,
            is_warmup=False,
            volume_kg__gt=0,
        )
        .using_db(conn)
        .order_by("id")
        .values_list("id", "volume_kg")
    )
    total = sum(float(volume) for _, volume in rows)
    if not rows or (record.previous_value is not None and total <= record.previous_value):
        await record.delete(using_db=conn)
        return
    record.value, record.set_id = total, int(rows[-1][0])
    await record.save(using_db=conn, update_fields=["value", "set_id"])


async def _announce(conn: BaseDBAsyncClient, record: PersonalRecord) -> None:
    await emit(
        "record.achieved",
        record.user_id,
        {
            "record_id": record.id,
            "exercise_id": record.exercise_id,
            "kind": record.kind.value,
            "value": record.value,
            "previous_value": record.previous_value,
            "weight_kg": record.weight_kg,
            "workout_id": record.workout_id,
            "set_id": record.set_id,
        },
        using_db=conn,
    )


async def records_for_row(conn: BaseDBAsyncClient, row: Any) -> list[PersonalRecord]:
    """Detect the records a stored set breaks, if it is a completed working set (else none)."""
    if not row.completed or row.is_warmup:
        return []
    return await detect_records(
        conn,
        LoggedSetFacts(
            user_id=row.user_id,
            exercise_id=row.exercise_id,
            workout_id=row.workout_id,
            set_id=row.id,
            reps=row.reps,
            weight_kg=row.weight_kg,
            duration_s=row.duration_s,
            distance_m=row.distance_m,
            e1rm_kg=row.e1rm_kg,
            volume_kg=row.volume_kg,
            performed_at=row.performed_at,
        ),
    )

"""Export formats: workouts as CSV (streamed in batches) and every table's rows as JSON in a zip."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import IO, Any
from uuid import UUID

from tortoise.models import Model

from fithub.core.accounts.models import UnitSystem, User
from fithub.core.csv_text import safe_text
from fithub.core.privacy import inventory
from fithub.core.units import distance_unit, from_kg, from_m, weight_unit
from fithub.core.version import __version__
from fithub.core.workouts.models import Workout, WorkoutExercise, WorkoutSet

BATCH = 500  # rows (or workouts, for the CSV) read per query
FORMAT = "fithub-export/1"


# -- CSV ---------------------------------------------------------------------------------------


def csv_header(units: UnitSystem) -> list[str]:
    """Column names; weight and distance columns name the user's unit (``weight_lb``, ``distance_km``)."""
    w, d = weight_unit(units), distance_unit(units)
    return [
        "workout_id", "workout_name", "status", "scheduled_at", "started_at", "completed_at",
        "workout_duration_s", "perceived_exertion", "calories", "location", "tags", "workout_notes",
        "position", "exercise_id", "exercise_name", "superset", "exercise_notes",
        "set_id", "set_number", "reps", f"weight_{w}", "set_duration_s", f"distance_{d}", "rpe",
        "heart_rate", "rest_s", "is_warmup", "is_failure", "completed", f"e1rm_{w}",
        f"volume_{w}", "performed_at",
    ]  # fmt: skip


_text = safe_text  # free text, defused so a spreadsheet never runs it as a formula


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _workout_cells(workout: Workout) -> list[Any]:
    return [
        workout.id, _text(workout.name), workout.status, workout.scheduled_at, workout.started_at,
        workout.completed_at, workout.duration_s, workout.perceived_exertion, workout.calories,
        _text(workout.location), _text(";".join(workout.tags)), _text(workout.notes),
    ]  # fmt: skip


def _entry_cells(entry: WorkoutExercise | None) -> list[Any]:
    if entry is None:
        return [None] * 5
    return [
        entry.position,
        entry.exercise_id,
        _text(entry.exercise.name),
        _text(entry.superset),
        _text(entry.notes),
    ]


def _set_cells(row: WorkoutSet | None, units: UnitSystem) -> list[Any]:
    if row is None:
        return [None] * 15
    w, d = weight_unit(units), distance_unit(units)
    return [
        row.id, row.set_number, row.reps, from_kg(row.weight_kg, w), row.duration_s,
        from_m(row.distance_m, d), row.rpe, row.heart_rate, row.rest_s, row.is_warmup,
        row.is_failure, row.completed, from_kg(row.e1rm_kg, w), from_kg(row.volume_kg, w),
        row.performed_at,
    ]  # fmt: skip


def _workout_rows(
    workout: Workout,
    entries: list[WorkoutExercise],
    sets: dict[int, list[WorkoutSet]],
    units: UnitSystem,
) -> list[list[Any]]:
    """One row per set; an exercise without sets, or a workout without exercises, gets one row."""
    head = _workout_cells(workout)
    if not entries:
        return [head + _entry_cells(None) + _set_cells(None, units)]
    rows = []
    for entry in entries:
        entry_sets: list[WorkoutSet | None] = list(sets.get(entry.id, [])) or [None]
        for row in entry_sets:
            rows.append(head + _entry_cells(entry) + _set_cells(row, units))
    return rows


async def workout_csv(
    user_id: int, units: UnitSystem, start: datetime | None, end: datetime | None
) -> AsyncIterator[bytes]:
    """The user's workouts oldest first (``start`` <= started_at < ``end``), ``BATCH`` at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> bytes:
        data = buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        return data

    writer.writerow(csv_header(units))
    yield flush()
    query = Workout.filter(user_id=user_id)
    if start is not None:
        query = query.filter(started_at__gte=start)
    if end is not None:
        query = query.filter(started_at__lt=end)
    last = 0
    while True:
        workouts = await query.filter(id__gt=last).order_by("id").limit(BATCH)
        if not workouts:
            return
        ids = [w.id for w in workouts]
        entry_rows = (
            WorkoutExercise.filter(workout_id__in=ids)
            .select_related("exercise")
            .order_by("position", "id")
        )
        entries: dict[int, list[WorkoutExercise]] = {}
        for entry in await entry_rows:
            entries.setdefault(entry.workout_id, []).append(entry)
        set_rows = WorkoutSet.filter(workout_id__in=ids, user_id=user_id).order_by(
            "set_number", "id"
        )
        sets: dict[int, list[WorkoutSet]] = {}
        for row in await set_rows:
            sets.setdefault(row.entry_id, []).append(row)
        for workout in workouts:
            for cells in _workout_rows(workout, entries.get(workout.id, []), sets, units):
                writer.writerow([_cell(c) for c in cells])
        yield flush()
        if len(workouts) < BATCH:
            return
        last = ids[-1]


# -- the full export ----------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot export a {type(value).__name__}")


def _encode(row: dict[str, Any]) -> bytes:
    return json.dumps(row, default=_json_default, ensure_ascii=False).encode()


async def _write_table(
    archive: zipfile.ZipFile, name: str, model: type[Model], rule: inventory.Table, user: User
) -> int:
    """Write the user's rows of ``model`` as a JSON array into ``name``; return how many."""
    meta = model._meta
    columns = [field for field in meta.fields_db_projection if field not in rule.omit]
    pk = meta.pk_attr
    query = model.filter(inventory.owned_filter(model, user.id, user.email))
    count = 0
    last: Any = None
    with archive.open(name, "w", force_zip64=True) as member:
        member.write(b"[")
        while True:
            page = query if last is None else query.filter(**{f"{pk}__gt": last})
            rows = await page.order_by(pk).limit(BATCH).values(*columns)
            for row in rows:
                member.write((b",\n" if count else b"\n") + _encode(row))
                count += 1
            if len(rows) < BATCH:
                break
            last = rows[-1][pk]
        member.write(b"\n]\n")
    return count


async def write_archive(user: User, target: IO[bytes]) -> dict[str, int]:
    """Write the zip (one ``<table>.json`` per exported table and ``manifest.json``) to ``target``.

    Returns the row count of each file.
    """
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for model, rule in inventory.exported():
            name = f"{model._meta.db_table}.json"
            counts[name] = await _write_table(archive, name, model, rule, user)
        manifest = {
            "format": FORMAT,
            "generated_at": datetime.now(UTC).isoformat(),
            "fithub_version": __version__,
            "user_id": user.id,
            "counts": counts,
            "excluded": inventory.excluded(),
            "notes": "Quantities are metric (kg, m, s) and times UTC, as stored.",
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return counts

"""Heart-rate profiles: what a user told us, what their devices measured, and the zones that follow.

The measured maximum and resting rate a person enters win; without them the maximum is estimated
from the age (Tanaka, 208 - 0.7 x age, in completed years from ``User.birth_date``) and the resting
rate is the newest ``resting_heart_rate_bpm`` of a device day summary of the last
:data:`RESTING_LOOKBACK_DAYS` days (the kept copy, not a duplicate). The live socket builds its
:class:`~fithub.core.telemetry.physiology.HeartProfile` with :func:`heart_profile`; the REST API
shows the same values with their sources through :func:`describe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.devices.models import DeviceDailySummary
from fithub.core.errors import NotFound, ValidationFailed
from fithub.core.telemetry.models import HeartRateProfile
from fithub.core.telemetry.physiology import (
    HeartProfile,
    HeartRateZones,
    Sex,
    max_heart_rate,
)

RESTING_LOOKBACK_DAYS = 30
MAX_BPM_RANGE = (100, 230)
RESTING_BPM_RANGE = (25, 120)

RestingSource = Literal["measured", "device"]


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    """Everything a heart profile is made of, with where each value came from."""

    stored: HeartRateProfile | None
    age: int | None
    sex: Sex | None
    weight_kg: float | None
    resting_bpm: float | None
    resting_source: RestingSource | None

    def heart_profile(self) -> HeartProfile:
        """The physiology dataclass of these facts."""
        measured_max = self.stored.max_bpm if self.stored else None
        return HeartProfile(
            age=None if not self.age else float(self.age),
            sex=self.sex,
            weight_kg=self.weight_kg if self.weight_kg and self.weight_kg > 0 else None,
            resting_bpm=self.resting_bpm,
            max_bpm=None if measured_max is None else float(measured_max),
        )


def age_on(birth_date: date | None, today: date) -> int | None:
    """Completed years on ``today``; None when the birth date is unknown or not in the past."""
    if birth_date is None or birth_date >= today:
        return None
    years = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    return years


async def _device_resting_bpm(user_id: int, today: date) -> float | None:
    since = today - timedelta(days=RESTING_LOOKBACK_DAYS)
    found = (
        await DeviceDailySummary.filter(
            user_id=user_id,
            duplicate_of=None,
            day__gte=since,
            day__lte=today,
            resting_heart_rate_bpm__not_isnull=True,
        )
        .order_by("-day", "-id")
        .limit(1)
        .values_list("resting_heart_rate_bpm", flat=True)
    )
    value = found[0] if found else None
    return float(value) if isinstance(value, int | float) and value > 0 else None


async def facts(user_id: int, today: date | None = None) -> ProfileFacts:
    """Gather the user's stored profile, age, sex, weight and the resting rate with its source."""
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("No such user.")
    today = today or datetime.now(UTC).date()
    stored = await HeartRateProfile.get_or_none(user_id=user_id)
    resting: float | None = None
    source: RestingSource | None = None
    if stored is not None and stored.resting_bpm is not None:
        resting, source = float(stored.resting_bpm), "measured"
    else:
        resting = await _device_resting_bpm(user_id, today)
        source = "device" if resting is not None else None
    gender = user.gender.value if user.gender is not None else None
    sex: Sex | None = "male" if gender == "male" else "female" if gender == "female" else None
    return ProfileFacts(
        stored, age_on(user.birth_date, today), sex, user.weight_kg, resting, source
    )


async def heart_profile(user_id: int) -> HeartProfile:
    """The heart profile live derivations and alerts use for ``user_id`` (any field may be None)."""
    return (await facts(user_id)).heart_profile()


def describe_zones(zones: HeartRateZones | None) -> dict[str, Any] | None:
    """The five zones for the API: the method and each zone's bounds in bpm (one decimal)."""
    if zones is None:
        return None
    return {
        "method": zones.method,
        "items": [
            {"zone": index + 1, "low_bpm": round(low, 1), "high_bpm": round(high, 1)}
            for index, (low, high) in enumerate(zones.bounds())
        ],
    }


def describe(found: ProfileFacts) -> dict[str, Any]:
    """The profile as the API shows it: stored values, effective values with sources, zones."""
    profile = found.heart_profile()
    maximum = max_heart_rate(profile)
    zones = HeartRateZones.for_profile(profile)
    stored = found.stored
    return {
        "max_bpm": stored.max_bpm if stored else None,
        "resting_bpm": stored.resting_bpm if stored else None,
        "effective": {
            "max_bpm": None if maximum is None else round(maximum.bpm, 1),
            "max_source": None if maximum is None else maximum.source,
            "resting_bpm": None if found.resting_bpm is None else round(found.resting_bpm, 1),
            "resting_source": found.resting_source,
            "age": found.age,
        },
        "zones": describe_zones(zones),
        "updated_at": stored.updated_at if stored else None,
    }


def check_values(max_bpm: int | None, resting_bpm: int | None) -> None:
    """ValidationFailed naming each field out of range, or a resting rate not below the maximum."""
    errors: list[dict[str, Any]] = []
    for field, value, (low, high) in (
        ("max_bpm", max_bpm, MAX_BPM_RANGE),
        ("resting_bpm", resting_bpm, RESTING_BPM_RANGE),
    ):
        if value is not None and not low <= value <= high:
            errors.append({"field": field, "message": f"must be between {low} and {high} bpm"})
    if not errors and max_bpm is not None and resting_bpm is not None and resting_bpm >= max_bpm:
        errors.append({"field": "resting_bpm", "message": "must be below max_bpm"})
    if errors:
        raise ValidationFailed("The heart-rate profile is not plausible.", errors=errors)


async def set_profile(
    user: User, client: ClientInfo, max_bpm: int | None, resting_bpm: int | None
) -> ProfileFacts:
    """Store the measured maximum and resting rate (None clears one), audited; the new facts."""
    check_values(max_bpm, resting_bpm)
    async with in_transaction():
        stored = await HeartRateProfile.get_or_none(user_id=user.id)
        before = (
            None
            if stored is None
            else {"max_bpm": stored.max_bpm, "resting_bpm": stored.resting_bpm}
        )
        if stored is None:  # two first saves at once: the second updates the first's row
            stored, _ = await HeartRateProfile.get_or_create(user_id=user.id)
        stored.max_bpm, stored.resting_bpm = max_bpm, resting_bpm
        await stored.save(update_fields=["max_bpm", "resting_bpm", "updated_at"])
        await audit.record(
            "heart_rate_profile.updated",
            client,
            subject_id=user.id,
            target_type="heart_rate_profile",
            target_id=user.id,
            details={"before": before, "max_bpm": max_bpm, "resting_bpm": resting_bpm},
        )
    return await facts(user.id)

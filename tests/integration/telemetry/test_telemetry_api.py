"""``/api/v1/telemetry`` on a running server: the heart-rate profile and its zones, alert rules,
and the list of live streams; every bad input is a problem-details answer, and nobody sees another
person's rules or streams."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Account, sign_up
from tests.integration.helpers import assert_problem, error_fields
from tests.integration.telemetry.server_db import server_db
from tests.support import FithubServer

PROFILE = "/api/v1/telemetry/heart-rate-profile"


def born_years_ago(years: int) -> str:
    """1 January, ``years`` years ago: exactly ``years`` completed years on any day of this year."""
    return date(datetime.now(UTC).year - years, 1, 1).isoformat()


def bands(body: dict[str, Any]) -> list[tuple[int, float, float]]:
    return [(z["zone"], z["low_bpm"], z["high_bpm"]) for z in body["zones"]["items"]]


async def profile(api: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    answer = await api.get(PROFILE, headers=account.auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# -- heart-rate profile ---------------------------------------------------------------------------


async def test_an_empty_profile_has_no_zones(api: httpx.AsyncClient, user: Account) -> None:
    body = await profile(api, user)
    assert body["max_bpm"] is None and body["resting_bpm"] is None and body["zones"] is None
    assert body["effective"] == {"max_bpm": None, "max_source": None, "resting_bpm": None,
                                 "resting_source": None, "age": None}  # fmt: skip


async def test_age_gives_tanaka_and_a_resting_rate_gives_reserve_zones(
    api: httpx.AsyncClient,
) -> None:
    person = await sign_up(api, birth_date=born_years_ago(30))
    body = await profile(api, person)
    # Tanaka: 208 - 0.7 x 30 = 187; % of HRmax: 0.5..1.0 x 187 = 93.5, 112.2, 130.9, 149.6, 168.3, 187
    assert body["effective"]["max_bpm"] == 187.0 and body["effective"]["max_source"] == "tanaka"
    assert body["effective"]["age"] == 30
    assert body["zones"]["method"] == "hrmax"
    assert bands(body) == [(1, 93.5, 112.2), (2, 112.2, 130.9), (3, 130.9, 149.6),
                           (4, 149.6, 168.3), (5, 168.3, 187.0)]  # fmt: skip

    put = await api.put(PROFILE, json={"resting_bpm": 60}, headers=person.auth)
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["resting_bpm"] == 60 and body["max_bpm"] is None
    assert body["effective"]["resting_source"] == "measured"
    # Karvonen: reserve 187 - 60 = 127; 60 + 0.5..1.0 x 127 = 123.5, 136.2, 148.9, 161.6, 174.3, 187
    assert body["zones"]["method"] == "hrr"
    assert bands(body) == [(1, 123.5, 136.2), (2, 136.2, 148.9), (3, 148.9, 161.6),
                           (4, 161.6, 174.3), (5, 174.3, 187.0)]  # fmt: skip
    assert await profile(api, person) == body  # stored, read back alike

    put = await api.put(PROFILE, json={"max_bpm": 200, "resting_bpm": 50}, headers=person.auth)
    body = put.json()
    assert body["effective"]["max_source"] == "measured" and body["effective"]["max_bpm"] == 200
    # reserve 150: 50 + 75, 90, 105, 120, 135, 150 = 125, 140, 155, 170, 185, 200
    assert bands(body) == [(1, 125.0, 140.0), (2, 140.0, 155.0), (3, 155.0, 170.0),
                           (4, 170.0, 185.0), (5, 185.0, 200.0)]  # fmt: skip

    cleared = await api.put(PROFILE, json={}, headers=person.auth)
    assert cleared.json()["effective"]["max_source"] == "tanaka"  # back to the estimate
    assert cleared.json()["zones"]["method"] == "hrmax"


async def test_a_measured_maximum_alone_gives_percent_of_max_zones(
    api: httpx.AsyncClient, user: Account
) -> None:
    body = (await api.put(PROFILE, json={"max_bpm": 190}, headers=user.auth)).json()
    # 0.5..1.0 x 190 = 95, 114, 133, 152, 171, 190
    assert body["zones"]["method"] == "hrmax" and body["effective"]["age"] is None
    assert bands(body) == [(1, 95.0, 114.0), (2, 114.0, 133.0), (3, 133.0, 152.0),
                           (4, 152.0, 171.0), (5, 171.0, 190.0)]  # fmt: skip


async def test_the_resting_rate_comes_from_the_newest_device_day_of_the_last_30_days(
    api: httpx.AsyncClient, server: FithubServer
) -> None:
    person = await sign_up(api, birth_date=born_years_ago(30))
    today = datetime.now(UTC).date()
    from fithub.core.devices.models import DeviceDailySummary

    async with server_db(server):
        rows = [  # (days ago, resting bpm, duplicate of another row)
            (2, 52.0, None), (10, 70.0, None), (1, 40.0, 1), (45, 45.0, None), (0, None, None),
        ]  # fmt: skip
        for index, (ago, resting, duplicate) in enumerate(rows):
            await DeviceDailySummary.create(
                user_id=person.id, provider="oura", external_id=f"day-{index}", digest="d",
                day=today - timedelta(days=ago), resting_heart_rate_bpm=resting,
                duplicate_of=duplicate,
            )  # fmt: skip
    body = await profile(api, person)
    # the duplicate (40), the day without a value and the 45-day-old one are skipped: 52 wins
    assert body["effective"]["resting_bpm"] == 52.0
    assert body["effective"]["resting_source"] == "device"
    # reserve 187 - 52 = 135: 52 + 67.5, 81, 94.5, 108, 121.5, 135
    assert bands(body)[0] == (1, 119.5, 133.0) and bands(body)[4] == (5, 173.5, 187.0)
    mine = await api.put(PROFILE, json={"resting_bpm": 58}, headers=person.auth)
    assert mine.json()["effective"]["resting_source"] == "measured"  # yours beats the device's


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"max_bpm": 99}, {"max_bpm"}),
        ({"max_bpm": 231}, {"max_bpm"}),
        ({"resting_bpm": 24}, {"resting_bpm"}),
        ({"resting_bpm": 121}, {"resting_bpm"}),
        ({"max_bpm": 110, "resting_bpm": 110}, {"resting_bpm"}),  # not below the maximum
        ({"max_bpm": "fast"}, {"max_bpm"}),
        ({"max_bpm": 180, "vo2max": 50}, {"vo2max"}),
    ],
)
async def test_implausible_profiles_are_refused(
    api: httpx.AsyncClient, shared_user: Account, body: dict[str, Any], fields: set[str]
) -> None:
    answer = await api.put(PROFILE, json=body, headers=shared_user.auth)
    problem = assert_problem(answer, 422, "validation_failed")
    assert {f.rsplit(".", 1)[-1] for f in error_fields(problem)} == fields
    assert (await profile(api, shared_user))["max_bpm"] is None  # nothing stored


async def test_the_profile_needs_a_token(api: httpx.AsyncClient) -> None:
    assert_problem(await api.get(PROFILE), 401)
    assert_problem(await api.put(PROFILE, json={"max_bpm": 180}), 401)

"""One live session, camera and heart rate together, through a real server.

Synthetic push-up landmarks go over ``/ws/v1/live``: three reps, a rest of about half a minute
with the person still in view, five reps, then a quarter of a minute of rest. Heart-rate samples
of the same minutes are pushed for the user (as a phone app pushes HealthKit samples). The stored
workout has two sets, each with its heart rate, rest, recovery and time under tension; the most
reps of a bodyweight exercise is a personal record; the workout carries its heart-rate series.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from fithub.vision.landmarks import PoseFrame
from fithub.vision.synthetic import Camera, concat, sequence
from tests.conftest import Account
from tests.e2e.live import LiveClient, reps_in
from tests.integration.conftest import Catalog
from tests.integration.training import create_workout, current_records, get_workout, log_set
from tests.support import FithubServer

#: A phone on the floor, landscape, as for the push-up unit tests.
FLOOR_CAMERA = Camera(aspect=16 / 9, height=2.0, distance=4.0, elevation=0.5, floor=0.8)
HK_HEART_RATE = "HKQuantityTypeIdentifierHeartRate"


def landmark_messages(frames: list[PoseFrame]) -> list[str]:
    """``landmarks`` messages as a phone computing its own pose sends them."""
    return [
        json.dumps({
            "type": "landmarks",
            "t_ms": round(f.t_ms, 1),
            "landmarks": f.landmarks.round(5).tolist(),
            "world": f.world[:, :3].round(5).tolist() if f.world is not None else None,
            "aspect": f.aspect,
        })
        for f in frames
    ]  # fmt: skip


def pushups(*bursts: int, rest_s: float = 30.0, tail_s: float = 15.0) -> list[PoseFrame]:
    """Bursts of push-ups at 15 fps; between and after them the person holds still (2 fps)."""
    parts: list[list[PoseFrame]] = []
    for i, reps in enumerate(bursts):
        if i:
            parts.append(sequence("pushup", 0, camera=FLOOR_CAMERA, fps=2, lead_s=rest_s, seed=i))
        parts.append(sequence("pushup", reps, camera=FLOOR_CAMERA, fps=15, noise=0.002, seed=i))
    parts.append(sequence("pushup", 0, camera=FLOOR_CAMERA, fps=2, lead_s=tail_s, seed=9))
    return concat(*parts)


async def push_heart_rate(api: httpx.AsyncClient, user: Account,
                          samples: list[tuple[float, int]]) -> None:  # fmt: skip
    """Store (epoch seconds, bpm) samples for ``user`` through the phone-app batch endpoint."""
    records = [
        {"uuid": str(uuid.uuid4()).upper(), "type": HK_HEART_RATE, "unit": "count/min",
         "start": datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds"),
         "value": bpm, "source": "Test Strap"}
        for at, bpm in samples
    ]  # fmt: skip
    response = await api.post("/api/v1/devices/apple_health/batch", headers=user.auth,
                              json={"records": records})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == len(samples)


async def live_session(
    server: FithubServer, user: Account, frames: list[PoseFrame], reps: int
) -> tuple[float, list[dict[str, Any]], LiveClient]:
    """Start a push-up session and play ``frames``; wait for ``reps`` reps (the session stays open).

    Returns the wall-clock time (epoch s) just before the first frame went out, the rep events
    and the client. The server ties session time 0 to when it analysed that first frame, a few
    milliseconds later: the samples below keep a second or more away from every boundary.
    """
    client = await LiveClient.open(server, user.access_token)
    await client.start("pushup")
    sent_at = time.time()
    await client.play(landmark_messages(frames))
    await client.expect("rep", number=reps)
    return sent_at, list(reps_in(client.events)), client


async def test_a_live_session_is_stored_as_sets_with_their_heart_rate(
    server: FithubServer, api: httpx.AsyncClient, user: Account, other_user: Account,
    catalog: Catalog,
) -> None:  # fmt: skip
    frames = pushups(3, 5)
    sent_at, reps, client = await live_session(server, user, frames, 8)
    assert len(reps) == 8

    def wall(t_ms: float, plus_s: float = 0.0) -> float:
        return sent_at + t_ms / 1000 + plus_s

    s_a, e_a = reps[0]["start_ms"], reps[2]["end_ms"]
    s_b, e_b = reps[3]["start_ms"], reps[7]["end_ms"]
    last = frames[-1].t_ms
    samples = [
        (wall(0, -30), 70),  # before the session: in no set, not in the workout's series
        (wall(s_a, 1.5), 110), (wall(s_a, 3.0), 125), (wall(e_a, -1.0), 140),  # set A
        (wall(e_a, 10), 120), (wall(e_a, 20), 105), (wall(s_b, -1.0), 100),  # the rest
        (wall(s_b, 3.0), 130), (wall(s_b, 6.0), 150), (wall(e_b, -1.0), 160),  # set B
        (wall(last, -1.0), 110),  # near the session's last frame
    ]  # fmt: skip
    await push_heart_rate(api, user, samples)
    summary = await client.stop()
    assert summary["reps"] == 8 and summary["workout_id"]

    workout = await get_workout(api, user, summary["workout_id"])
    ((entry),) = workout["exercises"]
    assert entry["exercise_id"] == catalog.id("Push-up")
    first, second = entry["sets"]
    assert (first["reps"], second["reps"]) == (3, 5)
    # set A: mean of 110, 125, 140 = 125, peak 140; recovery: HR at its end (the 140 sample,
    # 1 s before) minus HR at the end of the rest (the 100 sample, 1 s before set B) = 40.
    assert (first["heart_rate"], first["heart_rate_peak"], first["heart_rate_recovery_bpm"]) == (
        125, 140, 40)  # fmt: skip
    # set B: mean of 130, 150, 160 = 146.67 -> 147, peak 160; its rest runs to the last frame
    # (about 16 s, under 60 s): 160 - 110 = 50.
    assert (second["heart_rate"], second["heart_rate_peak"],
            second["heart_rate_recovery_bpm"]) == (147, 160, 50)  # fmt: skip
    # rest: from set A's last rep's end to set B's first rep's start; none after the last set.
    assert first["rest_s"] == round((s_b - e_a) / 1000) and first["rest_s"] >= 20
    assert second["rest_s"] is None
    for stored, burst in ((first, reps[:3]), (second, reps[3:])):
        # time under tension: the reps' own durations, summed; duration: first start to last end
        tut = sum(r["end_ms"] - r["start_ms"] for r in burst) / 1000
        assert stored["time_under_tension_s"] == round(tut, 1)
        assert stored["duration_s"] == round((burst[-1]["end_ms"] - burst[0]["start_ms"]) / 1000)
    assert first["custom"] == {"live_session": summary["session_id"]}
    assert second["custom"] == {"live_session": summary["session_id"], "live_set": 2}

    # most reps of a bodyweight exercise: 3 (a first record), then 5 (beating 3)
    (record,) = await current_records(api, user, kind="max_reps")
    assert (record["value"], record["previous_value"], record["unit"]) == (5, 3, "reps")
    assert record["set_id"] == second["id"]

    # the heart-rate series: every sample between the workout's start and end, one a second
    base = f"/api/v1/workouts/{workout['id']}/heart-rate"
    series = await api.get(base, params={"resolution_s": 1}, headers=user.auth)
    assert series.status_code == 200, series.text
    body = series.json()
    expected = [bpm for _, bpm in samples[1:]]
    assert [p["bpm"] for p in body["points"]] == expected
    assert (body["samples"], body["resolution_s"]) == (10, 1)
    # at 300 s per point the whole session (about a minute) is one point: the mean,
    # (110 + 125 + 140 + 120 + 105 + 100 + 130 + 150 + 160 + 110) / 10 = 1250 / 10 = 125.0
    coarse = (await api.get(base, params={"resolution_s": 300}, headers=user.auth)).json()
    assert [p["bpm"] for p in coarse["points"]] == [125.0]
    for bad in ("0", "301", "x"):
        refused = await api.get(base, params={"resolution_s": bad}, headers=user.auth)
        assert refused.status_code in (400, 422), refused.text
    assert (await api.get(base, headers=other_user.auth)).status_code == 404

    # a second session with more reps in one set beats the record
    _, _, again = await live_session(server, user, pushups(6), 6)
    second_summary = await again.stop()
    assert second_summary["reps"] == 6
    (record,) = await current_records(api, user, kind="max_reps")
    assert (record["value"], record["previous_value"]) == (6, 5)
    assert record["workout_id"] == second_summary["workout_id"]
    only = (await get_workout(api, user, second_summary["workout_id"]))["exercises"][0]["sets"]
    assert [(s["reps"], s["rest_s"]) for s in only] == [(6, None)]  # one set, no rest after it


async def test_most_reps_counts_bodyweight_sets_without_added_weight_only(
    api: httpx.AsyncClient, user: Account, catalog: Catalog
) -> None:
    workout = await create_workout(api, user, status="in_progress")
    pushup, squat = catalog.id("Push-up"), catalog.id("Squat")  # bodyweight; a barbell lift
    logged = await log_set(api, user, workout["id"], exercise_id=pushup, reps=20)
    assert [r["kind"] for r in logged["records"]] == ["max_reps"]
    weighted = await log_set(api, user, workout["id"], exercise_id=pushup, reps=25, weight=10,
                             weight_unit="kg")  # fmt: skip
    assert "max_reps" not in [r["kind"] for r in weighted["records"]]
    fewer = await log_set(api, user, workout["id"], exercise_id=pushup, reps=19, weight=0)
    assert "max_reps" not in [r["kind"] for r in fewer["records"]]  # 19 < 20
    more = await log_set(api, user, workout["id"], exercise_id=pushup, reps=21, weight=0)
    assert [(r["kind"], r["value"], r["previous_value"]) for r in more["records"]
            if r["kind"] == "max_reps"] == [("max_reps", 21, 20)]  # fmt: skip
    unloaded_squat = await log_set(api, user, workout["id"], exercise_id=squat, reps=30)
    assert "max_reps" not in [r["kind"] for r in unloaded_squat["records"]]


async def test_set_heart_rate_fields_are_validated(
    api: httpx.AsyncClient, user: Account, catalog: Catalog
) -> None:
    workout = await create_workout(api, user, status="in_progress")
    pushup = catalog.id("Push-up")
    path = f"/api/v1/workouts/{workout['id']}/sets"
    fine = await log_set(api, user, workout["id"], exercise_id=pushup, reps=10, heart_rate=120,
                         heart_rate_peak=150, heart_rate_recovery_bpm=30,
                         time_under_tension_s=21.5)  # fmt: skip
    stored = fine["set"]
    assert (stored["heart_rate"], stored["heart_rate_peak"], stored["heart_rate_recovery_bpm"],
            stored["time_under_tension_s"]) == (120, 150, 30, 21.5)  # fmt: skip
    for bad in ({"heart_rate": 150, "heart_rate_peak": 140}, {"heart_rate_peak": 251},
                {"heart_rate_peak": 19}, {"time_under_tension_s": -1}):  # fmt: skip
        refused = await api.post(path, headers=user.auth,
                                 json={"exercise_id": pushup, "reps": 5, **bad})  # fmt: skip
        assert refused.status_code in (400, 422), (bad, refused.text)

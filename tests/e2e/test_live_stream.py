"""The live-workout WebSocket end to end: a real ``fithub serve``, a real client, the shared clips.

Camera frames and phone-computed landmarks are counted into reps and stored as a workout through
the training service; bad input, floods and dropped connections never cost another session its
count; a dropped session can be resumed, or is stored on its own once its window has passed.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import Account, sign_up
from tests.e2e.live import (
    LiveClient,
    clip,
    jpeg_frames,
    landmark_messages,
    process_rss_kb,
    reps_in,
    restart_clock,
    ws_url,
)
from tests.support import FithubServer, cleanup, make_server

SMALL_MESSAGE_BYTES = 65536
SHORT_WINDOW_S = 2


def assert_counted(summary: dict[str, Any], name: str) -> None:
    """The summary's reps lie in the clip's labelled range, and agree with its rep events."""
    labelled = clip(name)
    reps = summary["reps"]
    frames = {k: v for k, v in summary.items() if k.startswith("frames_")}
    assert labelled.low <= reps <= labelled.high, (
        f"{name}: counted {reps}, expected {labelled.reps} (range {labelled.low}-{labelled.high}); "
        f"{frames}"
    )
    assert [r["number"] for r in summary["rep_events"]] == list(range(1, reps + 1))
    assert all(r["exercise"] == labelled.exercise for r in summary["rep_events"])


async def stream_landmarks(
    server: FithubServer, account: Account, name: str, exercise: str, step: int = 1, **start: Any
) -> tuple[LiveClient, dict[str, Any]]:
    """Play a clip's landmarks through a new socket and stop; the client and the summary."""
    client = await LiveClient.open(server, account.access_token)
    started = await client.start(exercise, **start)
    assert started["reps"] == 0 and started["session_id"]
    await client.play(landmark_messages(name, step))
    return client, await client.stop()


def log_sizes(server: FithubServer) -> dict[Path, int]:
    return {path: path.stat().st_size if path.exists() else 0 for path in server.logs}


def errors_logged(server: FithubServer, since: dict[Path, int]) -> list[str]:
    """Error lines (and uncaught task failures) the server's processes logged since ``since``."""
    found = []
    for path in server.logs:
        with path.open("rb") as handle:
            handle.seek(since.get(path, 0))
            text = handle.read().decode(errors="replace")
        found += [
            line for line in text.splitlines()
            if '"level": "error"' in line or "never retrieved" in line or "Traceback" in line
        ]
    return found


@pytest.fixture(scope="module", autouse=True)
def server_logged_no_errors(server: FithubServer) -> Iterator[None]:
    """Nothing these tests do, however malformed, makes the server log an error."""
    since = log_sizes(server)
    yield
    errors = errors_logged(server, since)
    assert not errors, "\n".join(errors)[-5000:]


@pytest.fixture(scope="module")
def small_server() -> Iterator[FithubServer]:
    """A server of its own: messages up to 64 KiB, sessions resumable for 2 s."""
    extra = {
        "FITHUB_LIVE_MAX_MESSAGE_BYTES": str(SMALL_MESSAGE_BYTES),
        "FITHUB_LIVE_RESUME_WINDOW_S": str(SHORT_WINDOW_S),
    }
    srv, database = make_server(extra)
    try:
        srv.start()
        since = log_sizes(srv)
        yield srv
        errors = errors_logged(srv, since)
        assert not errors, "\n".join(errors)[-5000:]
    finally:
        cleanup(srv, database)


@pytest.fixture
async def small_api(small_server: FithubServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=small_server.base_url, timeout=30) as client:
        yield client


# -- 1. counting real clips, and what is stored ----------------------------------------------------


async def test_camera_frames_of_a_squat_clip_are_counted_and_stored(server, api, user):
    """JPEG frames of a real video with their capture times: reps, a workout, a set, a record."""
    frames = jpeg_frames("squat_vengaza", step=3)  # 8.3 fps of a 25 fps clip
    client = await LiveClient.open(server, user.access_token)
    started = await client.start("squat", send_pose=True)
    await client.play_lockstep([f.as_json() for f in frames])
    summary = await client.stop()

    assert_counted(summary, "squat_vengaza")
    assert summary["session_id"] == started["session_id"] and summary["exercise"] == "squat"
    assert summary["frames_received"] == len(frames)
    assert summary["frames_analysed"] == len(frames) and summary["frames_dropped"] == 0
    assert summary["frames_failed"] == 0
    poses = client.of_type("pose")
    assert len(poses) == len(frames)
    assert [p["t_ms"] for p in poses] == [round(f.t_ms, 1) for f in frames]
    assert all(len(p["landmarks"]) == 33 for p in poses)
    # Rep events reached the client as they happened, before the summary, and match it.
    assert list(reps_in(client.events)) == summary["rep_events"]
    assert client.events.index(summary) > client.events.index(summary["rep_events"][-1])
    scores = [r["form_score"] for r in summary["rep_events"]]
    assert summary["form_score"] == pytest.approx(sum(scores) / len(scores), abs=1e-3)

    workout = await api.get(f"/api/v1/workouts/{summary['workout_id']}", headers=user.auth)
    assert workout.status_code == 200, workout.text
    body = workout.json()
    assert body["source"] == "live" and body["status"] == "completed" and body["tags"] == ["live"]
    [entry] = body["exercises"]
    assert entry["exercise_name"].lower() == "squat"
    [stored] = entry["sets"]
    rep_events = summary["rep_events"]
    duration = round((rep_events[-1]["end_ms"] - rep_events[0]["start_ms"]) / 1000)
    assert stored["id"] == summary["set_id"]
    assert stored["reps"] == summary["reps"] and stored["completed"] is True
    assert stored["form_score"] == pytest.approx(summary["form_score"])
    assert stored["duration_s"] == duration == body["duration_s"]
    assert duration > 5  # three deep squats take a while
    assert stored["custom"] == {"live_session": summary["session_id"]}

    records = await api.get(
        "/api/v1/records", headers=user.auth, params={"exercise_id": entry["exercise_id"]}
    )
    assert records.status_code == 200, records.text
    by_kind = {r["kind"]: r for r in records.json()["items"]}
    assert by_kind["longest_duration"]["value"] == duration
    assert by_kind["longest_duration"]["set_id"] == stored["id"]
    assert by_kind["longest_duration"]["workout_id"] == body["id"]


async def test_landmark_streams_count_push_ups_and_lunges(server, api, user):
    """Landmarks computed on the phone, two sessions of one user at once, each counted alone."""
    (pushups, pushup_summary), (lunges, lunge_summary) = await asyncio.gather(
        stream_landmarks(server, user, "pushup_omartarek_front", "pushup"),
        stream_landmarks(server, user, "lunge_vengaza_alternating", "lunge", step=2),
    )
    assert_counted(pushup_summary, "pushup_omartarek_front")
    assert_counted(lunge_summary, "lunge_vengaza_alternating")
    assert pushup_summary["frames_failed"] == lunge_summary["frames_failed"] == 0
    assert pushup_summary["workout_id"] != lunge_summary["workout_id"]
    # Feedback during the session refers to reps of that session only.
    for client, summary in ((pushups, pushup_summary), (lunges, lunge_summary)):
        assert all(
            1 <= f["rep"] <= summary["reps"] for f in client.of_type("feedback") if "rep" in f
        )
    listed = await api.get("/api/v1/workouts", headers=user.auth, params={"tag": "live"})
    assert {w["id"] for w in listed.json()["items"]} == {
        pushup_summary["workout_id"],
        lunge_summary["workout_id"],
    }


async def test_auto_recognises_the_exercise_and_counts_it(server, api, user):
    client, summary = await stream_landmarks(server, user, "squat_vengaza", "auto", step=2)
    [recognised] = client.of_type("exercise")
    assert recognised["exercise"] == "squat"
    first_rep = next(reps_in(client.events))
    assert client.events.index(recognised) < client.events.index(first_rep)
    assert summary["exercise"] == "squat"
    assert_counted(summary, "squat_vengaza")
    workout = (await api.get(f"/api/v1/workouts/{summary['workout_id']}", headers=user.auth)).json()
    assert workout["exercises"][0]["exercise_name"].lower() == "squat"
    assert workout["exercises"][0]["sets"][0]["reps"] == summary["reps"]


# -- 2. logging into an existing workout -------------------------------------------------------------


async def _workout(api: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    made = await api.post(
        "/api/v1/workouts", headers=account.auth, json={"name": "Legs", "status": "in_progress"}
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_a_set_is_logged_into_an_existing_workout(server, api, user):
    workout = await _workout(api, user)
    _, summary = await stream_landmarks(
        server, user, "squat_michpapadum_smp", "squat", workout_id=workout["id"]
    )
    assert_counted(summary, "squat_michpapadum_smp")
    assert summary["workout_id"] == workout["id"]
    body = (await api.get(f"/api/v1/workouts/{workout['id']}", headers=user.auth)).json()
    [entry] = body["exercises"]
    assert [s["id"] for s in entry["sets"]] == [summary["set_id"]]
    assert entry["sets"][0]["reps"] == summary["reps"]
    listed = (await api.get("/api/v1/workouts", headers=user.auth)).json()["items"]
    assert [w["id"] for w in listed] == [workout["id"]]  # no second, live-made workout


async def test_another_users_workout_is_not_found_and_starts_nothing(
    server, api, user, other_user
):
    theirs = await _workout(api, other_user)
    client = await LiveClient.open(server, user.access_token)
    await client.send({"type": "start", "exercise": "squat", "workout_id": theirs["id"]})
    refused = await client.expect("error")
    assert refused["status"] == 404 and refused["code"] == "not_found"
    assert not client.of_type("started")
    await client.send(landmark_messages("squat_michpapadum_smp")[0])
    await client.error("not_started")
    # The socket is still usable: a session without the foreign workout starts.
    started = await client.start("squat")
    assert started["reps"] == 0
    summary = await client.stop()
    assert summary["reps"] == 0 and summary["workout_id"] is None
    body = (await api.get(f"/api/v1/workouts/{theirs['id']}", headers=other_user.auth)).json()
    assert body["exercises"] == []


# -- 3. authentication -----------------------------------------------------------------------------


def _forged(server: FithubServer, account: Account, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": "fithub", "sub": str(account.id), "sid": account.session_id, "role": "user",
               "iat": now, "exp": now + 300, **claims}
    key = (server.data_dir / "secrets" / "jwt_private.pem").read_bytes()
    return jwt.encode(payload, key, algorithm="RS256")


async def test_auth_by_first_message_works(server, user):
    client = await LiveClient.open(server, user.access_token, via="message")
    ready = client.of_type("ready")[0]
    assert ready["user_id"] == user.id and ready["protocol"] == "fithub.live.v1"
    assert client.ws.subprotocol == "fithub.live.v1"
    await client.start("pushup")
    await client.play(landmark_messages("pushup_omartarek_front", 2))
    assert_counted(await client.stop(), "pushup_omartarek_front")


async def test_the_camera_socket_refuses_permessage_deflate_and_telemetry_keeps_it(server, user):
    from websockets.asyncio.client import connect

    # The client offers deflate (as most do): the camera socket answers without it, as frames
    # are JPEG; telemetry's JSON batches compress well and keep it.
    client = await LiveClient.open(server, user.access_token, compress=True)
    assert "Sec-WebSocket-Extensions" not in client.ws.response.headers
    assert client.ws.protocol.extensions == []
    await client.start("squat")
    await client.close()
    telemetry = await connect(
        ws_url(server).replace("/ws/v1/live", "/ws/v1/telemetry"),
        subprotocols=["fithub.telemetry.v1", f"bearer.{user.access_token}"],
        compression="deflate",
        open_timeout=10,
    )
    try:
        assert "permessage-deflate" in telemetry.response.headers["Sec-WebSocket-Extensions"]
        assert [e.name for e in telemetry.protocol.extensions] == ["permessage-deflate"]
    finally:
        await telemetry.close()


@pytest.mark.parametrize("via", ["subprotocol", "message"])
async def test_bad_and_expired_tokens_are_refused_with_4401(server, user, via):
    # The control: a token forged with the server's key, still valid, is accepted.
    accepted = await LiveClient.open(server, _forged(server, user), via=via)
    assert accepted.of_type("ready")[0]["user_id"] == user.id
    await accepted.close()

    past = int(time.time()) - 3600
    expired = _forged(server, user, iat=past - 900, exp=past)
    for token, reason in ((expired, "expired"), ("not-a-token-at-all", "invalid")):
        client = await LiveClient.open(server, token, via=via, wait_ready=False)
        code, said = await client.wait_closed()
        assert code == 4401, (code, said)
        assert reason in said
        assert not client.of_type("ready")


async def test_a_first_message_that_is_not_auth_is_4401(server, user):
    client = await LiveClient.open(server, None)
    await client.send({"type": "start", "exercise": "squat"})
    assert (await client.wait_closed())[0] == 4401
    assert client.events == []


async def test_a_silent_socket_is_closed_with_4408_after_the_auth_timeout(server):
    client = await LiveClient.open(server, None)
    began = time.monotonic()
    code, reason = await client.wait_closed(within=15)
    assert code == 4408 and "auth" in reason
    assert 9 <= time.monotonic() - began < 14  # the documented 10 s
    assert client.events == []


# -- 4. bad input, each on its own socket, never disturbing others ----------------------------------


async def bad_image_is_reported_and_the_session_continues(server, account):
    client = await LiveClient.open(server, account.access_token)
    await client.start("squat")
    await client.send(b"\xff\xd8\xff this is not really a JPEG" + bytes(200))
    first = await client.error("bad_image")
    assert first["status"] == 422
    # An empty binary message is not an image either.
    await client.send(b"")
    await client.wait_for(
        lambda e: e.get("code") == "bad_image" and e is not first, "second bad_image"
    )
    await client.send({"type": "frame", "data": "bm90IGFuIGltYWdl"})  # base64 of "not an image"
    await client.wait_for(
        lambda e: len([x for x in client.of_type("error") if x["code"] == "bad_image"]) >= 3,
        "third bad_image",
    )
    await client.send({"type": "frame", "data": "!!! not base64 !!!"})
    await client.error("bad_frame")
    await client.play(landmark_messages("squat_michpapadum_smp"))
    summary = await client.stop()
    assert_counted(summary, "squat_michpapadum_smp")
    assert summary["frames_failed"] == 3


async def frames_before_start_are_refused(server, account):
    client = await LiveClient.open(server, account.access_token)
    jpeg = jpeg_frames("squat_vengaza", step=50)[0].jpeg
    for message in (jpeg, landmark_messages("squat_vengaza")[0], {"type": "stop"}):
        before = len(client.events)
        await client.send(message)
        refused = await client.next_event(before)
        assert refused["type"] == "error" and refused["code"] == "not_started", refused
        assert refused["status"] == 409
    await client.start("squat")
    await client.close()


async def unknown_exercise_is_422(server, account):
    client = await LiveClient.open(server, account.access_token)
    await client.send({"type": "start", "exercise": "burpee"})
    refused = await client.error("unknown_exercise")
    assert refused["status"] == 422 and refused["title"] and refused["detail"]
    assert refused["problem_type"] == "https://fithub.dev/problems/unknown-exercise"
    assert refused["errors"][0]["field"] == "exercise"
    assert "squat" in refused["errors"][0]["message"]
    assert not client.of_type("started")
    await client.start("lunge")  # the socket lives on
    await client.close()


async def malformed_messages_close_with_4400_after_20(server, account):
    client = await LiveClient.open(server, account.access_token)
    await client.start("squat")
    bad: list[str] = [
        "{not json",
        json.dumps([1, 2, 3]),
        json.dumps({"type": "landmarks", "t_ms": "soon", "landmarks": []}),
        json.dumps({"type": "start", "exercise": 5}),
        json.dumps({"type": "teleport"}),
        json.dumps({"type": "landmarks", "t_ms": 1, "landmarks": [[0, 0, 0, 1]] * 32}),
        json.dumps({"type": "stop", "now": True}),
        json.dumps({"type": "resume", "session_id": 42}),
    ]
    for i in range(19):
        before = len(client.events)
        assert await client.try_send(bad[i % len(bad)])
        reply = await client.next_event(before)
        assert reply["type"] == "error" and reply["code"] == "bad_message", reply
        assert reply["status"] == 400 and reply["errors"], reply
    assert not client.closed
    await client.send("{still not json")
    assert (await client.wait_closed()) == (4400, "too many malformed messages")


async def a_flood_is_closed_with_1008(server, account):
    client = await LiveClient.open(server, account.access_token)
    await client.start("squat")
    began = time.monotonic()
    sent = 0
    for _ in range(5000):
        if not await client.try_send('{"type":"ping"}'):
            break
        sent += 1
        if sent % 100 == 0:
            await asyncio.sleep(0)  # let the reader run, as a real client reading concurrently
    code, reason = await client.wait_closed()
    assert (code, reason) == (1008, "too many messages")
    # The closing handshake completed: the client did not have to give up on it (10 s).
    assert time.monotonic() - began < 8
    # The server answered at most its burst of pings before cutting the flood off.
    assert 0 < len(client.of_type("pong")) <= 181


SCENARIOS = [
    bad_image_is_reported_and_the_session_continues,
    frames_before_start_are_refused,
    unknown_exercise_is_422,
    malformed_messages_close_with_4400_after_20,
    a_flood_is_closed_with_1008,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
async def test_bad_input(server, user, scenario):
    await scenario(server, user)


async def test_bad_input_never_disturbs_a_concurrent_session(server, api, user, other_user):
    """A lunge session counts right while every kind of bad input hits the server beside it."""
    witness = await LiveClient.open(server, other_user.access_token)
    await witness.start("lunge")

    async def attacks() -> None:
        for scenario in SCENARIOS:
            await scenario(server, user)

    await asyncio.gather(
        witness.play(landmark_messages("lunge_vengaza_alternating", 2)), attacks()
    )
    summary = await witness.stop()
    assert_counted(summary, "lunge_vengaza_alternating")
    assert summary["frames_failed"] == 0 and not witness.of_type("error")


async def test_an_oversized_message_is_closed_with_1009(small_server, small_api):
    account = await sign_up(small_api)
    client = await LiveClient.open(small_server, account.access_token)
    await client.start("squat")
    await client.send(b"\xff\xd8\xff" + bytes(SMALL_MESSAGE_BYTES - 3))  # at the limit: fine
    await client.error("bad_image")
    await client.send(b"\xff\xd8\xff" + bytes(SMALL_MESSAGE_BYTES))
    code, reason = await client.wait_closed()
    assert code == 1009 and str(SMALL_MESSAGE_BYTES) in reason


async def test_messages_in_flight_after_stop_do_not_hold_the_socket_open(server, user):
    """A phone's frames still on their way when it stops are dropped, and the close completes."""
    messages = landmark_messages("squat_vengaza")
    client = await LiveClient.open(server, user.access_token)
    await client.start("squat")
    await client.play(messages[:60])
    began = time.monotonic()
    await client.send({"type": "stop"})
    for message in messages[60:120]:
        if not await client.try_send(message):
            break
    summary = await client.expect("summary")
    assert summary["frames_received"] == 60
    assert await client.wait_closed() == (1000, "session stopped")
    assert time.monotonic() - began < 8  # not the client's 10 s wait for a close that never came


# -- 5. backpressure -------------------------------------------------------------------------------


async def test_frames_sent_faster_than_pose_are_dropped_and_memory_stays_bounded(server, user):
    # Large frames (about 0.5 MB: 1350x2400 at quality 95), so holding on to them would show.
    distinct = [f.jpeg for f in jpeg_frames("squat_vengaza", step=17, quality=95, scale=2.5)]
    frames = [distinct[i % len(distinct)] for i in range(200)]
    big = sum(len(f) for f in frames)
    assert big > 80 * 1024 * 1024, "frames too small to show unbounded buffering"
    pid = server.processes[0].pid

    async def burst(count: int) -> dict[str, Any]:
        client = await LiveClient.open(server, user.access_token, compress=False)
        await client.start("squat")
        await client.play(frames[:160], pace_s=0)  # one burst, under the 180-message allowance
        await client.play(frames[160:count], pace_s=1 / 80)  # then just under 90/s
        return await client.stop()

    await burst(60)  # warm up: pose processes started, buffers of this size allocated once
    baseline = process_rss_kb(pid)
    summary = await burst(200)
    grown_mb = (process_rss_kb(pid) - baseline) / 1024

    assert summary["frames_received"] == 200
    assert summary["frames_dropped"] > 0
    assert summary["frames_analysed"] + summary["frames_dropped"] == summary["frames_received"]
    assert summary["frames_analysed"] >= 2 and summary["frames_failed"] == 0
    assert grown_mb < 32, f"the server grew by {grown_mb:.0f} MB for {big / 2**20:.0f} MB of frames"


# -- 6. resuming a dropped session -------------------------------------------------------------------


async def resume(
    server: FithubServer, account: Account, session_id: str, attempts: int = 50
) -> LiveClient:
    """Reconnect and resume, retrying while the server has not yet noticed the old socket drop."""
    for _ in range(attempts):
        client = await LiveClient.open(server, account.access_token)
        await client.send({"type": "resume", "session_id": session_id})
        if await client.first("started", within=5) is not None:
            return client
        code, _ = await client.wait_closed()
        assert code == 4409, code  # only "still active" is worth retrying
        await asyncio.sleep(0.1)
    raise AssertionError(f"session {session_id} never became resumable")


async def test_a_dropped_session_resumes_and_is_stored_once(server, api, user):
    messages = landmark_messages("squat_vengaza", 2)
    half = len(messages) // 2
    first = await LiveClient.open(server, user.access_token)
    started = await first.start("squat")
    await first.play(messages[:half])
    await first.expect("rep", number=2)  # the first two squats end before the middle of the clip
    counted_before = len(list(reps_in(first.events)))
    await first.abort()  # no stop, no closing handshake

    second = await resume(server, user, started["session_id"])
    resumed = second.of_type("started")[0]
    assert resumed["resumed"] is True and resumed["session_id"] == started["session_id"]
    assert resumed["reps"] == counted_before == 2
    # The reconnected app's clock starts again at 0; the session's clock must run on regardless.
    await second.play(restart_clock(messages[half:]))
    summary = await second.stop()

    assert_counted(summary, "squat_vengaza")
    assert [r["number"] for r in reps_in(second.events)] == list(range(3, summary["reps"] + 1))
    rep_events = summary["rep_events"]
    assert all(a["end_ms"] <= b["start_ms"] for a, b in pairwise(rep_events))
    listed = (await api.get("/api/v1/workouts", headers=user.auth)).json()["items"]
    assert [w["id"] for w in listed] == [summary["workout_id"]]
    body = (await api.get(f"/api/v1/workouts/{summary['workout_id']}", headers=user.auth)).json()
    [entry] = body["exercises"]
    [stored] = entry["sets"]
    assert stored["reps"] == summary["reps"]
    clip_s = (rep_events[-1]["end_ms"] - rep_events[0]["start_ms"]) / 1000
    assert stored["duration_s"] == round(clip_s)
    assert 9 <= clip_s <= 13  # three squats over 11 s of the clip, however the clocks went


async def test_someone_elses_or_an_unknown_session_is_4404(server, user, other_user):
    owner = await LiveClient.open(server, user.access_token)
    session_id = (await owner.start("squat"))["session_id"]
    await owner.abort()
    for account, wanted in ((other_user, session_id), (user, uuid.uuid4().hex)):
        client = await LiveClient.open(server, account.access_token)
        await client.send({"type": "resume", "session_id": wanted})
        assert (await client.wait_closed())[0] == 4404
        assert not client.of_type("started")
    # The owner still can.
    again = await resume(server, user, session_id)
    await again.stop()


async def test_a_session_resumed_twice_at_once_gives_4409(server, user):
    owner = await LiveClient.open(server, user.access_token)
    session_id = (await owner.start("squat"))["session_id"]
    await owner.play(landmark_messages("squat_vengaza", 2)[:90])
    await owner.expect("rep", number=2)
    await owner.abort()

    holder = await resume(server, user, session_id)
    intruder = await LiveClient.open(server, user.access_token)
    await intruder.send({"type": "resume", "session_id": session_id})
    code, reason = await intruder.wait_closed()
    assert code == 4409 and "active" in reason
    assert not holder.closed

    # Two reconnections racing for the same dropped session: never both win.
    await holder.abort()
    while True:
        pair = [await LiveClient.open(server, user.access_token) for _ in range(2)]
        await asyncio.gather(
            *(c.send({"type": "resume", "session_id": session_id}) for c in pair)
        )
        winners = [c for c in pair if await c.first("started", within=5) is not None]
        assert len(winners) <= 1, "two sockets resumed the same session"
        losers = [c for c in pair if c not in winners]
        assert [(await c.wait_closed())[0] for c in losers] == [4409] * len(losers)
        if winners:
            break
        await asyncio.sleep(0.1)
    summary = await winners[0].stop()
    assert summary["reps"] == 2 and summary["session_id"] == session_id


# -- 7. abandoned sessions -------------------------------------------------------------------------


async def test_an_abandoned_session_is_stored_once_after_its_window(small_server, small_api):
    account = await sign_up(small_api)
    client = await LiveClient.open(small_server, account.access_token)
    await client.start("pushup")
    await client.play(landmark_messages("pushup_omartarek_front", 2))
    await client.expect("rep", number=2)
    counted = len(list(reps_in(client.events)))
    await client.abort()
    dropped_at = time.monotonic()

    items: list[dict[str, Any]] = []
    while not items and time.monotonic() - dropped_at < 10:
        items = (await small_api.get("/api/v1/workouts", headers=account.auth)).json()["items"]
        await asyncio.sleep(0.2)
    assert items, "the abandoned session was not stored within 10 s"
    assert time.monotonic() - dropped_at >= SHORT_WINDOW_S - 0.5  # not before its window passed
    body = (await small_api.get(f"/api/v1/workouts/{items[0]['id']}", headers=account.auth)).json()
    assert body["source"] == "live" and body["status"] == "completed"
    [entry] = body["exercises"]
    [stored] = entry["sets"]
    assert stored["reps"] == counted
    labelled = clip("pushup_omartarek_front")
    assert labelled.low <= counted <= labelled.high

    # Past its window the session can no longer be resumed; it stays stored once. The refusal is
    # the event to wait for: a resumed (or detached again) session is the only way to a second set.
    late = await LiveClient.open(small_server, account.access_token)
    await late.send({"type": "resume", "session_id": stored["custom"]["live_session"]})
    assert (await late.wait_closed())[0] in (4404, 4409)
    assert not late.of_type("started")
    again = (await small_api.get("/api/v1/workouts", headers=account.auth)).json()["items"]
    assert [w["id"] for w in again] == [body["id"]]

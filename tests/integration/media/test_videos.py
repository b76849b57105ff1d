"""Uploaded videos through the real server: content checks, the analysis job, retries, isolation.

The analysis runs as a dramatiq job: in the API process on SQLite, in ``fithub worker`` when
FITHUB_REDIS_URL is set. Clips come from the shared data (skipped, with the reason, without it).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.conftest import PASSWORD, Account, sign_up
from tests.exercise_clips import Clip, labelled_clips, missing_reason
from tests.integration.conftest import register
from tests.integration.helpers import assert_problem
from tests.support import FithubServer, cleanup, make_server, redis_url

VIDEOS = "/api/v1/videos"
WAIT_S = 240  # two cores, several clips analysed at once, a process started per clip
CLIPS = {clip.name: clip for clip in labelled_clips()}
#: When each rep is deepest, from labels.csv's notes (seconds), to check the reps' timings.
VIDEO_NAMES = ("pushup", "squat", "jacks")
BOTTOMS_S = {"pushup_omartarek_front": [2.0, 5.5], "squat_vengaza": [1.5, 5.7, 10.4]}

needs_clips = pytest.mark.skipif(not CLIPS, reason=missing_reason("exercise clips"))


def clip(name: str) -> Clip:
    if name not in CLIPS:
        pytest.skip(missing_reason(f"clip {name}"))
    return CLIPS[name]


async def upload(
    api: httpx.AsyncClient,
    who: Account,
    content: bytes,
    filename: str = "clip.mp4",
    exercise: str | None = None,
    content_type: str = "video/mp4",
) -> httpx.Response:
    data = {"exercise": exercise} if exercise is not None else None
    files = {"file": (filename, content, content_type)}
    return await api.post(VIDEOS, headers=who.auth, files=files, data=data, timeout=120)


async def wait_until_settled(
    api: httpx.AsyncClient, who: Account, video_id: int, latencies: list[float] | None = None
) -> dict[str, Any]:
    """Poll until the video is done or failed (at most WAIT_S seconds)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        response = await api.get(f"{VIDEOS}/{video_id}", headers=who.auth)
        assert response.status_code == 200, response.text
        if latencies is not None:
            latencies.append(response.elapsed.total_seconds())
        body = response.json()
        if body["status"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, f"video {video_id} still {body['status']}: {body}"
        await asyncio.sleep(0.5)


def stored_copies(server: FithubServer, content: bytes) -> list[Path]:
    """Files in the server's media storage holding exactly ``content``."""
    root = server.data_dir / "media"
    return [
        path
        for path in root.glob("*/*")
        if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content
    ]


def staging_files(server: FithubServer) -> list[Path]:
    return list((server.data_dir / "media" / ".incoming").glob("*"))


def check_analysis(body: dict[str, Any], expected: Clip) -> None:
    assert body["status"] == "done", body
    assert body["error"] is None and body["progress"] == 1.0
    assert body["started_at"] and body["finished_at"]
    result = body["result"]
    assert result["exercise"] == expected.exercise, result
    assert expected.low <= result["rep_count"] <= expected.high, result
    assert result["rep_count"] == len(result["reps"])
    assert result["frames"] > 0 and result["pose_frames"] > 0.8 * result["frames"]
    assert abs(result["duration_s"] - body["duration_s"]) < 0.5
    previous_end = -1.0
    for number, rep in enumerate(result["reps"], start=1):
        assert rep["number"] == number
        assert previous_end <= rep["start_ms"] < rep["extreme_ms"] < rep["end_ms"]
        assert rep["end_ms"] <= body["duration_s"] * 1000 + 100
        assert rep["duration_ms"] == pytest.approx(rep["end_ms"] - rep["start_ms"], abs=0.2)
        assert 0 <= rep["form_score"] <= 1
        previous_end = rep["end_ms"]
    scores = [rep["form_score"] for rep in result["reps"]]
    assert result["mean_form_score"] == pytest.approx(sum(scores) / len(scores), abs=1e-3)
    bottoms = BOTTOMS_S.get(expected.name)
    if bottoms and len(result["reps"]) == len(bottoms):
        for rep, bottom in zip(result["reps"], bottoms, strict=True):
            assert abs(rep["extreme_ms"] / 1000 - bottom) < 1.0, (rep, bottom)
            assert rep["start_ms"] / 1000 < bottom < rep["end_ms"] / 1000, (rep, bottom)


# -- one user's uploads, analysed together (the module's slow part) -------------------------------


@pytest.fixture(scope="module")
def owner(server: FithubServer) -> Account:
    return register(server)


@pytest.fixture(scope="module")
async def analysed(server: FithubServer, owner: Account) -> dict[str, dict[str, Any]]:
    """Three uploads: a push-up clip (auto), a squat clip (exercise given), and a jumping-jack clip
    whose stored file is taken away while it waits behind the other two, so its job fails."""
    pushup, squat, jacks = (
        clip("pushup_omartarek_front"), clip("squat_vengaza"), clip("jumpingjack_infophysics_afrl")
    )  # fmt: skip
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as api:
        created: dict[str, dict[str, Any]] = {}
        for name, what, exercise in (("pushup", pushup, None), ("squat", squat, "squat")):
            response = await upload(api, owner, what.video.read_bytes(), what.video.name, exercise)
            assert response.status_code == 202, response.text
            created[name] = response.json()
        content = jacks.video.read_bytes()
        before = set(stored_copies(server, content))  # other tests may upload the same clip
        response = await upload(api, owner, content, "jumping jacks.mp4")
        assert response.status_code == 202, response.text
        created["jacks"] = response.json()
        copies = [path for path in stored_copies(server, content) if path not in before]
        assert len(copies) == 1, copies
        hidden = server.data_dir / "hidden-jacks.mp4"
        shutil.move(copies[0], hidden)  # the job is queued behind the two others: not started
        latencies: list[float] = []
        settled = {
            name: await wait_until_settled(api, owner, v["id"], latencies)
            for name, v in created.items()
        }
        shutil.move(hidden, copies[0])  # back, for the retry test
    videos = {name: {"created": created[name], "settled": settled[name]} for name in created}
    return {**videos, "latencies": {"while analysing": latencies}}


@needs_clips
def test_the_api_answers_while_videos_are_analysed(analysed):
    """Pose estimation runs in a child process: the API's event loop is never blocked by it."""
    latencies = analysed["latencies"]["while analysing"]
    assert len(latencies) > 5
    assert max(latencies) < 2.0, sorted(latencies)[-5:]


@needs_clips
def test_upload_answers_202_with_the_video_resource(analysed):
    created = analysed["squat"]["created"]
    assert created["status"] in ("uploaded", "processing")
    assert created["container"] == "mp4" and created["original_filename"] == "squat_vengaza.mp4"
    assert created["size_bytes"] == clip("squat_vengaza").video.stat().st_size
    assert created["exercise"] == "squat"
    assert created["duration_s"] == pytest.approx(13.84, abs=0.1)
    assert created["fps"] == pytest.approx(25, abs=0.1)
    assert (created["width"], created["height"]) == (540, 960)
    assert created["result"] is None and created["error"] is None
    assert analysed["pushup"]["created"]["exercise"] == "auto"


@needs_clips
def test_auto_recognises_and_counts_a_pushup_clip(analysed):
    body = analysed["pushup"]["settled"]
    check_analysis(body, clip("pushup_omartarek_front"))
    assert body["result"]["requested_exercise"] == "auto"
    assert body["result"]["detection"]["confidence"] > 0.5
    assert body["attempts"] == 1


@needs_clips
def test_a_given_exercise_is_counted_with_timings(analysed):
    body = analysed["squat"]["settled"]
    check_analysis(body, clip("squat_vengaza"))
    assert body["result"]["requested_exercise"] == "squat"
    assert body["result"]["detection"] is None


@needs_clips
def test_a_failed_job_says_why(analysed):
    body = analysed["jacks"]["settled"]
    assert body["status"] == "failed", body
    assert "missing" in body["error"]
    assert body["result"] is None and body["attempts"] == 1


@needs_clips
async def test_on_redis_the_worker_process_runs_the_job(server, analysed):
    if not redis_url():
        pytest.skip("the in-process broker runs jobs in the API process (FITHUB_REDIS_URL unset)")
    video_id = analysed["pushup"]["created"]["id"]
    line = f"analysed video {video_id}: done"
    worker_log = (server.data_dir / "worker.log").read_text(errors="replace")
    server_log = (server.data_dir / "server.log").read_text(errors="replace")
    assert line in worker_log and line not in server_log


@needs_clips
async def test_listing_pages_through_my_videos(api, owner, analysed):
    ids = sorted((analysed[name]["created"]["id"] for name in VIDEO_NAMES), reverse=True)
    first = await api.get(VIDEOS, headers=owner.auth, params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [v["id"] for v in page["items"]] == ids[:2] and page["next_cursor"]
    rest = await api.get(VIDEOS, headers=owner.auth, params={"limit": 2, "cursor": page["next_cursor"]})
    assert [v["id"] for v in rest.json()["items"]] == ids[2:] and rest.json()["next_cursor"] is None
    failed = await api.get(VIDEOS, headers=owner.auth, params={"status": "failed"})
    assert [v["id"] for v in failed.json()["items"]] == [analysed["jacks"]["created"]["id"]]


@needs_clips
async def test_other_users_cannot_see_or_touch_a_video(api, owner, other_user, analysed):
    video_id = analysed["pushup"]["created"]["id"]
    for method, path in (
        ("GET", f"{VIDEOS}/{video_id}"),
        ("DELETE", f"{VIDEOS}/{video_id}"),
        ("POST", f"{VIDEOS}/{video_id}/analyze"),
    ):
        response = await api.request(method, path, headers=other_user.auth)
        assert_problem(response, 404, "not_found")
    listed = await api.get(VIDEOS, headers=other_user.auth)
    assert listed.json()["items"] == []
    assert (await api.get(f"{VIDEOS}/{video_id}", headers=owner.auth)).status_code == 200
    assert_problem(await api.get(f"{VIDEOS}/{video_id}"), 401, "auth_required")


@needs_clips
async def test_retrying_a_failed_and_a_done_video(api, owner, analysed):
    jacks_id = analysed["jacks"]["created"]["id"]
    response = await api.post(f"{VIDEOS}/{jacks_id}/analyze", headers=owner.auth)
    assert response.status_code == 202, response.text
    assert response.json()["status"] in ("uploaded", "processing")
    assert response.json()["error"] is None
    again = await api.post(f"{VIDEOS}/{jacks_id}/analyze", headers=owner.auth)
    assert_problem(again, 409, "analysis_in_progress")  # queued already: not twice
    pushup_id = analysed["pushup"]["created"]["id"]
    redo = await api.post(f"{VIDEOS}/{pushup_id}/analyze", headers=owner.auth)
    assert redo.status_code == 202, redo.text
    assert redo.json()["result"] is None

    jacks = await wait_until_settled(api, owner, jacks_id)
    check_analysis(jacks, clip("jumpingjack_infophysics_afrl"))
    assert jacks["attempts"] == 2
    pushup = await wait_until_settled(api, owner, pushup_id)
    check_analysis(pushup, clip("pushup_omartarek_front"))
    assert pushup["attempts"] == 2
    first = analysed["pushup"]["settled"]["result"]
    assert pushup["result"]["reps"] == first["reps"]  # the same clip, the same reps
    listed = (await api.get(VIDEOS, headers=owner.auth)).json()["items"]
    assert len(listed) == 3  # retried in place, never duplicated


# -- rejected uploads ---------------------------------------------------------------------------


def jpeg_bytes() -> bytes:
    import cv2
    import numpy as np

    image = np.full((120, 160, 3), 200, dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    return bytes(encoded)


@pytest.mark.parametrize(
    "content",
    [pytest.param(jpeg_bytes(), id="jpeg-named-mp4"), pytest.param(os.urandom(50_000), id="random")],
)
async def test_content_that_is_not_a_video_is_415(server, api, shared_user, content):
    response = await upload(api, shared_user, content, "holiday.mp4")
    assert_problem(response, 415, "unsupported_video")
    assert (await api.get(VIDEOS, headers=shared_user.auth)).json()["items"] == []
    assert staging_files(server) == []


@needs_clips
@pytest.mark.parametrize("keep", [0.5, 0.97])
async def test_a_truncated_mp4_is_422(server, api, shared_user, keep):
    """Cut in the media data (the header says more frames than there are) or near the end."""
    content = clip("pushup_omartarek_front").video.read_bytes()
    response = await upload(api, shared_user, content[: int(len(content) * keep)], "cut.mp4")
    body = assert_problem(response, 422, "undecodable_video")
    assert "truncated" in body["detail"]
    assert staging_files(server) == []


@needs_clips
async def test_an_mp4_whose_movie_header_was_cut_off_is_422(api, shared_user):
    content = clip("situp_tanchoonmeng_decline").video.read_bytes()  # its 'moov' box comes last
    response = await upload(api, shared_user, content[: len(content) - 3000], "situp.mp4")
    assert_problem(response, 422, "undecodable_video")


async def test_the_form_is_checked(api, shared_user):
    not_multipart = await api.post(VIDEOS, headers=shared_user.auth, json={"file": "x"})
    assert_problem(not_multipart, 415, "unsupported_media_type")
    no_file = await api.post(VIDEOS, headers=shared_user.auth, files={"exercise": (None, "squat")})
    assert {e["field"] for e in assert_problem(no_file, 422, "validation_failed")["errors"]} == {
        "file"
    }
    empty = await upload(api, shared_user, b"", "empty.mp4")
    assert_problem(empty, 422, "validation_failed")
    assert_problem(await api.post(VIDEOS, files={"file": ("a.mp4", b"x")}), 401, "auth_required")


@needs_clips
async def test_an_unknown_exercise_is_422(api, shared_user):
    content = clip("jumpingjack_infophysics_afrl").video.read_bytes()
    response = await upload(api, shared_user, content, exercise="burpee")
    body = assert_problem(response, 422, "unknown_exercise")
    assert body["errors"][0]["field"] == "exercise" and "squat" in body["detail"]


# -- other containers, deletion -----------------------------------------------------------------


def webm_of(source: Path, target: Path, seconds: float = 2.0) -> bytes:
    import cv2

    capture = cv2.VideoCapture(str(source))
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"VP80"), 20, (320, 180))
    for _ in range(int(seconds * 20)):
        ok, image = capture.read()
        if not ok:
            break
        writer.write(cv2.resize(image, (320, 180)))
    writer.release()
    capture.release()
    return target.read_bytes()


@needs_clips
async def test_a_webm_is_accepted_and_deleting_removes_the_file(server, api, tmp_path):
    who = await sign_up(api)
    content = webm_of(clip("lunge_michpapadum_right").video, tmp_path / "clip.webm")
    assert content.startswith(b"\x1a\x45\xdf\xa3")
    response = await upload(api, who, content, "phone recording.mp4", content_type="video/mp4")
    assert response.status_code == 202, response.text
    video = response.json()
    assert video["container"] == "webm" and video["size_bytes"] == len(content)
    assert response.headers["location"] == f"{VIDEOS}/{video['id']}"
    assert len(stored_copies(server, content)) == 1  # made here: no other test has these bytes
    deleted = await api.delete(f"{VIDEOS}/{video['id']}", headers=who.auth)
    assert deleted.status_code == 204, deleted.text
    assert_problem(await api.get(f"{VIDEOS}/{video['id']}", headers=who.auth), 404, "not_found")
    assert stored_copies(server, content) == []
    assert_problem(await api.delete(f"{VIDEOS}/{video['id']}", headers=who.auth), 404)


@needs_clips
async def test_deleting_the_account_removes_its_videos(server, api):
    who = await sign_up(api)
    free_box = b"\x00\x00\x00\x08free"  # appended, so that no other test uploads these bytes
    content = clip("lunge_michpapadum_left").video.read_bytes() + free_box
    assert (await upload(api, who, content, "lunge.mp4", "lunge")).status_code == 202
    assert len(stored_copies(server, content)) == 1
    gone = await api.request(
        "DELETE", "/api/v1/users/me", headers=who.auth, json={"password": PASSWORD}
    )
    assert gone.status_code == 204, gone.text
    assert stored_copies(server, content) == []


def peak_memory_kib(server: FithubServer) -> int:
    status = Path(f"/proc/{server.processes[0].pid}/status")
    if not status.exists():
        pytest.skip("needs /proc to read the server's peak memory")
    line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1])


@needs_clips
async def test_a_large_upload_streams_to_disk_not_memory(server, api, shared_user):
    """60 MB arrive with backpressure and go to disk in 1 MiB pieces: the server's peak memory
    barely moves (it would grow by the upload's size if the body were buffered)."""
    padding = 60 * 1024 * 1024
    video = clip("pushup_omartarek_front").video.read_bytes()
    content = video + (8 + padding).to_bytes(4, "big") + b"free" + bytes(padding)
    warm_up = await upload(api, shared_user, video, "small.mp4")  # first uses load libraries
    assert warm_up.status_code == 202, warm_up.text
    await api.delete(f"{VIDEOS}/{warm_up.json()['id']}", headers=shared_user.auth)
    before = peak_memory_kib(server)
    response = await upload(api, shared_user, content, "padded.mp4")
    assert response.status_code == 202, response.text
    grown_mib = (peak_memory_kib(server) - before) / 1024
    assert response.json()["size_bytes"] == len(content)
    await api.delete(f"{VIDEOS}/{response.json()['id']}", headers=shared_user.auth)
    assert grown_mib < 20, f"the server's peak memory grew by {grown_mib:.0f} MiB"


def test_stored_files_are_private_and_randomly_named(server, analysed):
    files = [p for p in (server.data_dir / "media").glob("*/*") if p.is_file()]
    assert files
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o600, path
        assert "squat" not in path.name and "jump" not in path.name and " " not in path.name


# -- limits, on a server of its own ----------------------------------------------------------------

SMALL_LIMIT = 1_000_000
SHORT_LIMIT_S = 5


@pytest.fixture(scope="module")
def limited_server() -> Iterator[FithubServer]:
    """Uploads up to 1 MB and 5 s. On Redis its jobs use a database index of their own."""
    extra = {
        "FITHUB_VIDEO_MAX_BYTES": str(SMALL_LIMIT),
        "FITHUB_VIDEO_MAX_DURATION_S": str(SHORT_LIMIT_S),
    }
    if redis_url():
        extra["FITHUB_REDIS_URL"] = urlunsplit(urlsplit(redis_url() or "")._replace(path="/4"))
    srv, database = make_server(extra)
    try:
        srv.start()
        yield srv
        assert '"unhandled error"' not in srv.read_logs(), srv.read_logs()[-5000:]
    finally:
        cleanup(srv, database)


@pytest.fixture
async def limited_api(limited_server: FithubServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=limited_server.base_url, timeout=60) as client:
        yield client


@needs_clips
async def test_too_large_is_413(limited_server, limited_api):
    who = await sign_up(limited_api)
    content = clip("squat_vengaza").video.read_bytes()
    assert len(content) > SMALL_LIMIT
    for _ in range(3):  # the answer arrives whole, every time (the body is drained, not reset)
        response = await upload(limited_api, who, content, "big.mp4")
        assert_problem(response, 413, "video_too_large")
    assert (await limited_api.get(VIDEOS, headers=who.auth)).json()["items"] == []
    assert staging_files(limited_server) == []


@needs_clips
async def test_too_large_without_a_content_length_is_413(limited_server, limited_api):
    who = await sign_up(limited_api)
    boundary = uuid.uuid4().hex
    content = clip("squat_vengaza").video.read_bytes()
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        f"Content-Type: video/mp4\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    headers = {**who.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    response = await limited_api.post(VIDEOS, headers=headers, content=chunks())
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "video_too_large")
    assert staging_files(limited_server) == []  # removed before the 413 was sent


@needs_clips
async def test_too_long_is_422(limited_api):
    who = await sign_up(limited_api)
    content = clip("jumpingjack_jweir136").video.read_bytes()  # 7.5 s in 0.6 MB
    assert len(content) < SMALL_LIMIT
    response = await upload(limited_api, who, content, "long.mp4")
    body = assert_problem(response, 422, "video_too_long")
    assert "at most 5 s" in body["detail"]

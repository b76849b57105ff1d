"""A video analysis whose process is SIGKILLed half-way is queued again and finishes once.

A real server (and, with ``FITHUB_REDIS_URL``, a real ``fithub worker``) analyses an uploaded
clip; when its progress shows it half-way, the process running the analysis is killed with
SIGKILL and a new one started. The analysis lease lapses, the sweeper (or the redelivered
message) queues it again, and it ends ``done`` once: one ``video.analyzed`` event, a second attempt
by another worker, a valid result. See docs/adr/0009-leases.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fithub.core.leases import LEASE_S, SWEEP_EVERY_S
from fithub.core.media.services import REDRIVE_AFTER_S
from tests.exercise_clips import labelled_clips, missing_reason
from tests.integration.conftest import register
from tests.integration.devices.world import query_db
from tests.support import FithubServer, poll, running_server

VIDEOS = "/api/v1/videos"
CLIP = "squat_vengaza"  # about 14 s of video: several progress reports before it ends
CLIPS = {clip.name: clip for clip in labelled_clips()}
#: Lease lapse and re-queue, a new process starting, and the whole analysis again (two cores).
RECOVERY_S = LEASE_S + REDRIVE_AFTER_S + SWEEP_EVERY_S + 180


@pytest.fixture
def world() -> Iterator[FithubServer]:
    with running_server() as srv:
        yield srv


def _video(srv: FithubServer, auth: dict[str, str], video_id: int) -> dict[str, Any]:
    response = httpx.get(f"{srv.base_url}{VIDEOS}/{video_id}", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.skipif(CLIP not in CLIPS, reason=missing_reason(f"clip {CLIP}"))
def test_a_killed_analysis_is_queued_again_and_finishes_once(world: FithubServer) -> None:
    srv, clip = world, CLIPS[CLIP]
    user = register(srv)
    files = {"file": (clip.video.name, clip.video.read_bytes(), "video/mp4")}
    created = httpx.post(f"{srv.base_url}{VIDEOS}", headers=user.auth, files=files,
                         data={"exercise": "squat"}, timeout=120)  # fmt: skip
    assert created.status_code == 202, created.text
    video_id = created.json()["id"]

    def half_way() -> dict[str, Any] | None:
        body = _video(srv, user.auth, video_id)
        assert body["status"] in ("uploaded", "processing"), f"finished before the kill: {body}"
        return body if body["status"] == "processing" and body["progress"] >= 0.15 else None

    before = poll("the analysis half-way", half_way, 120)
    assert before["attempts"] == 1, before
    srv.kill_the_job_runner()

    def settled() -> dict[str, Any] | None:
        body = _video(srv, user.auth, video_id)
        return body if body["status"] in ("done", "failed") else None

    after = poll("the analysis finished after the kill", settled, RECOVERY_S)
    assert after["status"] == "done", after
    assert after["attempts"] == 2, after  # claimed again once, not restarted over and over
    result = after["result"]
    assert result["exercise"] == clip.exercise and clip.low <= result["rep_count"] <= clip.high
    events = query_db(srv, "SELECT type FROM domain_events WHERE user_id = $1 AND type LIKE $2",
                      user.id, "video.analy%")  # fmt: skip
    assert events == [("video.analyzed",)], events  # it finished once
    logs = srv.read_logs()
    assert '"unhandled error"' not in logs, logs[-5000:]

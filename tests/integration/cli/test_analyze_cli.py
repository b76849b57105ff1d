"""``fithub analyze`` run as a subprocess on the shared clips and on files that are not videos."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.exercise_clips import Clip, labelled_clips, missing_reason
from tests.support import DEFAULT_TEST_ENV, FITHUB

CLIPS = {clip.name: clip for clip in labelled_clips()}


def clip(name: str) -> Clip:
    if name not in CLIPS:
        pytest.skip(missing_reason(f"clip {name}"))
    return CLIPS[name]


def analyze(*args: str | Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **DEFAULT_TEST_ENV, "FITHUB_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [*FITHUB, "analyze", *map(str, args)],
        env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_json_output_is_one_object_with_the_reps(tmp_path):
    expected = clip("pushup_omartarek_front")
    result = analyze(expected.video, "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n") and result.stdout.count("\n") == 1, result.stdout
    body = json.loads(result.stdout)
    assert body["exercise"] == "pushup" and body["requested_exercise"] == "auto"
    assert expected.low <= len(body["reps"]) <= expected.high
    assert body["rep_count"] == len(body["reps"])
    for number, rep in enumerate(body["reps"], start=1):
        assert rep["number"] == number
        assert 0 <= rep["start_ms"] < rep["end_ms"] <= body["duration_s"] * 1000 + 100
        assert 0 <= rep["form_score"] <= 1
    assert body["frames"] == 172 and body["fps"] == pytest.approx(23.976, abs=0.01)
    assert "analysing" not in result.stderr  # no progress bar without a terminal


def test_text_output_names_the_exercise_and_each_rep(tmp_path):
    expected = clip("jumpingjack_infophysics_afrl")
    result = analyze(expected.video, "--exercise", "jumping_jack", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "exercise: jumping_jack" in lines
    reps = int(next(line for line in lines if line.startswith("reps:")).split()[1])
    assert expected.low <= reps <= expected.high
    rows = [line.split() for line in lines if line.strip()[:1].isdigit()]
    assert [int(row[0]) for row in rows] == list(range(1, reps + 1))
    for row in rows:  # number, start "s", end "s", duration "s", form, cues
        start, end, form = float(row[1]), float(row[3]), float(row[7])
        assert 0 <= start < end and 0 <= form <= 1


def test_a_file_that_is_not_a_video_is_refused(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are not the frames you are looking for\n")
    for extra in ((), ("--json",)):
        result = analyze(fake, *extra, tmp_path=tmp_path)
        assert result.returncode != 0
        assert "not a video" in result.stderr and str(fake) in result.stderr
        assert result.stdout == ""


def test_a_missing_file_is_refused(tmp_path):
    result = analyze(tmp_path / "nowhere.mp4", "--json", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "no such file" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_truncated_video_is_refused(tmp_path, keep):
    content = clip("pushup_omartarek_front").video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(content[: int(len(content) * keep)])
    result = analyze(cut, "--json", tmp_path=tmp_path)
    assert result.returncode != 0 and result.stdout == ""
    assert "truncated" in result.stderr, result.stderr


def test_an_unknown_exercise_is_refused(tmp_path):
    result = analyze(clip("pushup_omartarek_front").video, "--exercise", "burpee", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "unknown exercise 'burpee'" in result.stderr and "squat" in result.stderr

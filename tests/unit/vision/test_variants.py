"""Exercise variants and streams that open with no one in view.

Real variant clips (knee and decline push-ups, barbell front and dumbbell squats, dumbbell lunges,
weighted crunches: ``exercise-variants`` in the shared data) must be counted within their labelled
range by their exercise's classifier and in ``auto`` mode, which must name the right exercise.
Synthetic variants (:mod:`fithub.vision.synthetic_variants`) cover what no clip shows: incline
push-ups, back/goblet/overhead squats and thrusters, walking, reverse and lateral lunges, full
sit-ups and crunches; each is counted exactly. A stream that starts with seconds of empty, unseen
or black frames must count as if they were not there, and ``auto`` must not choose during them.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fithub.vision.auto import AutoCounter
from fithub.vision.classifiers import BUILTIN_EXERCISES, builtin_classifiers
from fithub.vision.events import ExerciseDetected, RepEvent, VisionEvent
from fithub.vision.landmarks import PoseFrame, load_landmark_clip
from fithub.vision.reps import count_reps
from fithub.vision.synthetic import Camera, concat, sequence
from fithub.vision.synthetic_variants import (
    VARIANTS,
    Blank,
    blank_frames,
    variant_sequence,
    with_lead_in,
)
from tests.exercise_clips import Clip, clip_params, missing_reason, shared_data

EXERCISES = [cls.name for cls in BUILTIN_EXERCISES]
FLOOR = {"pushup", "situp"}
LEAD_S = 3.0
BLANKS: list[Blank] = ["empty", "invisible", "black"]


def reps_of(events: list[VisionEvent]) -> list[RepEvent]:
    return [e for e in events if isinstance(e, RepEvent)]


def auto_events(frames: list[PoseFrame]) -> tuple[str | None, list[VisionEvent]]:
    events = AutoCounter(list(builtin_classifiers().values())).feed(frames)
    detected = [e.exercise for e in events if isinstance(e, ExerciseDetected)]
    assert len(detected) <= 1, detected
    return (detected[0] if detected else None), events


# --- the real variant clips ---------------------------------------------------------------------


def variant_clips() -> list[Clip]:
    """Every clip of ``exercise-variants/labels.csv`` (empty when the data is absent)."""
    root = shared_data()
    labels = root / "exercise-variants" / "labels.csv" if root else None
    if root is None or labels is None or not labels.is_file():
        return []
    clips = []
    with labels.open(newline="") as handle:
        for row in csv.DictReader(handle):
            reps = int(row["reps"])
            found = re.search(r"range=(\d+)-(\d+)", row.get("notes", ""))
            low, high = (int(found.group(1)), int(found.group(2))) if found else (reps, reps)
            stem = Path(row["file"]).stem
            folder = root / "exercise-variants"
            landmarks = folder / "landmarks" / f"{stem}.npz"
            clips.append(
                Clip(stem, row["exercise"], reps, low, high, folder / row["file"], landmarks)
            )
    return clips


def variant_params() -> list[object]:
    clips = variant_clips()
    if not clips:
        reason = missing_reason("exercise variant labels")
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(clip, id=clip.name) for clip in clips]


@pytest.fixture(scope="module")
def cache() -> dict[str, list[PoseFrame]]:
    return {}


def frames_of(clip: Clip, cache: dict[str, list[PoseFrame]]) -> list[PoseFrame]:
    if not clip.landmarks.is_file():
        pytest.skip(f"landmarks of {clip.name} not found at {clip.landmarks}")
    if clip.name not in cache:
        cache[clip.name] = load_landmark_clip(clip.landmarks)
    return cache[clip.name]


def test_the_variant_clips_cover_every_exercise_with_floor_and_standing_ones() -> None:
    clips = variant_clips()
    if not clips:
        pytest.skip(missing_reason("exercise variant labels"))
    assert {c.exercise for c in clips} >= {"pushup", "squat", "lunge", "situp"}
    assert all(c.low <= c.reps <= c.high for c in clips)


@pytest.mark.parametrize("clip", variant_params())
def test_variant_clip_is_counted_within_its_range(
    clip: Clip, cache: dict[str, list[PoseFrame]]
) -> None:
    reps = count_reps(builtin_classifiers()[clip.exercise], frames_of(clip, cache))
    assert clip.low <= len(reps) <= clip.high, (
        f"{clip.name}: counted {len(reps)}, expected {clip.reps} (range {clip.low}-{clip.high}); "
        f"extremes at {[round(r.extreme_ms / 1000, 1) for r in reps]} s"
    )


@pytest.mark.parametrize("clip", variant_params())
def test_auto_recognises_and_counts_variant_clip(
    clip: Clip, cache: dict[str, list[PoseFrame]]
) -> None:
    detected, events = auto_events(frames_of(clip, cache))
    assert detected == clip.exercise, f"{clip.name}: auto chose {detected}"
    assert clip.low <= len(reps_of(events)) <= clip.high, f"{clip.name}: {len(reps_of(events))}"


@pytest.mark.parametrize("kind", BLANKS)
@pytest.mark.parametrize("clip", [*clip_params(), *variant_params()])
def test_a_real_clip_after_seconds_of_no_one_counts_the_same(
    clip: Clip, kind: Blank, cache: dict[str, list[PoseFrame]]
) -> None:
    frames = frames_of(clip, cache)
    led = with_lead_in(frames, LEAD_S, kind)
    lead_ms = led[-len(frames)].t_ms  # when the clip's first frame now comes
    reps = count_reps(builtin_classifiers()[clip.exercise], led)
    assert clip.low <= len(reps) <= clip.high
    # The lead-in changes nothing: the same reps, just later.
    plain = count_reps(builtin_classifiers()[clip.exercise], frames)
    assert [r.extreme_ms - lead_ms for r in reps] == pytest.approx([r.extreme_ms for r in plain])
    detected, events = auto_events(led)
    assert detected == clip.exercise
    assert clip.low <= len(reps_of(events)) <= clip.high
    choice = next(e for e in events if isinstance(e, ExerciseDetected))
    assert choice.t_ms > lead_ms, "auto chose while no one was in view"


def test_black_frames_through_the_real_pose_model_before_a_real_clip(
    cache: dict[str, list[PoseFrame]],
) -> None:
    pytest.importorskip("mediapipe", reason="mediapipe is not installed")
    from fithub.vision.pose import PoseEstimator, PoseModelUnavailable  # noqa: PLC0415

    clips = [c for c in variant_clips() if c.exercise == "squat"]
    if not clips:
        pytest.skip(missing_reason("exercise variant labels"))
    clip = clips[0]
    frames = frames_of(clip, cache)
    black = np.zeros((320, 180, 3), dtype=np.uint8)  # a portrait phone frame, lens covered
    try:
        with PoseEstimator(video=True) as estimator:
            # 3 s at 30 fps: 90 frames, 33.3 ms apart.
            lead = [estimator.estimate(black, t_ms=i * 1000.0 / 30) for i in range(90)]
    except PoseModelUnavailable as exc:  # pragma: no cover - depends on the installed wheel
        pytest.skip(f"pose model unavailable: {exc}")
    assert not any(f.present for f in lead)
    aspect = frames[0].aspect
    led = concat([replace(f, aspect=aspect) for f in lead], frames)
    assert clip.low <= len(count_reps(builtin_classifiers()[clip.exercise], led)) <= clip.high
    detected, events = auto_events(led)
    assert detected == clip.exercise and clip.low <= len(reps_of(events)) <= clip.high


# --- synthetic variants -------------------------------------------------------------------------


def camera_for(variant: str, yaw: float) -> Camera:
    """A camera that keeps the whole movement in view, as a user would set it up."""
    exercise = VARIANTS[variant][0]
    if exercise in FLOOR:
        return Camera(yaw=yaw, aspect=16 / 9, height=2.0, distance=4.0, elevation=0.5, floor=0.8)
    if variant == "walking_lunge":  # four strides (2.6 m) forward: landscape, from further away
        start = 0.5 + 0.3 * math.sin(math.radians(yaw))  # walking towards the image's left
        return Camera(yaw=yaw, aspect=16 / 9, height=3.0, distance=7.0, x=start)
    if variant == "lateral_lunge":  # a side step of ~1 m: landscape
        return Camera(yaw=yaw, aspect=16 / 9)
    return Camera(yaw=yaw)


@pytest.mark.parametrize("yaw", [0, 45, 90])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_synthetic_variant_is_counted_and_recognised(variant: str, yaw: float) -> None:
    exercise = VARIANTS[variant][0]
    # Four reps played by construction (plus a still lead and rests): exactly four counted.
    frames = variant_sequence(
        variant, 4, camera=camera_for(variant, yaw), noise=0.002, seed=int(yaw)
    )
    assert all(f.present for f in frames), "the camera keeps the person in view"
    reps = count_reps(builtin_classifiers()[exercise], frames)
    assert len(reps) == 4, [round(r.extreme_ms) for r in reps]
    detected, events = auto_events(frames)
    assert detected == exercise, f"{variant}: auto chose {detected}"
    assert len(reps_of(events)) == 4


def test_alternating_side_lunges_name_each_working_leg() -> None:
    frames = variant_sequence("lateral_lunge", 4, camera=camera_for("lateral_lunge", 0))
    reps = count_reps(builtin_classifiers()["lunge"], frames)
    # Reps 1 and 3 step out to the left, 2 and 4 to the right; the bent (working) knee is the
    # higher one in the image, as a forward lunge's front knee is.
    assert [r.side for r in reps] == ["left", "right", "left", "right"]


@pytest.mark.parametrize("yaw", [0, 90])
def test_a_crunch_is_a_smaller_sit_up(yaw: float) -> None:
    cam = camera_for("crunch", yaw)
    full = count_reps(builtin_classifiers()["situp"], variant_sequence("full_situp", 3, camera=cam))
    crunch = count_reps(builtin_classifiers()["situp"], variant_sequence("crunch", 3, camera=cam))
    assert len(full) == len(crunch) == 3
    # The signal is the sine of the torso's angle above the floor (world landmarks). A full sit-up
    # rises from 12 to 80 degrees: sin 80 - sin 12 = 0.985 - 0.208 = 0.777; a crunch from 12 to
    # 42 degrees: sin 42 - sin 12 = 0.669 - 0.208 = 0.461.
    assert [r.rom for r in full] == pytest.approx([0.777] * 3, abs=0.01)
    assert [r.rom for r in crunch] == pytest.approx([0.461] * 3, abs=0.01)


@pytest.mark.parametrize("variant", ["lateral_lunge", "thruster", "walking_lunge"])
def test_standing_variants_are_not_jumping_jacks_or_squats_in_auto(variant: str) -> None:
    frames = variant_sequence(variant, 4, camera=camera_for(variant, 30), noise=0.002)
    counter = AutoCounter(list(builtin_classifiers().values()))
    counter.feed(frames)
    scores = counter.detection.scores if counter.detection else {}
    exercise = VARIANTS[variant][0]
    assert counter.name == exercise
    assert all(v < 0.5 for name, v in scores.items() if name != exercise), scores


# --- no one in view first -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", BLANKS)
def test_blank_frames_carry_no_person(kind: Blank) -> None:
    frames = blank_frames(LEAD_S, kind)
    assert len(frames) == 90  # 3 s x 30 fps
    assert not any(f.present for f in frames)
    assert all(f.detected for f in frames) is (kind != "empty")  # landmarks, but nothing seen


@pytest.mark.parametrize("kind", BLANKS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_seconds_of_no_one_then_the_exercise_counts_exactly(exercise: str, kind: Blank) -> None:
    cam = camera_for("full_situp" if exercise in FLOOR else "back_squat", 30)
    plain = sequence(exercise, 4, camera=cam, noise=0.002)
    led = with_lead_in(plain, LEAD_S, kind)
    lead_ms = led[-len(plain)].t_ms
    assert lead_ms == pytest.approx(3000.0)  # 90 blank frames at 30 fps
    reps = count_reps(builtin_classifiers()[exercise], led)
    assert len(reps) == 4
    # The counter's baseline is untouched: the same reps as without the lead-in, 3 s later.
    same = count_reps(builtin_classifiers()[exercise], plain)
    assert [r.extreme_ms - lead_ms for r in reps] == pytest.approx([r.extreme_ms for r in same])
    # (to float rounding: the shifted timestamps differ in their last bits, which can move the
    # start of a rep by a frame of the synthetic figure's perfectly still rest)
    assert [r.rom for r in reps] == pytest.approx([r.rom for r in same], abs=0.01)


@pytest.mark.parametrize("kind", BLANKS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_auto_waits_through_the_lead_in_then_recognises(exercise: str, kind: Blank) -> None:
    cam = camera_for("full_situp" if exercise in FLOOR else "back_squat", 30)
    led = with_lead_in(sequence(exercise, 4, camera=cam, noise=0.002), LEAD_S, kind)
    counter = AutoCounter(list(builtin_classifiers().values()))
    events: list[VisionEvent] = []
    for frame in led:
        got = counter.update(frame)
        if frame.t_ms < 3000.0:
            assert got == [] and counter.name == "auto", "decided while no one was in view"
            assert all(v == 0.0 for v in counter.scores().values())
        events.extend(got)
    events.extend(counter.finish())
    assert counter.name == exercise and len(reps_of(events)) == 4


def test_a_thruster_set_after_black_frames() -> None:
    # No one for 3 s, then a thruster set: 4 reps, recognised as squats.
    frames = with_lead_in(variant_sequence("thruster", 4, noise=0.002), LEAD_S, "black")
    detected, events = auto_events(frames)
    assert detected == "squat" and len(reps_of(events)) == 4
    assert all(r.start_ms > 3000.0 for r in reps_of(events))

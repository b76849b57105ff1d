"""Rep counting from landmarks: the shared clips, and synthetic movements that prove generality.

The shared clips (MediaPipe landmarks of real videos) must each be counted within their tolerated
range, both when the exercise is given and in ``auto`` mode, which must also name the right exercise.
Synthetic sequences (a 3D stick figure seen by a virtual camera) vary what real clips cannot:
views, body sizes, speeds, noise, detection gaps, walking in first, an unfinished last rep.
"""

from __future__ import annotations

import json
import math

import pytest

from fithub.vision.auto import AUTO, AutoCounter, create_counter
from fithub.vision.classifiers import BUILTIN_EXERCISES, builtin_classifiers
from fithub.vision.events import ExerciseDetected, FeedbackEvent, RepEvent, VisionEvent
from fithub.vision.landmarks import PoseFrame, load_landmark_clip
from fithub.vision.reps import RepCounter, count_reps
from fithub.vision.synthetic import Camera, concat, sequence
from tests.exercise_clips import Clip, clip_params

EXERCISES = [cls.name for cls in BUILTIN_EXERCISES]
FLOOR = {"pushup", "situp"}


def reps_of(events: list[VisionEvent]) -> list[RepEvent]:
    return [e for e in events if isinstance(e, RepEvent)]


def camera(exercise: str, yaw: float = 0.0, **options: float) -> Camera:
    """A phone-like camera: portrait for standing exercises, landscape for floor ones."""
    floor = {"aspect": 16 / 9, "height": 2.0, "distance": 4.0, "elevation": 0.5, "floor": 0.8}
    settings = floor if exercise in FLOOR else {}
    return Camera(yaw=yaw, **{**settings, **options})


def auto_events(frames: list[PoseFrame]) -> tuple[str | None, list[VisionEvent]]:
    events = AutoCounter(list(builtin_classifiers().values())).feed(frames)
    detected = [e.exercise for e in events if isinstance(e, ExerciseDetected)]
    assert len(detected) <= 1, detected
    return (detected[0] if detected else None), events


def assert_sane(reps: list[RepEvent], exercise: str) -> None:
    """Every rep event's fields make sense on their own and in sequence."""
    assert [r.number for r in reps] == list(range(1, len(reps) + 1))
    previous_end = -math.inf
    for rep in reps:
        assert rep.exercise == exercise
        assert previous_end <= rep.start_ms < rep.extreme_ms < rep.end_ms
        assert rep.rom > 0 and math.isfinite(rep.rom)
        assert 0.0 <= rep.form_score <= 1.0
        assert math.isclose(rep.form_score, max(0.0, 1.0 - sum(c.penalty for c in rep.cues)))
        assert all(c.code and c.message and 0 < c.penalty <= 1 for c in rep.cues)
        json.dumps(rep.to_dict())
        previous_end = rep.end_ms


# --- the shared clips ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clip_frames() -> dict[str, list[PoseFrame]]:
    return {}


def frames_of(clip: Clip, cache: dict[str, list[PoseFrame]]) -> list[PoseFrame]:
    if not clip.landmarks.is_file():
        pytest.skip(f"landmarks of {clip.name} not found at {clip.landmarks}")
    if clip.name not in cache:
        cache[clip.name] = load_landmark_clip(clip.landmarks)
    return cache[clip.name]


@pytest.mark.parametrize("clip", clip_params())
def test_shared_clip_is_counted_within_its_range(
    clip: Clip, clip_frames: dict[str, list[PoseFrame]]
) -> None:
    frames = frames_of(clip, clip_frames)
    reps = count_reps(builtin_classifiers()[clip.exercise], frames)
    assert clip.low <= len(reps) <= clip.high, (
        f"{clip.name}: counted {len(reps)}, expected {clip.reps} (range {clip.low}-{clip.high}); "
        f"extremes at {[round(r.extreme_ms / 1000, 1) for r in reps]} s"
    )
    assert_sane(reps, clip.exercise)


@pytest.mark.parametrize("clip", clip_params())
def test_auto_mode_recognises_and_counts_shared_clip(
    clip: Clip, clip_frames: dict[str, list[PoseFrame]]
) -> None:
    frames = frames_of(clip, clip_frames)
    detected, events = auto_events(frames)
    assert detected == clip.exercise, f"{clip.name}: auto chose {detected}"
    reps = reps_of(events)
    assert clip.low <= len(reps) <= clip.high, f"{clip.name}: auto counted {len(reps)}"
    assert_sane(reps, clip.exercise)
    first = next(i for i, e in enumerate(events) if isinstance(e, ExerciseDetected))
    assert all(not isinstance(e, RepEvent) for e in events[:first]), "reps before the choice"


# --- synthetic movements: generality ------------------------------------------------------------


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize("yaw", [0, 45, 90])
def test_counts_every_view(exercise: str, yaw: float) -> None:
    frames = sequence(exercise, 5, camera=camera(exercise, yaw), noise=0.002, seed=yaw)
    reps = count_reps(builtin_classifiers()[exercise], frames)
    assert len(reps) == 5
    assert_sane(reps, exercise)


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize(
    ("size", "distance", "frame_height"),
    [(0.8, 3.0, 2.2), (1.15, 3.0, 2.6), (1.0, 6.0, 4.5)],
    ids=["small-person", "tall-person", "far-away"],
)
def test_counts_any_body_size_and_distance(
    exercise: str, size: float, distance: float, frame_height: float
) -> None:
    cam = camera(exercise, 30, distance=distance, height=frame_height)
    frames = sequence(exercise, 4, camera=cam, size=size, noise=0.002)
    assert len(count_reps(builtin_classifiers()[exercise], frames)) == 4


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize(("period_s", "fps"), [(1.0, 30.0), (4.0, 30.0), (2.0, 12.0)])
def test_counts_fast_slow_and_at_low_frame_rates(
    exercise: str, period_s: float, fps: float
) -> None:
    frames = sequence(exercise, 4, camera=camera(exercise), period_s=period_s, fps=fps, noise=0.002)
    assert len(count_reps(builtin_classifiers()[exercise], frames)) == 4


@pytest.mark.parametrize("exercise", EXERCISES)
def test_heavy_landmark_noise_does_not_add_or_lose_reps(exercise: str) -> None:
    frames = sequence(exercise, 5, camera=camera(exercise, 30), noise=0.006, seed=7)
    assert len(count_reps(builtin_classifiers()[exercise], frames)) == 5


@pytest.mark.parametrize("exercise", EXERCISES)
def test_short_detection_gaps_are_bridged(exercise: str) -> None:
    gaps = [(1.5, 1.8), (4.0, 4.2), (7.1, 7.5)]
    frames = sequence(exercise, 5, camera=camera(exercise), gaps_s=gaps, noise=0.002)
    assert sum(not f.detected for f in frames) > 20
    assert len(count_reps(builtin_classifiers()[exercise], frames)) == 5


def test_a_long_gap_abandons_the_rep_in_progress() -> None:
    # The person leaves mid-rep (3 s without a pose): that rep is not counted, later ones are.
    frames = sequence("squat", 5, camera=camera("squat"), gaps_s=[(3.4, 6.4)])
    reps = count_reps(builtin_classifiers()["squat"], frames)
    assert 3 <= len(reps) <= 4
    assert all(not (3400 < r.extreme_ms < 6400) for r in reps)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_walking_in_and_setting_up_is_not_counted(exercise: str) -> None:
    frames = sequence(exercise, 4, camera=camera(exercise, 20), walk_in_s=4.0, noise=0.002)
    reps = count_reps(builtin_classifiers()[exercise], frames)
    assert len(reps) == 4
    # Nothing from the walk or from getting down: the first rep begins once the person is set.
    assert reps[0].extreme_ms > 4000 and reps[0].start_ms > 3000


@pytest.mark.parametrize("yaw", [0, 45, 90])
def test_picking_something_up_is_not_a_squat(yaw: float) -> None:
    cam = camera("squat", yaw)
    frames = concat(
        sequence("pick_up", 1, camera=cam, period_s=3.0), sequence("squat", 4, camera=cam)
    )
    reps = count_reps(builtin_classifiers()["squat"], frames)
    assert len(reps) == 4 and reps[0].start_ms > 3000


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize("elevation", [0.3, 1.8], ids=["camera-on-the-floor", "camera-up-high"])
def test_counts_and_recognises_from_low_and_high_cameras(exercise: str, elevation: float) -> None:
    cam = camera(exercise, 45, elevation=elevation)
    frames = sequence(exercise, 4, camera=cam, noise=0.002)
    assert len(count_reps(builtin_classifiers()[exercise], frames)) == 4
    detected, events = auto_events(frames)
    assert detected == exercise and len(reps_of(events)) == 4


@pytest.mark.parametrize("yaw", [0, 90])
def test_knee_push_ups_count_as_push_ups(yaw: float) -> None:
    frames = sequence("pushup", 4, camera=camera("pushup", yaw), kneeling=1.0, noise=0.002)
    assert len(count_reps(builtin_classifiers()["pushup"], frames)) == 4
    detected, _ = auto_events(frames)
    assert detected == "pushup"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_unfinished_last_rep_is_not_counted(exercise: str) -> None:
    frames = sequence(exercise, 3, camera=camera(exercise), partial_last=True, noise=0.002)
    counter = builtin_classifiers()[exercise].create_counter()
    events = counter.feed(frames)
    assert len(reps_of(events)) == 3 and counter.count == 3


@pytest.mark.parametrize("exercise", EXERCISES)
def test_standing_still_counts_nothing(exercise: str) -> None:
    frames = sequence(exercise, 0, camera=camera(exercise), lead_s=20.0, noise=0.004)
    assert count_reps(builtin_classifiers()[exercise], frames) == []


def test_alternating_lunges_count_each_leg_and_name_it() -> None:
    frames = sequence("lunge", 6, camera=camera("lunge", 30), noise=0.002)
    reps = count_reps(builtin_classifiers()["lunge"], frames)
    assert len(reps) == 6
    assert [r.side for r in reps] == ["left", "right"] * 3


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize("yaw", [0, 60])
def test_auto_mode_recognises_each_exercise(exercise: str, yaw: float) -> None:
    frames = sequence(exercise, 4, camera=camera(exercise, yaw), noise=0.002)
    detected, events = auto_events(frames)
    assert detected == exercise
    assert len(reps_of(events)) == 4


def test_auto_mode_commits_within_the_first_reps_and_then_streams() -> None:
    frames = sequence("jumping_jack", 8, camera=camera("jumping_jack"), noise=0.002)
    counter = AutoCounter(list(builtin_classifiers().values()))
    seen: list[tuple[int, VisionEvent]] = []
    for i, frame in enumerate(frames):
        seen.extend((i, e) for e in counter.update(frame))
    detection = next((i, e) for i, e in seen if isinstance(e, ExerciseDetected))
    reps_before = [e for i, e in seen if isinstance(e, RepEvent) and i == detection[0]]
    assert counter.name == "jumping_jack"
    assert len(reps_before) <= 3, "should commit within the first reps"
    assert isinstance(detection[1], ExerciseDetected) and detection[1].confidence > 0.5
    assert len([e for _, e in seen if isinstance(e, RepEvent)]) == 8


# --- form feedback ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exercise", "options", "cue"),
    [
        ("squat", {"knees_in": 1.0}, "knees_caving"),
        ("squat", {"depth": 0.45}, "squat_depth"),
        ("pushup", {"sag": 0.12}, "hips_sagging"),
        ("pushup", {"sag": -0.15}, "hips_piking"),
        ("jumping_jack", {"arms": 0.5}, "arms_overhead"),
    ],
)
def test_form_faults_lower_the_score_and_are_cued(
    exercise: str, options: dict[str, float], cue: str
) -> None:
    cam = camera(exercise, 0 if cue == "knees_caving" else 30)
    good = count_reps(builtin_classifiers()[exercise], sequence(exercise, 3, camera=cam))
    events = (
        builtin_classifiers()[exercise]
        .create_counter()
        .feed(sequence(exercise, 3, camera=cam, **options))
    )
    bad = reps_of(events)
    assert len(bad) == 3
    assert all(cue in {c.code for c in r.cues} for r in bad)
    assert all(r.form_score < g.form_score for r, g in zip(bad, good, strict=True))
    feedback = [e for e in events if isinstance(e, FeedbackEvent) and e.cue.code == cue]
    assert sorted({e.rep for e in feedback}) == [1, 2, 3], "one cue per rep, not more"
    json.dumps([e.to_dict() for e in events])


@pytest.mark.parametrize("exercise", EXERCISES)
def test_clean_reps_score_high(exercise: str) -> None:
    reps = count_reps(
        builtin_classifiers()[exercise], sequence(exercise, 3, camera=camera(exercise, 30))
    )
    assert all(r.form_score >= 0.9 for r in reps), [(r.form_score, r.cues) for r in reps]


# --- online and batch ---------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", [*EXERCISES, AUTO])
def test_online_frame_by_frame_gives_the_same_events_as_a_whole_clip(exercise: str) -> None:
    name = "lunge" if exercise == AUTO else exercise
    frames = sequence(name, 4, camera=camera(name, 45), noise=0.003, walk_in_s=2.0)
    classifiers = builtin_classifiers()
    whole = (
        AutoCounter(list(classifiers.values())).feed(frames)
        if exercise == AUTO
        else classifiers[exercise].create_counter().feed(frames)
    )
    online = create_counter(exercise, classifiers)
    streamed: list[VisionEvent] = []
    for frame in frames:  # as a live session would: one frame at a time, events as they come
        streamed.extend(online.update(frame))
    streamed.extend(online.finish())
    assert streamed == whole
    assert online.count == len(reps_of(whole)) == 4
    if exercise != AUTO:
        assert reps_of(whole) == count_reps(classifiers[exercise], frames)


def test_memory_stays_bounded_over_a_long_session() -> None:
    frames = sequence("squat", 120, camera=camera("squat"), period_s=1.5, rest_s=0.0, fps=15.0)
    counter = RepCounter(builtin_classifiers()["squat"])
    for frame in frames:
        counter.update(frame)
    assert counter.count == 120
    assert len(counter._history) <= counter.HISTORY_SAMPLES
    assert counter._history[-1].t_ms - counter._history[0].t_ms <= counter.HISTORY_MS
    assert len(counter.detector._recent) <= 5


def test_create_counter_names_the_known_exercises() -> None:
    classifiers = builtin_classifiers()
    assert isinstance(create_counter(AUTO, classifiers), AutoCounter)
    assert isinstance(create_counter("squat", classifiers), RepCounter)
    with pytest.raises(KeyError, match="unknown exercise 'burpee'"):
        create_counter("burpee", classifiers)

"""The building blocks of rep counting: filters, the cycle detector, landmark helpers, the plugin."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fithub.plugins import ExerciseClassifier, ExerciseCounter
from fithub.plugins.manager import load_plugins
from fithub.vision.classifiers import BUILTIN_EXERCISES, builtin_classifiers
from fithub.vision.cycles import CycleDetector, SlidingMin
from fithub.vision.events import Cue, ExerciseDetected, FeedbackEvent, RepEvent
from fithub.vision.landmarks import (
    Landmark,
    PoseFrame,
    better_side,
    frames_from_arrays,
    inclination,
    joint_angle,
)
from fithub.vision.signal import Ema, OneEuroFilter, RollingQuantile
from fithub.vision.synthetic import Camera, sequence

BUILTIN = "fithub.vision.classifiers"


def wave(
    cycles: int, depth: float, *, period_ms: float = 2000.0, dt: float = 33.3, base: float = 0.0
):
    """(t, x) samples of ``cycles`` cosine reps of ``depth`` from ``base``."""
    n = int(cycles * period_ms / dt)
    for i in range(n + 15):
        t = i * dt
        phase = min(t / period_ms, cycles)
        yield t, base + depth * (0.5 - 0.5 * math.cos(2 * math.pi * phase))


# --- signal ---------------------------------------------------------------------------------------


def test_one_euro_smooths_noise_but_follows_motion() -> None:
    rng = np.random.default_rng(1)
    f = OneEuroFilter(min_cutoff=1.5, beta=2.0)
    still = [f(i * 33.3, 1.0 + rng.normal(0, 0.05)) for i in range(90)]
    assert np.std(still[30:]) < 0.02
    moving = [f(3000 + i * 33.3, 1.0 + 0.05 * i) for i in range(30)]
    assert moving[-1] > 1.0 + 0.05 * 29 - 0.25  # lags a little, not a lot


def test_one_euro_passes_nan_and_restarts_after_a_long_gap() -> None:
    f = OneEuroFilter(max_gap_ms=500)
    assert f(0, 1.0) == 1.0
    assert math.isnan(f(33, math.nan))
    assert f(2000, 5.0) == 5.0  # after the gap: starts afresh, no glide from 1.0


def test_rolling_quantile_forgets_old_samples() -> None:
    q = RollingQuantile(0.9, window_ms=1000)
    for i in range(20):
        q.add(i * 100.0, 10.0 if i < 5 else 1.0)
    assert q.value() == pytest.approx(1.0)
    q.add(2000.0, math.nan)
    assert len(q) <= 11
    assert math.isnan(RollingQuantile(0.5, 100).value())


def test_ema_ignores_nan() -> None:
    e = Ema(tau_ms=100)
    assert math.isnan(e(0, math.nan))
    assert e(0, 2.0) == 2.0 and e(50, math.nan) == 2.0


def test_sliding_min_is_bounded_by_its_window() -> None:
    m = SlidingMin(1000)
    for t, x in [(0, 5.0), (100, 1.0), (600, 3.0), (1200, 4.0)]:
        m.add(t, x)
    assert m.min() == (600, 3.0)


# --- cycle detector -------------------------------------------------------------------------------


def detect(samples, detector: CycleDetector):
    return [c for t, x in samples if (c := detector.update(t, x)) is not None]


def test_detector_counts_full_cycles_at_any_scale() -> None:
    for depth in (0.3, 3.0, 30.0):
        cycles = detect(wave(5, depth), CycleDetector(min_rom=0.1 * min(depth, 1.0)))
        assert len(cycles) == 5
        assert all(c.rom == pytest.approx(depth, rel=0.05) for c in cycles)


def test_detector_ignores_movements_below_the_floor() -> None:
    assert detect(wave(5, 0.05), CycleDetector(min_rom=0.1)) == []


def test_detector_ignores_small_dips_next_to_the_persons_own_reps() -> None:
    samples = list(wave(3, 1.0)) + [(t + 6500, x) for t, x in wave(3, 0.3)]
    assert len(detect(samples, CycleDetector(min_rom=0.1))) == 3


def test_detector_does_not_count_a_rep_that_never_comes_back() -> None:
    samples = [(t, x) for t, x in wave(3, 1.0) if t < 5000]  # third rep stops at the bottom
    assert len(detect(samples, CycleDetector(min_rom=0.1))) == 2


def test_detector_needs_the_start_position_to_begin() -> None:
    d = CycleDetector(min_rom=0.1)
    assert [c for t, x in wave(3, 1.0) if (c := d.update(t, x, ready=False))] == []


def test_a_long_gap_abandons_the_rep_in_progress() -> None:
    d = CycleDetector(min_rom=0.1, max_gap_ms=500)
    for t, x in wave(1, 1.0, period_ms=2000):
        if t < 900:
            d.update(t, x)
    assert d.state == "in_rep"
    d.update(2000, math.nan)
    assert d.state == "start"


# --- landmarks ------------------------------------------------------------------------------------


def test_joint_angle_and_inclination() -> None:
    a, b, c = np.array([0.0, 0.0]), np.array([1.0, 0.0]), np.array([1.0, 1.0])
    assert joint_angle(a, b, c) == pytest.approx(90.0)
    assert math.isnan(joint_angle(a, a, c))
    assert inclination(np.array([0.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(0.0)
    assert inclination(np.array([0.0, 0.0]), np.array([1.0, 0.0])) == pytest.approx(90.0)


def test_frames_are_aspect_corrected_and_validated() -> None:
    marks = np.full((33, 4), 0.5)
    frame = PoseFrame(0.0, marks, aspect=2.0)
    assert frame.xy(Landmark.NOSE).tolist() == [1.0, 0.5]
    assert frame.detected and not PoseFrame.empty(0.0).detected
    with pytest.raises(ValueError):
        PoseFrame(0.0, np.zeros((17, 4)))
    with pytest.raises(ValueError):
        list(frames_from_arrays(np.zeros((3, 33, 4)), [0.0, 1.0]))


def test_better_side_is_the_one_the_camera_sees() -> None:
    frame = sequence("squat", 1, camera=Camera(yaw=90))[0]  # left side towards the camera
    assert better_side(frame, ("knee", "ankle", "elbow")) == "left"
    frame = sequence("squat", 1, camera=Camera(yaw=-90))[0]
    assert better_side(frame, ("knee", "ankle", "elbow")) == "right"


def test_events_serialise_to_json_shapes() -> None:
    cue = Cue("knees_caving", "Push your knees out", 0.2)
    rep = RepEvent("squat", 1, 0.0, 500.0, 900.0, 0.5, 0.8, (cue,))
    assert rep.to_dict()["cues"] == [
        {"code": "knees_caving", "message": cue.message, "penalty": 0.2}
    ]
    assert FeedbackEvent("squat", 600.0, cue, 1).to_dict()["code"] == "knees_caving"
    assert ExerciseDetected("squat", 900.0, 0.9, {"squat": 1.8}).to_dict()["type"] == "exercise"


# --- the built-in plugin ----------------------------------------------------------------------------


def test_builtin_exercises_are_registered_as_a_plugin() -> None:
    registry = load_plugins(builtins=(BUILTIN,), group="fithub.tests.none")
    (record,) = registry.records
    assert record.status == "loaded", record.error
    assert set(registry.components("exercise_classifier")) == {
        "squat",
        "pushup",
        "lunge",
        "situp",
        "jumping_jack",
    }


def test_builtins_satisfy_the_plugin_protocols() -> None:
    for cls in BUILTIN_EXERCISES:
        classifier = cls()
        assert isinstance(classifier, ExerciseClassifier)
        assert isinstance(classifier.create_counter(), ExerciseCounter)
    assert set(builtin_classifiers()) == {cls.name for cls in BUILTIN_EXERCISES}

"""Sit-up: from lying on the back with knees bent, the torso curls up towards the knees and back."""

from __future__ import annotations

import math
from typing import ClassVar

from fithub.vision.body import BodyScale
from fithub.vision.events import Cue
from fithub.vision.features import chest_up, ramp, side_angle, torso_inclination
from fithub.vision.landmarks import Landmark as L
from fithub.vision.landmarks import PoseFrame
from fithub.vision.reps import ExerciseModel, Measure, RepSummary


def torso_elevation(frame: PoseFrame, body: BodyScale) -> float:
    """How far the shoulders are above the hips, in torso lengths (0 lying flat, ~1 sitting up).

    From the world landmarks when known: the sine of the torso's angle above the horizontal, which
    no camera angle foreshortens (a lying torso filmed from the feet looks tiny in the image). The
    image fallback divides by the torso's recent longest image length instead.
    """
    shoulders = frame.mid_world(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    hips = frame.mid_world(L.LEFT_HIP, L.RIGHT_HIP)
    if shoulders is not None and hips is not None:
        torso = float(((shoulders - hips) @ (shoulders - hips)) ** 0.5)
        return float(hips[1] - shoulders[1]) / torso if torso > 1e-6 else math.nan
    length = body.torso
    if not (math.isfinite(length) and length > 0):
        return math.nan
    if not frame.visible(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP, threshold=0.3):
        return math.nan
    return (
        float(
            frame.mid_xy(L.LEFT_HIP, L.RIGHT_HIP)[1]
            - frame.mid_xy(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)[1]
        )
        / length
    )


class SitUp(ExerciseModel):
    """Counts sit-ups by the torso's rise from the floor (view-independent with world landmarks)."""

    name: ClassVar[str] = "situp"
    display_name: ClassVar[str] = "Sit-up"
    #: Shoulders raised by a fifth of the torso is the least that could be a (small) crunch.
    min_rom: ClassVar[float] = 0.2

    def measure(self, frame: PoseFrame, body: BodyScale) -> Measure:
        signal = torso_elevation(frame, body)
        incl = torso_inclination(frame)
        knee = min(
            side_angle(frame, "left", "hip", "knee", "ankle"),
            side_angle(frame, "right", "hip", "knee", "ankle"),
        )
        # The start position is lying back (the torso well off vertical).
        form = {
            "torso_incline": incl,
            "raised": signal,
            "knee_angle": knee,
            "chest_up": chest_up(frame),
        }
        return Measure(signal, ramp(incl, 40.0, 55.0), form)

    def assess(self, rep: RepSummary) -> list[Cue]:
        top = rep.low.get("torso_incline", math.nan)
        if top > 50.0:
            return [
                Cue(
                    "situp_range",
                    "Sit all the way up: chest towards your knees",
                    min(0.4, (top - 50.0) / 50.0),
                )
            ]
        return []

    def match(self, rep: RepSummary) -> float:
        # Lying on the back (chest up, unlike a push-up) with the knees bent (feet planted or
        # hooked): a sit-up.
        up = rep.peak.get("chest_up", math.nan)
        on_back = ramp(up, 0.0, 0.4) if math.isfinite(up) else 1.0
        return rep.posture * on_back * ramp(rep.bottom.get("knee_angle", math.nan), 165.0, 140.0)

"""Lunge: one leg steps out, the hips drop until the back knee nears the floor; each leg counts."""

from __future__ import annotations

import math
from typing import ClassVar

from fithub.vision.body import BodyScale
from fithub.vision.events import Cue
from fithub.vision.features import (
    hip_drop,
    knee_asymmetry,
    knee_split,
    ramp,
    side_angle,
    side_lunge,
    standing,
    torso_inclination,
)
from fithub.vision.landmarks import Landmark as L
from fithub.vision.landmarks import PoseFrame
from fithub.vision.reps import ExerciseModel, Measure, RepSummary


def split_drop(hip_drop: float, knee_asymmetry: float) -> float:
    """Geometric mean of the hips' drop and the knees' height difference, both in leg lengths.

    Both are large only at the bottom of a lunge (hips low, back knee near the floor, front knee
    up); standing with soft knees drops the hips a little, stepping lifts one knee, but neither
    does both, so shuffling between reps stays small next to real reps.
    """
    return math.sqrt(max(0.0, hip_drop) * max(0.0, knee_asymmetry))


#: A knee bent this many degrees more than the other counts as a split of one leg length: the bent
#: knee and straight leg of a lateral lunge (~90 degrees apart) are worth half a leg, as much as a
#: forward lunge's knees at different heights.
BEND_PER_LEG = 180.0


def leg_asymmetry(knee_asymmetry: float, side_lunge: float) -> float:
    """How differently the legs are placed, in leg lengths: knees at different heights (forward,
    reverse and walking lunges) or one knee bent and the other straight (lateral lunges)."""
    parts = [x for x in (knee_asymmetry, side_lunge / BEND_PER_LEG) if math.isfinite(x)]
    return max(parts) if parts else math.nan


class Lunge(ExerciseModel):
    """Counts lunges (forward, reverse, alternating: one rep per dip) by the split-stance drop."""

    name: ClassVar[str] = "lunge"
    display_name: ClassVar[str] = "Lunge"
    #: A split drop of 15 % of the leg is the least that could be a (shallow) lunge.
    min_rom: ClassVar[float] = 0.15

    def measure(self, frame: PoseFrame, body: BodyScale) -> Measure:
        leg = body.segment("leg")
        torso = torso_inclination(frame)
        left = side_angle(frame, "left", "hip", "knee", "ankle")
        right = side_angle(frame, "right", "hip", "knee", "ankle")
        # The front leg's knee is the higher one in the image (the back knee sinks to the floor).
        front = "left" if frame.xy(L.LEFT_KNEE)[1] < frame.xy(L.RIGHT_KNEE)[1] else "right"
        form = {
            "torso_lean": torso,
            "knee_asymmetry": knee_asymmetry(frame, leg),
            "knee_split": knee_split(frame, leg),
            "side_lunge": side_lunge(frame),
            "front_knee_angle": left if front == "left" else right,
        }
        asymmetry = leg_asymmetry(form["knee_asymmetry"], form["side_lunge"])
        signal = split_drop(hip_drop(frame, leg, body.segment("shin")), asymmetry)
        return Measure(signal, standing(frame), form, side=front)

    def assess(self, rep: RepSummary) -> list[Cue]:
        cues: list[Cue] = []
        knee = rep.bottom.get("front_knee_angle", math.nan)
        if knee > 125.0:
            cues.append(
                Cue(
                    "lunge_depth",
                    "Lunge deeper: front thigh towards parallel",
                    min(0.4, (knee - 125.0) / 60.0),
                )
            )
        lean = rep.bottom.get("torso_lean", math.nan)
        if lean > 25.0:
            cues.append(
                Cue("torso_lean", "Keep your torso upright", min(0.3, (lean - 25.0) / 50.0))
            )
        return cues

    def live_cues(self, measure: Measure, progress: float) -> list[Cue]:
        if progress > 0.5 and measure.form.get("torso_lean", 0.0) > 35.0:
            return [Cue("torso_lean", "Keep your torso upright")]
        return []

    def match(self, rep: RepSummary) -> float:
        # At the bottom, a split stance (one knee far lower than the other) or a side step (one
        # knee bent, the other leg straight, knees level): a lunge, not a squat.
        split = ramp(rep.bottom.get("knee_split", math.nan), 0.1, 0.25)
        side_step = ramp(rep.bottom.get("side_lunge", math.nan), 35.0, 60.0)
        return rep.posture * max(split, side_step)

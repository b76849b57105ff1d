"""Squat: the hips drop towards the heels and come back up, both legs alike."""

from __future__ import annotations

import math
from typing import ClassVar

from fithub.vision.body import BodyScale
from fithub.vision.events import Cue
from fithub.vision.features import (
    feet_apart,
    feet_spread,
    frontality,
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


class Squat(ExerciseModel):
    """Counts squats by the hips' drop below standing height, in leg lengths (any view)."""

    name: ClassVar[str] = "squat"
    display_name: ClassVar[str] = "Squat"
    #: A hip drop of 15 % of the leg is the least that could be a (quarter) squat.
    min_rom: ClassVar[float] = 0.15

    def measure(self, frame: PoseFrame, body: BodyScale) -> Measure:
        leg = body.segment("leg")
        thigh = body.segment("thigh")
        torso = torso_inclination(frame)
        form: dict[str, float] = {
            "torso_lean": torso,
            "knee_asymmetry": knee_asymmetry(frame, leg),
            "knee_split": knee_split(frame, leg),
            "side_lunge": side_lunge(frame),
            "feet_spread": feet_spread(frame, leg),
            "feet_apart": feet_apart(frame),
            "knee_angle": min(
                side_angle(frame, "left", "hip", "knee", "ankle"),
                side_angle(frame, "right", "hip", "knee", "ankle"),
            ),
        }
        if math.isfinite(thigh) and thigh > 0:
            hip_y = float(frame.mid_xy(L.LEFT_HIP, L.RIGHT_HIP)[1])
            knee_y = float(frame.mid_xy(L.LEFT_KNEE, L.RIGHT_KNEE)[1])
            # Hips above the knees, in thighs: 1 standing, 0 at parallel, negative below.
            form["hip_above_knee"] = (knee_y - hip_y) / thigh
        if frontality(frame) > 0.8 and frame.visible(
            L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE
        ):
            knees = abs(float(frame.xy(L.LEFT_KNEE)[0] - frame.xy(L.RIGHT_KNEE)[0]))
            ankles = abs(float(frame.xy(L.LEFT_ANKLE)[0] - frame.xy(L.RIGHT_ANKLE)[0]))
            if ankles > 1e-6:
                form["knee_width_ratio"] = knees / ankles
        return Measure(hip_drop(frame, leg, body.segment("shin")), standing(frame), form)

    def assess(self, rep: RepSummary) -> list[Cue]:
        cues: list[Cue] = []
        above = rep.bottom.get("hip_above_knee", math.nan)
        if above > 0.3:
            cues.append(
                Cue("squat_depth", "Squat deeper: hips down to knee height", min(0.4, above * 0.6))
            )
        ratio = rep.low.get("knee_width_ratio", math.nan)
        if ratio < 0.8:
            cues.append(
                Cue("knees_caving", "Push your knees out over your toes", min(0.4, (0.8 - ratio)))
            )
        lean = rep.bottom.get("torso_lean", math.nan)
        if lean > 55.0:
            cues.append(Cue("torso_lean", "Keep your chest up", min(0.3, (lean - 55.0) / 50.0)))
        return cues

    def live_cues(self, measure: Measure, progress: float) -> list[Cue]:
        if progress > 0.6 and measure.form.get("knee_width_ratio", math.inf) < 0.8:
            return [Cue("knees_caving", "Push your knees out over your toes")]
        return []

    def accept(self, rep: RepSummary) -> bool:
        # Bending over (to pick something up) folds the torso far more than any squat does.
        return not rep.at_extreme.get("torso_lean", 0.0) > 75.0

    def match(self, rep: RepSummary) -> float:
        # Both knees at the same height at the bottom: a squat, not a lunge; the feet stay planted
        # and the knees bend well: a squat, not a jumping jack (whose landing dips the hips too).
        split = rep.bottom.get("knee_split", math.nan)
        key = "feet_apart" if "feet_apart" in rep.peak else "feet_spread"  # world: any view
        jump = rep.peak.get(key, math.nan) - rep.low.get(key, math.nan)
        planted = ramp(jump, 0.25, 0.12) if math.isfinite(jump) else 1.0
        bent = ramp(rep.bottom.get("knee_angle", math.nan), 140.0, 115.0)
        # Both knees bent alike (a lateral lunge bends one and keeps the other leg straight).
        alike = ramp(rep.bottom.get("side_lunge", math.nan), 55.0, 35.0)
        return rep.posture * ramp(split, 0.25, 0.1) * planted * bent * alike

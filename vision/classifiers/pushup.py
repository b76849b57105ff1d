"""Push-up: the body held straight and horizontal, the chest lowered towards the hands and back."""

from __future__ import annotations

import math
from typing import ClassVar

from fithub.vision.body import BodyScale
from fithub.vision.events import Cue
from fithub.vision.features import (
    mean_visible,
    ramp,
    side_angle,
    torso_inclination,
    world_arm_length,
)
from fithub.vision.landmarks import SIDES, PoseFrame, Side
from fithub.vision.landmarks import Landmark as L
from fithub.vision.reps import ExerciseModel, Measure, RepSummary

ARM = ("shoulder", "elbow", "wrist")


def hip_line_offset(frame: PoseFrame) -> float:
    """Hips below (+) or above (-) the shoulder-ankle line, in torso lengths (world space).

    NaN without world landmarks or when the hips, knees or ankles are not visible.
    """
    if frame.world is None or not frame.visible(
        L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_ANKLE, L.RIGHT_ANKLE, threshold=0.5
    ):
        return math.nan
    sh = frame.mid_world(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    hip = frame.mid_world(L.LEFT_HIP, L.RIGHT_HIP)
    ank = frame.mid_world(L.LEFT_ANKLE, L.RIGHT_ANKLE)
    if sh is None or hip is None or ank is None:
        return math.nan
    line = ank - sh
    length = float((line @ line) ** 0.5)
    torso = float(((hip - sh) @ (hip - sh)) ** 0.5)
    if length < 1e-6 or torso < 1e-6:
        return math.nan
    along = float((hip - sh) @ line) / (length * length)
    closest = sh + along * line
    return float(hip[1] - closest[1]) / torso  # world y points down: + is sagging


def _support(frame: PoseFrame) -> float:
    """How far the hands are below the shoulders, in arm lengths (world space; else image: 1)."""
    values: dict[Side, float] = {}
    for side in ("left", "right"):
        joints = SIDES[side]
        shoulder, wrist = frame.world_xyz(joints["shoulder"]), frame.world_xyz(joints["wrist"])
        arm = world_arm_length(frame, side)
        if shoulder is not None and wrist is not None and arm > 0:
            values[side] = float(wrist[1] - shoulder[1]) / arm
    return mean_visible(frame, values, ARM) if values else 1.0


class PushUp(ExerciseModel):
    """Counts push-ups by the shoulders' height above the hands, in arm lengths (any view)."""

    name: ClassVar[str] = "pushup"
    display_name: ClassVar[str] = "Push-up"
    #: Shoulders lowered by 20 % of the arm's length is the least that could be a push-up.
    min_rom: ClassVar[float] = 0.2

    def measure(self, frame: PoseFrame, body: BodyScale) -> Measure:
        arm = body.segment("arm")
        lowered: dict[Side, float] = {}
        if math.isfinite(arm) and arm > 0:
            for side in ("left", "right"):
                joints = SIDES[side]
                drop = frame.xy(joints["wrist"])[1] - frame.xy(joints["shoulder"])[1]
                lowered[side] = 1.0 - float(drop) / arm
        signal = mean_visible(frame, lowered, ARM)
        incl = torso_inclination(frame)
        # The start position is a plank: body horizontal, legs straight, hands under the shoulders.
        legs = max(
            side_angle(frame, "left", "hip", "knee", "ankle"),
            side_angle(frame, "right", "hip", "knee", "ankle"),
        )
        posture = ramp(incl, 45.0, 60.0) * ramp(legs, 120.0, 145.0) * ramp(_support(frame), 0.2, 0.5)
        form = {"hip_line": hip_line_offset(frame), "lowered": signal, "torso_incline": incl}
        return Measure(signal, posture, form)

    def assess(self, rep: RepSummary) -> list[Cue]:
        cues: list[Cue] = []
        lowered = rep.at_extreme.get("lowered", math.nan)
        if lowered < 0.5:
            cues.append(
                Cue("pushup_depth", "Lower your chest closer to the floor", min(0.4, 0.5 - lowered))
            )
        sag = rep.peak.get("hip_line", math.nan)
        pike = rep.low.get("hip_line", math.nan)
        if sag > 0.2:
            cues.append(Cue("hips_sagging", "Tighten your core: hips are sagging", min(0.4, sag - 0.2)))
        elif pike < -0.25:
            cues.append(Cue("hips_piking", "Lower your hips into a straight line", min(0.4, -0.25 - pike)))
        return cues

    def live_cues(self, measure: Measure, progress: float) -> list[Cue]:
        line = measure.form.get("hip_line", math.nan)
        if line > 0.3:
            return [Cue("hips_sagging", "Tighten your core: hips are sagging")]
        if line < -0.35:
            return [Cue("hips_piking", "Lower your hips into a straight line")]
        return []

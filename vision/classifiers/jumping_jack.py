"""Jumping jack: feet jump apart while the arms swing overhead, then both come back together."""

from __future__ import annotations

import math
from typing import ClassVar

from fithub.vision.body import BodyScale
from fithub.vision.events import Cue
from fithub.vision.features import (
    feet_apart,
    feet_spread,
    mean_visible,
    ramp,
    sideways_stance,
    standing,
)
from fithub.vision.landmarks import SIDES, PoseFrame, Side
from fithub.vision.landmarks import Landmark as L
from fithub.vision.reps import ExerciseModel, Measure, RepSummary


class JumpingJack(ExerciseModel):
    """Counts jumping jacks by feet spread (in leg lengths) plus hands' height (in arm lengths)."""

    name: ClassVar[str] = "jumping_jack"
    display_name: ClassVar[str] = "Jumping jack"
    #: Feet and hands together moving a third of a limb is the least that could be a jack.
    min_rom: ClassVar[float] = 0.35
    min_rep_ms: ClassVar[float] = 250.0
    smoothing: ClassVar[tuple[float, float]] = (2.5, 2.0)

    def measure(self, frame: PoseFrame, body: BodyScale) -> Measure:
        leg, arm = body.segment("leg"), body.segment("arm")
        spread = feet_spread(frame, leg)
        raised: dict[Side, float] = {}
        if math.isfinite(arm) and arm > 0:
            for side in ("left", "right"):
                joints = SIDES[side]
                raised[side] = (
                    float(frame.xy(joints["shoulder"])[1] - frame.xy(joints["wrist"])[1]) / arm
                )
        hands = mean_visible(frame, raised, ("shoulder", "wrist"))
        parts = [p for p in (spread, hands) if math.isfinite(p)]
        signal = sum(parts) / 2.0 if len(parts) == 2 else math.nan
        nose_y = float(frame.xy(L.NOSE)[1])
        wrist_y = min(float(frame.xy(L.LEFT_WRIST)[1]), float(frame.xy(L.RIGHT_WRIST)[1]))
        shoulders = abs(float(frame.xy(L.LEFT_SHOULDER)[0] - frame.xy(L.RIGHT_SHOULDER)[0]))
        form = {
            "feet_spread": spread,
            "feet_apart": feet_apart(frame),
            "hands_raised": hands,
            "sideways": sideways_stance(frame),
            "hands_over_head": (nose_y - wrist_y) / arm
            if math.isfinite(arm) and arm > 0
            else math.nan,
            "feet_to_shoulders": spread * leg / shoulders if shoulders > 1e-6 else math.nan,
        }
        return Measure(signal, standing(frame), form)

    def assess(self, rep: RepSummary) -> list[Cue]:
        cues: list[Cue] = []
        over = rep.peak.get("hands_over_head", math.nan)
        if over < 0.2:
            cues.append(
                Cue("arms_overhead", "Swing your arms all the way overhead", min(0.4, 0.2 - over))
            )
        feet = rep.peak.get("feet_to_shoulders", math.nan)
        if feet < 1.3:
            cues.append(Cue("feet_width", "Jump your feet wider apart", min(0.3, (1.3 - feet) / 2)))
        return cues

    def match(self, rep: RepSummary) -> float:
        # The feet jump apart sideways (not a lunge's front-to-back split) while the hands swing
        # up: neither alone is a jack.
        key = "feet_apart" if "feet_apart" in rep.peak else "feet_spread"
        spread = rep.peak.get(key, math.nan) - rep.low.get(key, math.nan)
        swing = rep.peak.get("hands_raised", math.nan) - rep.low.get("hands_raised", math.nan)
        sideways = rep.bottom.get("sideways", math.nan)
        lateral = ramp(sideways, 0.4, 0.7) if math.isfinite(sideways) else 1.0
        return rep.posture * ramp(spread, 0.1, 0.25) * ramp(swing, 0.3, 0.6) * lateral

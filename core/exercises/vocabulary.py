"""The fixed vocabularies of the catalog: muscle groups and equipment (values stored as they are)."""

from __future__ import annotations

from enum import StrEnum


class Muscle(StrEnum):
    """A muscle group an exercise works; ``cardio`` and ``full_body`` stand for whole-body effort."""

    CHEST = "chest"
    BACK = "back"
    LATS = "lats"
    TRAPS = "traps"
    SHOULDERS = "shoulders"
    BICEPS = "biceps"
    TRICEPS = "triceps"
    FOREARMS = "forearms"
    ABS = "abs"
    OBLIQUES = "obliques"
    LOWER_BACK = "lower_back"
    GLUTES = "glutes"
    QUADRICEPS = "quadriceps"
    HAMSTRINGS = "hamstrings"
    CALVES = "calves"
    ADDUCTORS = "adductors"
    ABDUCTORS = "abductors"
    HIP_FLEXORS = "hip_flexors"
    NECK = "neck"
    FULL_BODY = "full_body"
    CARDIO = "cardio"


class Equipment(StrEnum):
    """The main equipment an exercise needs: ``bodyweight`` when your body is the load (a push-up),
    ``none`` when nothing is needed and nothing is lifted (running, a stretch)."""

    BARBELL = "barbell"
    EZ_BAR = "ez_bar"
    TRAP_BAR = "trap_bar"
    DUMBBELL = "dumbbell"
    KETTLEBELL = "kettlebell"
    PLATE = "plate"
    MACHINE = "machine"
    SMITH_MACHINE = "smith_machine"
    CABLE = "cable"
    BAND = "band"
    BENCH = "bench"
    BOX = "box"
    PULL_UP_BAR = "pull_up_bar"
    DIP_STATION = "dip_station"
    RINGS = "rings"
    SUSPENSION_TRAINER = "suspension_trainer"
    MEDICINE_BALL = "medicine_ball"
    STABILITY_BALL = "stability_ball"
    AB_WHEEL = "ab_wheel"
    SLED = "sled"
    BATTLE_ROPE = "battle_rope"
    JUMP_ROPE = "jump_rope"
    FOAM_ROLLER = "foam_roller"
    BICYCLE = "bicycle"
    CARDIO_MACHINE = "cardio_machine"
    BODYWEIGHT = "bodyweight"
    NONE = "none"
    OTHER = "other"


MUSCLE_LABELS: dict[Muscle, str] = {
    Muscle.CHEST: "Chest (pectorals)",
    Muscle.BACK: "Upper and mid back (rhomboids, rear of the shoulder girdle)",
    Muscle.LATS: "Lats (latissimus dorsi)",
    Muscle.TRAPS: "Traps (trapezius)",
    Muscle.SHOULDERS: "Shoulders (deltoids)",
    Muscle.BICEPS: "Biceps",
    Muscle.TRICEPS: "Triceps",
    Muscle.FOREARMS: "Forearms and grip",
    Muscle.ABS: "Abs (rectus abdominis, deep core)",
    Muscle.OBLIQUES: "Obliques",
    Muscle.LOWER_BACK: "Lower back (spinal erectors)",
    Muscle.GLUTES: "Glutes",
    Muscle.QUADRICEPS: "Quadriceps",
    Muscle.HAMSTRINGS: "Hamstrings",
    Muscle.CALVES: "Calves",
    Muscle.ADDUCTORS: "Adductors (inner thigh)",
    Muscle.ABDUCTORS: "Abductors (outer hip)",
    Muscle.HIP_FLEXORS: "Hip flexors",
    Muscle.NECK: "Neck",
    Muscle.FULL_BODY: "Full body",
    Muscle.CARDIO: "Cardiovascular system",
}

EQUIPMENT_LABELS: dict[Equipment, str] = {
    Equipment.BARBELL: "Barbell",
    Equipment.EZ_BAR: "EZ curl bar",
    Equipment.TRAP_BAR: "Trap (hex) bar",
    Equipment.DUMBBELL: "Dumbbells",
    Equipment.KETTLEBELL: "Kettlebell",
    Equipment.PLATE: "Weight plate",
    Equipment.MACHINE: "Weight machine",
    Equipment.SMITH_MACHINE: "Smith machine",
    Equipment.CABLE: "Cable pulley",
    Equipment.BAND: "Resistance band",
    Equipment.BENCH: "Bench",
    Equipment.BOX: "Plyo box or step",
    Equipment.PULL_UP_BAR: "Pull-up bar",
    Equipment.DIP_STATION: "Dip station or parallel bars",
    Equipment.RINGS: "Gymnastic rings",
    Equipment.SUSPENSION_TRAINER: "Suspension trainer",
    Equipment.MEDICINE_BALL: "Medicine ball",
    Equipment.STABILITY_BALL: "Stability ball",
    Equipment.AB_WHEEL: "Ab wheel",
    Equipment.SLED: "Sled or prowler",
    Equipment.BATTLE_ROPE: "Battle ropes",
    Equipment.JUMP_ROPE: "Jump rope",
    Equipment.FOAM_ROLLER: "Foam roller",
    Equipment.BICYCLE: "Bicycle",
    Equipment.CARDIO_MACHINE: "Cardio machine (treadmill, rower, bike, elliptical, ...)",
    Equipment.BODYWEIGHT: "Bodyweight (your body is the load)",
    Equipment.NONE: "No equipment",
    Equipment.OTHER: "Other equipment",
}

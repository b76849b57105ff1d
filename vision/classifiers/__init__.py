"""Built-in exercise classifiers, registered as a plugin like any third-party one.

Each is an :class:`~fithub.vision.reps.ExerciseModel`: an exercise-specific movement signal, posture
fit and form rules on top of the generic online rep counter.
"""

from __future__ import annotations

from fithub.plugins import ExerciseClassifier, PluginHost, hookimpl
from fithub.vision.classifiers.jumping_jack import JumpingJack
from fithub.vision.classifiers.lunge import Lunge
from fithub.vision.classifiers.pushup import PushUp
from fithub.vision.classifiers.situp import SitUp
from fithub.vision.classifiers.squat import Squat
from fithub.vision.reps import ExerciseModel

BUILTIN_EXERCISES: tuple[type[ExerciseModel], ...] = (Squat, PushUp, Lunge, SitUp, JumpingJack)

__all__ = [
    "BUILTIN_EXERCISES",
    "builtin_classifiers",
    "JumpingJack",
    "Lunge",
    "PushUp",
    "SitUp",
    "Squat",
]


@hookimpl
def register_exercise_classifiers(host: PluginHost) -> list[type[ExerciseClassifier]]:
    """The five built-in exercises: squat, push-up, lunge, sit-up and jumping jack."""
    return list(BUILTIN_EXERCISES)


def builtin_classifiers() -> dict[str, ExerciseModel]:
    """One instance of each built-in exercise, by name."""
    return {cls.name: cls() for cls in BUILTIN_EXERCISES}

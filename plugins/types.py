"""What each kind of plugin provides: one ``Protocol`` per kind, plus the host they receive.

These start small; later versions add methods (fetching data, sending messages, counting reps).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from fithub.vision.events import VisionEvent
    from fithub.vision.landmarks import PoseFrame

PluginKind = Literal["device_provider", "nutrition_source", "notifier", "exercise_classifier"]


@dataclass(frozen=True)
class PluginHost:
    """What fithub hands to a plugin's registration hooks."""

    version: str
    logger: logging.Logger


@runtime_checkable
class DeviceProvider(Protocol):
    """A wearable or health-app vendor that fithub can connect to and sync from."""

    name: ClassVar[str]
    display_name: ClassVar[str]


@runtime_checkable
class NutritionSource(Protocol):
    """A food database that fithub can search for nutrition facts."""

    name: ClassVar[str]
    display_name: ClassVar[str]


@runtime_checkable
class Notifier(Protocol):
    """A channel that delivers messages to a person."""

    name: ClassVar[str]
    display_name: ClassVar[str]

    async def send(self, recipient: str, subject: str, body: str) -> None:
        """Deliver one message; raise on failure so the delivery is retried."""


@runtime_checkable
class ExerciseCounter(Protocol):
    """Counts one exercise in one stream (a live session or a clip), one frame at a time.

    Frames arrive in time order; memory stays bounded however long the stream runs.
    """

    @property
    def count(self) -> int:
        """Reps counted so far."""
        ...

    @property
    def evidence(self) -> float:
        """How surely the reps so far were this exercise (sum of 0..1 per rep), for ``auto``."""
        ...

    def update(self, frame: PoseFrame) -> list[VisionEvent]:
        """Take the next frame; return the events it completes (reps, live form cues), often none."""
        ...

    def finish(self) -> list[VisionEvent]:
        """End of stream: return any last events; a rep still in progress is not counted."""
        ...


@runtime_checkable
class ExerciseClassifier(Protocol):
    """Turns pose landmarks into rep events and form feedback for one exercise.

    fithub instantiates the class with no arguments; an instance holds configuration only and
    makes one counter per stream.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]

    def create_counter(self) -> ExerciseCounter:
        """A fresh counter for one stream."""
        ...

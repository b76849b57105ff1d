"""What each kind of plugin provides: one ``Protocol`` per kind, plus the host they receive.

These start small; later versions add methods (fetching data, sending messages, counting reps).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol, runtime_checkable

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
class ExerciseClassifier(Protocol):
    """Turns pose landmarks into rep events and form feedback for one exercise."""

    name: ClassVar[str]
    display_name: ClassVar[str]

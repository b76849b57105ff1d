"""pluggy hook specifications: the four kinds of fithub plugin.

Each hook is called once at start-up with the plugin host and returns the classes the plugin
contributes. Every implementation is called (no ``firstresult``); one that raises is reported and
skipped without affecting the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from fithub.plugins.notifier import Notifier
    from fithub.plugins.nutrition import NutritionSource
    from fithub.plugins.types import (
        DeviceProvider,
        ExerciseClassifier,
        PluginHost,
    )

PROJECT = "fithub"
hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
    """Return device-provider classes (wearables and health apps) this plugin adds."""
    raise NotImplementedError


@hookspec
def register_nutrition_sources(host: PluginHost) -> list[type[NutritionSource]]:
    """Return nutrition-source classes (food databases, barcode look-ups) this plugin adds."""
    raise NotImplementedError


@hookspec
def register_notifiers(host: PluginHost) -> list[type[Notifier]]:
    """Return notifier classes (e-mail, SMS, push, webhooks, chat) this plugin adds.

    Called once at start-up; every plugin's classes are kept. Each class satisfies
    :class:`~fithub.plugins.types.Notifier`: made with a ``NotifierContext``, it sends a
    ``RenderedMessage`` to a ``Recipient`` of its ``channel`` and returns a ``DeliveryResult`` or
    raises ``DeliveryRetryLater``, ``DeliveryGaveUp`` or ``RecipientInvalid``.
    """
    raise NotImplementedError


@hookspec
def register_exercise_classifiers(host: PluginHost) -> list[type[ExerciseClassifier]]:
    """Return exercise-classifier classes (pose landmarks in, rep events out) this plugin adds."""
    raise NotImplementedError

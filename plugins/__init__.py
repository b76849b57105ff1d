"""The public plugin API of fithub: what a plugin package may import.

A plugin module implements one or more hooks from :mod:`fithub.plugins.hookspecs`::

    from fithub.plugins import hookimpl

    @hookimpl
    def register_device_providers(host):
        return [MyProvider]

and is announced by an entry point in the ``fithub.plugins`` group.
"""

from __future__ import annotations

import pluggy

from fithub.plugins.errors import (
    PluginError,
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
    ProviderRateLimited,
    ProviderUnavailable,
)
from fithub.plugins.records import (
    Activity,
    BodyKind,
    BodyMeasurement,
    DailySummary,
    Record,
    Sample,
    SampleKind,
    SleepSession,
    SleepStage,
    SleepStageKind,
    Source,
    validate_record,
)
from fithub.plugins.types import (
    AppCredentials,
    AuthKind,
    AuthorizationCallback,
    AuthorizationRequest,
    AuthorizationStart,
    DataType,
    DeviceProvider,
    ExerciseClassifier,
    ExerciseCounter,
    FetchQuery,
    Notifier,
    NutritionSource,
    Page,
    PluginHost,
    PluginKind,
    ProviderContext,
    PushEvent,
    PushRequest,
    PushResult,
    RateLimit,
    TokenSet,
)

ENTRY_POINT_GROUP = "fithub.plugins"
hookimpl = pluggy.HookimplMarker("fithub")

__all__ = [
    "ENTRY_POINT_GROUP",
    "Activity",
    "AppCredentials",
    "AuthKind",
    "AuthorizationCallback",
    "AuthorizationRequest",
    "AuthorizationStart",
    "BodyKind",
    "BodyMeasurement",
    "DailySummary",
    "DataType",
    "DeviceProvider",
    "ExerciseClassifier",
    "ExerciseCounter",
    "FetchQuery",
    "Notifier",
    "NutritionSource",
    "Page",
    "PluginError",
    "PluginHost",
    "PluginKind",
    "ProviderAuthFailed",
    "ProviderContext",
    "ProviderError",
    "ProviderMalformedResponse",
    "ProviderRateLimited",
    "ProviderUnavailable",
    "PushEvent",
    "PushRequest",
    "PushResult",
    "RateLimit",
    "Record",
    "Sample",
    "SampleKind",
    "SleepSession",
    "SleepStage",
    "SleepStageKind",
    "Source",
    "TokenSet",
    "hookimpl",
    "validate_record",
]

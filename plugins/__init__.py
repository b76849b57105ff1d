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

from fithub.plugins import coerce
from fithub.plugins.errors import (
    DeliveryGaveUp,
    DeliveryRetryLater,
    NotifierError,
    PluginError,
    ProviderAuthFailed,
    ProviderError,
    ProviderMalformedResponse,
    ProviderRateLimited,
    ProviderUnavailable,
    RecipientInvalid,
)
from fithub.plugins.http import VendorHosts, VendorHTTP
from fithub.plugins.notifier import (
    DeliveryResult,
    Notifier,
    NotifierChannel,
    NotifierContext,
    Recipient,
    RenderedMessage,
    StatusCallbacks,
    StatusUpdate,
)
from fithub.plugins.oauth import OAuth2Client, OAuth2Config, Revocation
from fithub.plugins.provider import (
    OAuth2Provider,
    ProviderBase,
    ProviderSpec,
    device_providers,
    normalisers_in,
    normalises,
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
    BatchImporter,
    BatchOutcome,
    DataType,
    DeviceProvider,
    ExerciseClassifier,
    ExerciseCounter,
    FetchQuery,
    FileImporter,
    ImportBatch,
    ImportFile,
    ImportRefusal,
    ImportRefused,
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
    "BatchImporter",
    "BatchOutcome",
    "BodyKind",
    "BodyMeasurement",
    "DailySummary",
    "DataType",
    "DeliveryGaveUp",
    "DeliveryResult",
    "DeliveryRetryLater",
    "DeviceProvider",
    "ExerciseClassifier",
    "ExerciseCounter",
    "FetchQuery",
    "FileImporter",
    "ImportBatch",
    "ImportFile",
    "ImportRefusal",
    "ImportRefused",
    "Notifier",
    "NotifierChannel",
    "NotifierContext",
    "NotifierError",
    "NutritionSource",
    "OAuth2Client",
    "OAuth2Config",
    "OAuth2Provider",
    "Page",
    "PluginError",
    "PluginHost",
    "PluginKind",
    "ProviderAuthFailed",
    "ProviderBase",
    "ProviderContext",
    "ProviderError",
    "ProviderMalformedResponse",
    "ProviderRateLimited",
    "ProviderSpec",
    "ProviderUnavailable",
    "PushEvent",
    "PushRequest",
    "PushResult",
    "RateLimit",
    "Recipient",
    "RecipientInvalid",
    "Record",
    "RenderedMessage",
    "StatusCallbacks",
    "StatusUpdate",
    "Revocation",
    "Sample",
    "SampleKind",
    "SleepSession",
    "SleepStage",
    "SleepStageKind",
    "Source",
    "TokenSet",
    "VendorHTTP",
    "VendorHosts",
    "coerce",
    "device_providers",
    "hookimpl",
    "normalisers_in",
    "normalises",
    "validate_record",
]

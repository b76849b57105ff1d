"""What each kind of plugin provides: one ``Protocol`` per kind, plus the host they receive.

Device providers have the largest contract: the declarations and methods of ``DeviceProvider``
and the value types they exchange with fithub (tokens, authorisation requests, fetch queries and
pages, pushes). The records a provider produces are in :mod:`fithub.plugins.records`.
Notifiers and the values they exchange are in :mod:`fithub.plugins.notifier`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, runtime_checkable

from fithub.plugins.errors import ProviderMalformedResponse

if TYPE_CHECKING:
    from pathlib import Path

    import aiohttp

    from fithub.plugins.records import Record, SampleSeries
    from fithub.vision.events import VisionEvent
    from fithub.vision.landmarks import PoseFrame

PluginKind = Literal["device_provider", "nutrition_source", "notifier", "exercise_classifier"]


@dataclass(frozen=True)
class PluginHost:
    """What fithub hands to a plugin's registration hooks."""

    version: str
    logger: logging.Logger


# --- Device providers ---------------------------------------------------------------------------

AuthKind = Literal["oauth2", "oauth2_pkce", "oauth1", "file_import", "push_only"]
OAUTH_KINDS: frozenset[str] = frozenset({"oauth2", "oauth2_pkce", "oauth1"})


class DataType(StrEnum):
    """A kind of data a provider offers; fithub syncs (and keeps a cursor for) each on its own."""

    ACTIVITIES = "activities"  # -> Activity
    DAILY = "daily"  # -> DailySummary
    HEART_RATE = "heart_rate"  # -> Sample(kind=heart_rate)
    SLEEP = "sleep"  # -> SleepSession (and Samples measured during the sleep, e.g. HRV)
    BODY = "body"  # -> BodyMeasurement
    HRV = "hrv"  # -> Sample(kind=hrv_rmssd)
    SPO2 = "spo2"  # -> Sample(kind=spo2)


@dataclass(frozen=True)
class RateLimit:
    """A vendor limit: at most ``requests`` per ``per_seconds``, counted per app or per user."""

    requests: int
    per_seconds: int
    scope: Literal["app", "user"] = "app"


@dataclass(frozen=True)
class AppCredentials:
    """The fithub deployment's registration with the vendor (``FITHUB_<NAME>_*`` settings).

    ``base_url`` and ``auth_base_url`` replace the vendor's API and sign-in hosts when set (a fake
    vendor in tests, a proxy); ``options`` holds any other ``FITHUB_<NAME>_OPTION_*`` value.
    """

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    base_url: str | None = None
    auth_base_url: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderContext:
    """What fithub hands a provider when it makes one (once per process).

    ``session`` is the process's shared aiohttp session: use it, never close it. ``timeout_s``
    bounds one request to the vendor.
    """

    session: aiohttp.ClientSession
    credentials: AppCredentials
    logger: logging.Logger
    timeout_s: float = 30.0


@dataclass(frozen=True)
class TokenSet:
    """A user's grant at the vendor. fithub stores it encrypted and passes it back on each call.

    ``extra`` keeps whatever else the provider needs later (an OAuth 1 token secret, a vendor user
    id used in URLs); it is encrypted with the tokens.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()
    external_user_id: str | None = None
    token_type: str = "Bearer"
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    def expires_within(self, seconds: float, now: datetime) -> bool:
        """True when the access token is expired or will be within ``seconds`` of ``now``."""
        return self.expires_at is not None and (self.expires_at - now).total_seconds() <= seconds


@dataclass(frozen=True)
class AuthorizationRequest:
    """fithub asks for the URL to send the user to. ``state`` must come back on the callback."""

    state: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None = None  # PKCE S256 challenge, for auth_kind "oauth2_pkce"


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the user, and values to keep until the callback (e.g. an OAuth 1 secret)."""

    url: str
    stash: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class AuthorizationCallback:
    """The vendor sent the user back: exchange this for a :class:`TokenSet`."""

    code: str | None
    params: Mapping[str, str]  # every query parameter of the callback
    redirect_uri: str
    code_verifier: str | None = field(default=None, repr=False)
    stash: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class FetchQuery:
    """One page of one data type in the window [start, end); ``page_token`` from the last page."""

    data_type: DataType
    start: datetime
    end: datetime
    page_token: str | None = None


@dataclass(frozen=True)
class Page:
    """The vendor's items, as received, and the token of the next page (None: the last page)."""

    items: Sequence[Mapping[str, Any]]
    next_token: str | None = None


@dataclass
class NormalisedPage:
    """What ``normalise_page`` made of a page: its records, its dense sample series in columns
    (:class:`~fithub.plugins.records.SampleSeries`), and one message per unreadable item."""

    records: list[Record] = field(default_factory=list)
    series: list[SampleSeries] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# How far a signed push's timestamp may be from fithub's clock, either way, before the push is
# refused as a replay (Standard Webhooks' receivers use the same 5 minutes).
PUSH_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class PushRequest:
    """A request a vendor sent to fithub's webhook for this provider."""

    method: str
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class PushEvent:
    """Something changed at the vendor for one user.

    - ``upsert``: fithub fetches ``data_type`` for [start, end) (its look-back window when absent);
      when the vendor sent the data itself (``items``, as ``fetch_page`` would return them), fithub
      normalises and stores those instead of fetching;
    - ``delete``: the vendor deleted ``object_id`` (an external id) of ``data_type``, or what it
      had in [start, end);
    - ``deauthorize``: the user withdrew the grant at the vendor; fithub drops the tokens.

    Destructive events are confirmed with the vendor before fithub acts: a ``deauthorize`` always
    (a refresh, or a fetch when there is no refresh token, must be refused), a ``delete`` unless
    the provider declares ``pushes_signed = True`` (the vendor no longer returns what it names).
    """

    external_user_id: str
    data_type: DataType | None
    action: Literal["upsert", "delete", "deauthorize"] = "upsert"
    object_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    items: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class PushResult:
    """How to answer the vendor (``status``, optional JSON ``body``) and what the push announced."""

    status: int = 204
    body: Mapping[str, Any] | None = None
    events: tuple[PushEvent, ...] = ()


@runtime_checkable
class DeviceProvider(Protocol):
    """A wearable or health-app vendor that fithub can connect to and sync from.

    fithub makes one instance per process: ``cls(context)``. Every method may raise only
    ``ProviderError`` subclasses (see :mod:`fithub.plugins.errors`). A provider never retries,
    sleeps, stores or logs tokens: fithub decides what happens after an error.

    One optional declaration: ``pushes_signed: ClassVar[bool]``, True only when ``handle_push``
    checks a signature the vendor computes over each push's body with a secret (an HMAC).
    Absent or False (a vendor that signs nothing, a shared secret in the URL or a header), fithub
    confirms every ``delete`` with the vendor before deleting anything.

    One optional method: ``normalise_page(data_type, items) -> NormalisedPage``, a whole page at
    once, so that a dense time series (one item a minute) can come back as a few
    ``SampleSeries`` in columns rather than one ``Sample`` object per item. It must stand for
    what ``normalise`` gives item by item (the contract kit checks it) and never raise for a bad
    item (its message goes to ``errors``). Without it, fithub calls ``normalise`` per item.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    auth_kind: ClassVar[AuthKind]
    scopes: ClassVar[tuple[str, ...]]  # asked for when connecting
    data_types: ClassVar[tuple[DataType, ...]]  # offered, in the order fithub syncs them
    required_scopes: ClassVar[Mapping[DataType, tuple[str, ...]]]  # skipped unless granted
    rate_limits: ClassVar[tuple[RateLimit, ...]]
    max_window: ClassVar[timedelta]  # the longest [start, end) one FetchQuery may cover

    def __init__(self, context: ProviderContext) -> None: ...

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        """The vendor's consent page for ``request`` (with its state, scopes, PKCE challenge)."""
        ...

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        """Trade the callback's code for tokens, with ``external_user_id`` and granted scopes."""
        ...

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens from the refresh token; ProviderAuthFailed when the vendor refuses it."""
        ...

    async def revoke(self, tokens: TokenSet) -> None:
        """Withdraw the grant at the vendor (the user disconnected)."""
        ...

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        """One page of ``query.data_type`` in the window; the vendor's items, not yet normalised."""
        ...

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        """The records one vendor item stands for (often one, sometimes none or several)."""
        ...

    async def handle_push(self, request: PushRequest) -> PushResult:
        """Verify and parse a vendor push (a webhook call or handshake); ProviderError if forged,
        unsigned (a missing secret or signature, or none configured) or stale (a signed timestamp
        further than :data:`PUSH_TOLERANCE` from now)."""
        ...


# --- File imports: a capability a device provider may add ---------------------------------------

ImportRefusal = Literal["unsupported", "too_large", "unsafe", "not_recognised", "unreadable"]


class ImportRefused(ProviderMalformedResponse):
    """A file a :class:`FileImporter` cannot import; the message says why, for the person.

    ``reason`` decides fithub's answer to an upload: ``unsupported`` (not this kind of file at
    all) 415, ``too_large`` 413, ``unsafe`` (e.g. XML declaring entities), ``not_recognised`` (the
    right format but not an export) and ``unreadable`` (damaged, cut short) 422. Subclass it and
    set ``reason``; raised while the import runs, it fails the import with its message.
    """

    reason: ClassVar[ImportRefusal] = "unreadable"


@dataclass(frozen=True)
class ImportFile:
    """What :meth:`FileImporter.inspect_import` found an uploaded file to be, from its bytes."""

    format: str  # short, stored with the import and as the file's suffix: "zip", "xml"
    content_type: str  # the media type the file is stored under
    size_bytes: int  # the bytes read_import reads (uncompressed): progress counts them


@dataclass(frozen=True)
class ImportBatch:
    """Records read from an import file, with the reader's counters so far (they only grow)."""

    records: Sequence[Record]
    read: int  # items of the file read
    bytes_read: int  # of ImportFile.size_bytes
    aggregated: int = 0  # items folded into others (samples summed into a day)
    skipped: Mapping[str, int] = field(default_factory=dict)  # why items were skipped -> count
    file_date: datetime | None = None  # when the file was written, once the reader knows


@runtime_checkable
class FileImporter(Protocol):
    """Capability of a device provider whose data a person uploads as a file (an export).

    fithub serves ``POST /api/v1/devices/<name>/imports`` for every provider that has it, checks
    uploads by content (never the file name or declared type), stores the file and reads it in a
    background job through ``read_import``, storing each batch in one transaction. Limits are
    fithub's settings (``FITHUB_<NAME>_IMPORT_MAX_BYTES``, ``_XML_MAX_BYTES``,
    ``_IMPORT_BATCH_RECORDS``), passed in. The three methods are static: they run in a worker
    thread, without a provider instance, and raise only :class:`ImportRefused` for a bad file.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    import_description: ClassVar[str]  # what the file is, after "not": "an Apple Health export"
    import_unsupported: ClassVar[str]  # the 415 answer's advice when sniff_import says no

    @staticmethod
    def sniff_import(head: bytes) -> bool:
        """Whether a file whose first 64 bytes (fewer in a smaller file) are ``head`` may be one.

        Called while the upload arrives, so a wrong file is refused (415) before it is stored.
        """
        ...

    @staticmethod
    def inspect_import(path: Path, max_bytes: int) -> ImportFile:
        """Check the whole uploaded file at ``path``; ImportRefused unless it can be imported.

        ``max_bytes`` bounds the data read (``too_large`` past it).
        """
        ...

    @staticmethod
    def read_import(path: Path, max_bytes: int, batch_records: int) -> Iterator[ImportBatch]:
        """Read the file's records, about ``batch_records`` per batch; the last batch carries the
        final counters (its records may be empty). Importing the same file twice must produce
        the same external ids, so fithub stores nothing twice."""
        ...


# --- Pushed batches: a capability a device provider may add ---------------------------------------


@dataclass
class BatchOutcome:
    """What :meth:`BatchImporter.normalise_batch` made of a batch: its records, what it skipped
    (reason -> count) and each bad item's error as (index, field, message)."""

    records: list[Record] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[int, str, str]] = field(default_factory=list)


@runtime_checkable
class BatchImporter(Protocol):
    """Capability of a device provider whose data the person's own app pushes, in batches.

    fithub serves ``POST /api/v1/devices/<name>/batch`` for every provider that has it: a signed-in
    person's app sends up to ``max_batch_records`` items (JSON objects, HealthKit-shaped, see
    docs/providers/apple_health.md) and fithub stores the batch all or nothing: any error fails
    the request (422 naming ``records.<index>.<field>``) and nothing is stored. The largest body
    is the setting ``FITHUB_<NAME>_PUSH_MAX_BYTES``.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    max_batch_records: ClassVar[int]  # at most 1000

    @staticmethod
    def normalise_batch(items: Sequence[Mapping[str, Any]]) -> BatchOutcome:
        """The records of one batch, what was skipped and each bad item's error (never raises
        for a bad item). Pushing an item again must give it the same external id."""
        ...


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

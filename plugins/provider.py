"""The provider SDK: what a provider is (:class:`ProviderSpec`), once, and the bases that read it.

A vendor package declares ``SPEC = ProviderSpec(...)`` in its ``const.py``; its provider class
subclasses :class:`ProviderBase` (or :class:`OAuth2Provider`) with ``spec = const.SPEC`` and gets
the declarations fithub reads (``name``, ``scopes``, ``max_window``...) from it::

    class OuraProvider(OAuth2Provider[OuraClient]):
        spec = const.SPEC
        normalisers = normalisers_in(mapping)  # its functions are marked @normalises(...)
        page_normalisers = page_normalisers_in(mapping)  # optional: @normalises_pages(...)

    register_device_providers = device_providers(OuraProvider)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from types import ModuleType
from typing import Any, ClassVar, Generic, TypeVar, cast, get_args, get_origin

import pluggy

from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.http import VendorHosts
from fithub.plugins.oauth import OAuth2Client, OAuth2Config
from fithub.plugins.records import Record
from fithub.plugins.types import (
    AuthKind,
    AuthorizationCallback,
    AuthorizationRequest,
    AuthorizationStart,
    DataType,
    DeviceProvider,
    NormalisedPage,
    PluginHost,
    ProviderContext,
    RateLimit,
    TokenSet,
)

_hookimpl = pluggy.HookimplMarker("fithub")  # fithub.plugins.hookimpl (that module imports this)
Normaliser = Callable[[Mapping[str, Any]], list[Record]]
ClientT = TypeVar("ClientT", bound=OAuth2Client)
PageNormaliser = Callable[[Sequence[Mapping[str, Any]]], NormalisedPage]
NormaliserT = TypeVar("NormaliserT", bound=Normaliser)
PageNormaliserT = TypeVar("PageNormaliserT", bound=PageNormaliser)
MARK = "__fithub_normalises__"
PAGE_MARK = "__fithub_normalises_pages__"


def normalises(*data_types: DataType) -> Callable[[NormaliserT], NormaliserT]:
    """Mark a mapping function as the normaliser of ``data_types`` (see :func:`normalisers_in`)."""

    def mark(fn: NormaliserT) -> NormaliserT:
        setattr(fn, MARK, data_types)
        return fn

    return mark


def normalises_pages(*data_types: DataType) -> Callable[[PageNormaliserT], PageNormaliserT]:
    """Mark a function of a page's items -> :class:`NormalisedPage` as the page normaliser of
    ``data_types`` (see :func:`page_normalisers_in`); for dense time series in columns."""

    def mark(fn: PageNormaliserT) -> PageNormaliserT:
        setattr(fn, PAGE_MARK, data_types)
        return fn

    return mark


def _marked(module: ModuleType, mark: str) -> dict[DataType, Any]:
    table: dict[DataType, Any] = {}
    for value in vars(module).values():
        for data_type in getattr(value, mark, ()) if callable(value) else ():
            if data_type in table:
                raise ValueError(f"{module.__name__}: two normalisers for {data_type}")
            table[data_type] = value
    return table


def normalisers_in(module: ModuleType) -> dict[DataType, Normaliser]:
    """The ``normalisers`` table of a mapping module whose functions are marked ``@normalises``."""
    return _marked(module, MARK)


def page_normalisers_in(module: ModuleType) -> dict[DataType, PageNormaliser]:
    """The ``page_normalisers`` table of a mapping module (functions marked
    ``@normalises_pages``)."""
    return _marked(module, PAGE_MARK)


@dataclass(frozen=True)
class ProviderSpec:
    """The facts of one provider: identity, grant, data types, limits, hosts and OAuth 2.0 ways.

    ``pushes_signed``: ``handle_push`` checks an HMAC the vendor computes over each push's body
    (fithub then acts on a pushed ``delete`` without asking the vendor first).
    ``retry_after_headers``: where a 429 says how long to wait, in order.
    """

    name: str
    display_name: str
    auth_kind: AuthKind
    scopes: tuple[str, ...] = ()
    data_types: tuple[DataType, ...] = ()
    required_scopes: Mapping[DataType, tuple[str, ...]] = field(default_factory=dict)
    rate_limits: tuple[RateLimit, ...] = ()
    max_window: timedelta = timedelta(days=30)
    pushes_signed: bool = False
    hosts: VendorHosts | None = None
    oauth: OAuth2Config | None = None
    retry_after_headers: tuple[str, ...] = ("Retry-After",)


class ProviderBase:
    """A device provider whose declarations come from ``spec`` (set them by subclassing).

    Also: ``self.context``, and :meth:`normalise` over the ``normalisers`` table, where an item
    that fails with one of ``malformed_errors`` is reported by the first of ``item_keys`` it has;
    :meth:`normalise_page` uses the ``page_normalisers`` table for the data types it names (dense
    series in columns) and :meth:`normalise` item by item for the others.
    """

    spec: ClassVar[ProviderSpec]
    name: ClassVar[str]
    display_name: ClassVar[str]
    auth_kind: ClassVar[AuthKind]
    scopes: ClassVar[tuple[str, ...]]
    data_types: ClassVar[tuple[DataType, ...]]
    required_scopes: ClassVar[Mapping[DataType, tuple[str, ...]]]
    rate_limits: ClassVar[tuple[RateLimit, ...]]
    max_window: ClassVar[timedelta]
    pushes_signed: ClassVar[bool] = False

    normalisers: ClassVar[Mapping[DataType, Normaliser]] = {}
    page_normalisers: ClassVar[Mapping[DataType, PageNormaliser]] = {}
    malformed_errors: ClassVar[tuple[type[Exception], ...]] = (ValueError, TypeError, KeyError)
    item_keys: ClassVar[tuple[str, ...]] = ("id",)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.__dict__.get("spec")
        if spec is None:
            return
        cls.name, cls.display_name, cls.auth_kind = spec.name, spec.display_name, spec.auth_kind
        cls.scopes, cls.data_types = spec.scopes, spec.data_types
        cls.required_scopes, cls.rate_limits = spec.required_scopes, spec.rate_limits
        cls.max_window, cls.pushes_signed = spec.max_window, spec.pushes_signed

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def unsupported(self, data_type: DataType) -> ProviderError:
        """The error for a data type this provider does not offer."""
        return ProviderError(f"{self.display_name} does not offer {data_type}")

    def normalise(self, data_type: DataType, item: Mapping[str, Any]) -> list[Record]:
        normaliser = self.normalisers.get(data_type)
        if normaliser is None:
            raise self.unsupported(data_type)
        try:
            return normaliser(item)
        except self.malformed_errors as exc:
            ident = next((item[key] for key in self.item_keys if item.get(key)), "?")
            raise ProviderMalformedResponse(
                f"{self.display_name} {data_type} item {ident}: {exc}"
            ) from exc

    def normalise_page(
        self, data_type: DataType, items: Sequence[Mapping[str, Any]]
    ) -> NormalisedPage:
        """A page at once: the data type's page normaliser, else :meth:`normalise` per item (an
        unreadable item is noted in ``errors``, never raised)."""
        page_normaliser = self.page_normalisers.get(data_type)
        if page_normaliser is not None:
            return page_normaliser(items)
        outcome = NormalisedPage()
        for item in items:
            try:
                outcome.records.extend(self.normalise(data_type, item))
            except Exception as exc:  # one unreadable item must not lose the page
                outcome.errors.append(f"{type(exc).__name__}: {exc}")
        return outcome


class OAuth2Provider(ProviderBase, Generic[ClientT]):
    """A ProviderBase signing in with OAuth 2.0 through its client: ``OAuth2Provider[AcmeClient]``
    makes ``self.client`` an ``AcmeClient(context, spec)`` (an :class:`OAuth2Client` subclass).

    Hooks: :meth:`check_callback` (the vendor sent an error back), :meth:`connected` (complete the
    tokens after the exchange: ``external_user_id`` by default, or a registration, a subscription).
    """

    client_class: ClassVar[type[OAuth2Client]] = OAuth2Client  # set from the type argument
    refused_error: ClassVar[type[ProviderError]] = ProviderError  # a callback without a code
    client: ClientT

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            args = get_args(base) if get_origin(base) is OAuth2Provider else ()
            if args and isinstance(args[0], type) and issubclass(args[0], OAuth2Client):
                cls.client_class = args[0]

    def __init__(self, context: ProviderContext) -> None:
        super().__init__(context)
        self.client = cast(ClientT, self.client_class(context, self.spec))

    async def authorization_url(self, request: AuthorizationRequest) -> AuthorizationStart:
        return AuthorizationStart(url=self.client.authorize_url(request))

    def check_callback(self, callback: AuthorizationCallback) -> None:
        """Hook: refuse a callback that carries no code (the person said no, or the vendor failed)."""
        if not callback.code:
            error = callback.params.get("error") or "no code"
            raise self.refused_error(
                f"{self.display_name} sent the user back without a code ({error[:50]})"
            )

    async def exchange_code(self, callback: AuthorizationCallback) -> TokenSet:
        self.check_callback(callback)
        return await self.connected(await self.client.exchange(callback, self.scopes))

    async def connected(self, tokens: TokenSet) -> TokenSet:
        """Hook: the tokens of a new grant, completed (default: with :meth:`external_user_id`)."""
        user = await self.external_user_id(tokens)
        return tokens if user is None else replace(tokens, external_user_id=user)

    async def external_user_id(self, tokens: TokenSet) -> str | None:
        """Hook: the vendor's id of the person (default: what the token answer said)."""
        return tokens.external_user_id

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        return await self.client.refresh(tokens)

    async def revoke(self, tokens: TokenSet) -> None:
        await self.client.revoke(tokens)


def day_token(token: str | None, first: date, last: date, vendor: str) -> date:
    """The day a page token names (``first`` without one); ProviderError unless in [first, last]."""
    if token is None:
        return first
    try:
        day = date.fromisoformat(token)
    except ValueError as exc:
        raise ProviderError(f"{vendor}: the page token is not a date") from exc
    if not first <= day <= last:
        raise ProviderError(f"{vendor}: the page token is outside the window")
    return day


def device_providers(
    *classes: type[DeviceProvider],
) -> Callable[[PluginHost], list[type[DeviceProvider]]]:
    """A ``register_device_providers`` hook implementation that returns ``classes``."""

    def register_device_providers(host: PluginHost) -> list[type[DeviceProvider]]:
        return list(classes)

    return _hookimpl(register_device_providers)

"""``assert_push_authentication``: a provider refuses forged, unsigned and stale vendor pushes.

fithub stores what ``handle_push`` returns, so a push that is not the vendor's must make it raise
``ProviderError`` (fithub answers 401 and stores nothing). Each fake vendor describes how its
vendor authenticates pushes in a :class:`PushSpec` and makes a genuine push; the kit derives the
others from it and checks that each is refused::

    async def test_pushes_are_authenticated(fake_vendor):
        await assert_push_authentication(AcmeProvider, fake_vendor, fake_vendor.push_spec(account))

The variants: each secret (a query parameter or a header: a token, a signature, a signed
timestamp) changed by one character, removed, or made non-ASCII; all of them removed; a
tampered body where the vendor signs the body; a timestamp older (or further ahead) than the
tolerance where the vendor signs one; and the genuine push to a provider configured without the
secret options it needs. It also checks the rule for destructive events: a provider may declare
``pushes_signed = True`` (fithub then deletes without asking the vendor) only when the vendor
signs each body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from fithub.plugins.errors import ProviderError, ProviderMalformedResponse
from fithub.plugins.testing.fake import FakeVendor
from fithub.plugins.types import PUSH_TOLERANCE, AppCredentials, ProviderContext, PushRequest

log = logging.getLogger("fithub.plugins.testing")
MARGIN = timedelta(minutes=1)  # how far inside (or outside) the tolerance the timed pushes are


@dataclass(frozen=True)
class PushSpec:
    """How a vendor authenticates its pushes, and how to make a genuine one.

    - ``make(at)``: the push as the vendor sends it at instant ``at`` (lower-case header names),
      announcing at least one event;
    - ``secret_params`` / ``secret_headers``: query parameters and headers that carry a secret
      or a signature (a token in the callback URL, ``Authorization``, an HMAC, its timestamp);
    - ``body_signed``: the vendor signs the body (an HMAC): a tampered body must be refused;
    - ``timestamped``: the vendor signs a timestamp: a push made further than ``tolerance``
      from now, either way, must be refused (and one made inside it accepted);
    - ``options``: ``FITHUB_<NAME>_OPTIONS`` the provider needs (added to the fake's credentials);
      ``secret_options``: those without which every push must be refused.
    """

    make: Callable[[datetime], PushRequest]
    secret_params: tuple[str, ...] = ()
    secret_headers: tuple[str, ...] = ()
    body_signed: bool = False
    timestamped: bool = False
    tolerance: timedelta = PUSH_TOLERANCE
    options: Mapping[str, str] = field(default_factory=dict)
    secret_options: tuple[str, ...] = ()


@dataclass
class PushReport:
    """What the kit checked: the variants refused and the genuine pushes accepted."""

    refused: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)


def forged_value(value: str) -> str:
    """``value`` with its first letter or digit changed to another of the same kind, so that a
    hex digest stays hex and base64 stays base64 (only the secret is wrong)."""
    for index, char in enumerate(value):
        if char.isdigit():
            other = "1" if char == "0" else "0"
        elif char.isascii() and char.isalpha():
            other = "b" if char.lower() == "a" else "a"
            other = other.upper() if char.isupper() else other
        else:
            continue
        return value[:index] + other + value[index + 1 :]
    return value + "0"


def _without(mapping: Mapping[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in mapping.items() if key != name}


def push_variants(spec: PushSpec, now: datetime) -> list[tuple[str, PushRequest]]:
    """The pushes derived from a genuine one made at ``now`` that a provider must refuse."""
    genuine = spec.make(now)
    variants: list[tuple[str, PushRequest]] = []
    for param in spec.secret_params:
        if param not in genuine.query:
            raise AssertionError(f"the genuine push has no ?{param}: the spec is wrong")
        value = genuine.query[param]
        for label, changed in (("forged", forged_value(value)), ("non-ASCII", value[:-1] + "é")):
            variants.append((f"{label} ?{param}", replace(genuine, query={**genuine.query,
                                                                          param: changed})))  # fmt: skip
        variants.append((f"unsigned: no ?{param}", replace(genuine,
                                                          query=_without(genuine.query, param))))  # fmt: skip
    for header in spec.secret_headers:
        if header not in genuine.headers:
            raise AssertionError(f"the genuine push has no {header} header: the spec is wrong")
        value = genuine.headers[header]
        for label, changed in (("forged", forged_value(value)), ("non-ASCII", value[:-1] + "é")):
            variants.append((f"{label} {header}", replace(genuine, headers={**genuine.headers,
                                                                            header: changed})))  # fmt: skip
        variants.append((f"unsigned: no {header}", replace(genuine,
                                                          headers=_without(genuine.headers, header))))  # fmt: skip
    if spec.secret_params or spec.secret_headers:
        bare_query = {k: v for k, v in genuine.query.items() if k not in spec.secret_params}
        bare_headers = {k: v for k, v in genuine.headers.items() if k not in spec.secret_headers}
        variants.append(("unsigned: no secret at all",
                         replace(genuine, query=bare_query, headers=bare_headers)))  # fmt: skip
    if spec.body_signed:
        variants.append(("tampered body", replace(genuine, body=genuine.body + b" ")))
    if spec.timestamped:
        late = spec.tolerance + MARGIN
        variants.append((f"stale (signed {late} ago)", spec.make(now - late)))
        variants.append((f"from the future (signed {late} ahead)", spec.make(now + late)))
    return variants


async def _refused(provider: Any, label: str, request: PushRequest) -> None:
    try:
        result = await provider.handle_push(request)
    except ProviderMalformedResponse as exc:
        raise AssertionError(f"{label}: refused as malformed (400), not unverified: {exc}") from exc
    except ProviderError:
        return
    except Exception as exc:  # the webhook would answer 500
        raise AssertionError(f"{label}: {type(exc).__name__} instead of ProviderError") from exc
    raise AssertionError(f"{label} push was accepted ({len(result.events)} events)")


async def _accepted(provider: Any, label: str, request: PushRequest) -> None:
    try:
        result = await provider.handle_push(request)
    except ProviderError as exc:
        raise AssertionError(f"{label} push was refused: {exc}") from exc
    if not result.events:
        raise AssertionError(f"{label} push announced no event: the checks would prove nothing")


async def assert_push_authentication(
    provider_cls: type[Any],
    fake: FakeVendor,
    spec: PushSpec,
    *,
    credentials: AppCredentials | None = None,
) -> PushReport:
    """Check that ``provider_cls`` accepts the genuine push of ``spec`` and refuses every forged,
    unsigned and stale variant (see the module docstring); AssertionError names the breach."""
    base = credentials or fake.credentials()
    configured = replace(base, options={**base.options, **spec.options})
    report = PushReport()
    if getattr(provider_cls, "pushes_signed", False) and not spec.body_signed:
        raise AssertionError(
            f"{provider_cls.__name__} declares pushes_signed but its vendor does not sign the "
            "body: fithub would act on unconfirmed deletes"
        )
    async with aiohttp.ClientSession() as session:
        provider = provider_cls(ProviderContext(session, configured, log))
        now = datetime.now(UTC)
        await _accepted(provider, "the genuine", spec.make(now))
        report.accepted.append("genuine")
        if spec.timestamped:
            for label, at in (("an early", now - spec.tolerance + MARGIN),
                              ("a late", now + spec.tolerance - MARGIN)):  # fmt: skip
                await _accepted(provider, f"{label} (inside the tolerance)", spec.make(at))
                report.accepted.append(label)
        for label, request in push_variants(spec, now):
            await _refused(provider, label, request)
            report.refused.append(label)
        for option in spec.secret_options:
            options = _without(configured.options, option)
            bare = provider_cls(ProviderContext(session, replace(configured, options=options), log))
            label = f"a genuine push to a provider without {option!r}"
            await _refused(bare, label, spec.make(datetime.now(UTC)))
            report.refused.append(label)
    return report

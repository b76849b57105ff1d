"""Quality tiers for device providers (bronze, silver, gold), checked by the kit against a fake.

The rules are data: :data:`CRITERIA` names each criterion, its tier and what it takes. A provider
reaches a tier when every criterion of that tier and of the tiers below it passed or is not
applicable: a criterion the vendor cannot offer (no OAuth, no pushes, no deletions) is "not
applicable", with the reason, and does not block the tier. ``fithub plugin check NAME`` prints
:func:`check_provider`'s report; docs/plugins.md ("Quality tiers") explains the rules.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp

from fithub.plugins.testing import quality_checks as checks
from fithub.plugins.testing.fakes.registry import VendorFake
from fithub.plugins.testing.quality_checks import NotApplicable, Run
from fithub.plugins.types import DeviceProvider

Tier = Literal["bronze", "silver", "gold"]
TIERS: tuple[Tier, ...] = ("bronze", "silver", "gold")
Status = Literal["passed", "failed", "not applicable"]
CHECK_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Criterion:
    """One rule: its ``key``, the ``tier`` it belongs to, what it takes, and its check."""

    key: str
    tier: Tier
    rule: str
    check: Callable[[Run], Awaitable[str]] = field(repr=False)


CRITERIA: tuple[Criterion, ...] = (
    Criterion("connects", "bronze", "the authorisation URL carries the state (and PKCE); the code "
              "exchange gives tokens with an expiry and the vendor's user id", checks.check_connects),
    Criterion("syncs", "bronze", "every declared data type is fetched to its last page (or, for "
              "a file import, imported) into valid records with stable ids", checks.check_syncs),
    Criterion("contract", "bronze", "assert_provider_contract passes (declarations and methods "
              "only, for a provider nobody signs in to)", checks.check_contract),
    Criterion("webhooks_authenticated", "silver", "assert_push_authentication passes: forged, "
              "unsigned and stale pushes are refused", checks.check_push_authentication),
    Criterion("webhooks_idempotent", "silver", "the same push twice announces the same events, "
              "each naming the user and an offered data type", checks.check_push_idempotent),
    Criterion("rate_limits", "silver", "rate_limits are declared and a 429 becomes "
              "ProviderRateLimited with its Retry-After", checks.check_rate_limits),
    Criterion("reauth", "silver", "a refused or impossible refresh, a 401 and an expired token "
              "each raise ProviderAuthFailed", checks.check_reauth),
    Criterion("backfill", "gold", "a long window (30 days unless the fake says), cut into "
              "max_window windows, gives the same records in small pages as in one",
              checks.check_backfill),
    Criterion("deletions", "gold", "a push reporting a deletion becomes a delete event with the "
              "data type and the id or window", checks.check_deletions),
    Criterion("docs", "gold", "docs/providers/<name>.md exists with the sections its "
              "capabilities call for", checks.check_docs),
)  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """What one criterion came to, and why."""

    criterion: Criterion
    status: Status
    detail: str
    seconds: float = 0.0


@dataclass
class QualityReport:
    """Every criterion's outcome for one provider, and the tier they reach."""

    provider: str
    display_name: str
    outcomes: list[Outcome]
    seconds: float = 0.0

    @property
    def tier(self) -> Tier | None:
        """The highest tier whose criteria, and those of every lower tier, passed or do not apply."""
        reached: Tier | None = None
        for tier in TIERS:
            if any(o.status == "failed" for o in self.outcomes if o.criterion.tier == tier):
                break
            reached = tier
        return reached

    def blocking(self) -> list[Outcome]:
        """The failures that keep the provider from the next tier."""
        index = TIERS.index(self.tier) + 1 if self.tier else 0
        if index >= len(TIERS):
            return []
        return [o for o in self.outcomes if o.criterion.tier == TIERS[index]
                and o.status == "failed"]  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "tier": self.tier,
            "criteria": [
                {
                    "key": o.criterion.key,
                    "tier": o.criterion.tier,
                    "status": o.status,
                    "detail": o.detail,
                    "rule": o.criterion.rule,
                    "seconds": round(o.seconds, 2),
                }
                for o in self.outcomes
            ],
        }

    def render(self) -> str:
        """The report as ``fithub plugin check`` prints it."""
        marks = {"passed": "pass", "failed": "FAIL", "not applicable": "n/a "}
        lines = [f"{self.display_name} ({self.provider})"]
        for tier in TIERS:
            lines.append(f"  {tier}")
            for o in self.outcomes:
                if o.criterion.tier == tier:
                    lines.append(f"    [{marks[o.status]}] {o.criterion.key}: {o.criterion.rule}")
                    lines.append(f"           {o.detail}")
        for o in self.blocking():
            lines.append(f"{o.criterion.tier} not reached: {o.criterion.key} failed: {o.detail}")
        lines.append(f"tier: {self.tier or 'none'}  ({self.seconds:.1f} s)")
        return "\n".join(lines)


async def _judge(criterion: Criterion, run: Run) -> Outcome:
    began = time.monotonic()
    status: Status = "passed"
    try:
        detail = await asyncio.wait_for(criterion.check(run), CHECK_TIMEOUT_S)
    except NotApplicable as exc:
        status, detail = "not applicable", str(exc)
    except AssertionError as exc:
        status, detail = "failed", str(exc) or "an assertion failed"
    except TimeoutError:
        status, detail = "failed", f"took longer than {CHECK_TIMEOUT_S:g} s"
    except Exception as exc:  # whatever the provider leaks is a failure, reported
        status, detail = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        if run.fake is not None:
            run.fake.clear_faults()
            run.fake.refuse_refresh = False
    return Outcome(criterion, status, detail, time.monotonic() - began)


def default_docs(provider: str) -> Path:
    """``docs/providers/<name>.md`` under the working directory, else in fithub's own docs."""
    here = Path.cwd() / "docs" / "providers" / f"{provider}.md"
    if here.is_file():
        return here
    return Path(__file__).resolve().parents[2] / "docs" / "providers" / f"{provider}.md"


async def check_provider(
    cls: type[DeviceProvider],
    vendor: VendorFake,
    *,
    docs: Path | None = None,
    criteria: Sequence[Criterion] = CRITERIA,
) -> QualityReport:
    """Run ``criteria`` on ``cls`` against the fake ``vendor`` describes; never raises for a
    failed criterion (the report says which, and why)."""
    began = time.monotonic()
    page = docs or vendor.docs or default_docs(cls.name)
    fake = vendor.make() if vendor.make is not None else None
    if fake is not None:
        await asyncio.to_thread(fake.start)
    try:
        if fake is not None and vendor.prepare is not None:
            vendor.prepare(fake)
        async with aiohttp.ClientSession() as session:
            run = Run(cls, vendor, fake, session, page)
            outcomes = [await _judge(criterion, run) for criterion in criteria]
    finally:
        if fake is not None:
            await asyncio.to_thread(fake.stop)
    return QualityReport(cls.name, cls.display_name, outcomes, time.monotonic() - began)


async def check_named(name: str, *, docs: Path | None = None) -> QualityReport:
    """Check the installed provider ``name`` (built-in or third-party) against its fake vendor.

    Raises LookupError when no such provider is installed or no fake is registered for it.
    """
    from fithub.plugins.manager import load_plugins
    from fithub.plugins.testing.fakes.registry import ENTRY_POINT_GROUP, find_fake

    providers = load_plugins().components("device_provider")
    if name not in providers:
        known = ", ".join(sorted(providers)) or "none"
        raise LookupError(f"no device provider named {name!r} is installed (installed: {known})")
    vendor = find_fake(name)
    if vendor is None:
        raise LookupError(
            f"no fake vendor is registered for {name!r}: name one in the entry point group "
            f"{ENTRY_POINT_GROUP!r} (docs/plugins.md, 'Quality tiers')"
        )
    return await check_provider(providers[name].cls, vendor, docs=docs)

"""``fithub plugin check NAME``: each built-in reaches the tier its docs page states, and the kit
drops a provider a tier, saying why, when it breaks a rule."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fithub.core.cli import main
from fithub.plugins.errors import ProviderAuthFailed, ProviderError
from fithub.plugins.strava import StravaProvider
from fithub.plugins.testing.fakes.registry import (
    ENTRY_POINT_GROUP,
    VendorFake,
    find_fake,
    register_fake,
    unregister_fake,
)
from fithub.plugins.testing.fakes.strava import FakeStrava
from fithub.plugins.testing.quality import CRITERIA, QualityReport, check_provider
from fithub.plugins.types import DataType, FetchQuery, Page, TokenSet
from fithub.plugins.whoop import WhoopProvider
from tests.support import FITHUB

DOCS = Path(__file__).resolve().parents[3] / "docs" / "providers"
BUILT_INS = ("apple_health", "fitbit", "garmin", "google", "oura", "polar", "strava", "whoop",
             "withings")  # fmt: skip
NOT_APPLICABLE = re.compile(r"^\s+\[n/a \] (\w+):", re.MULTILINE)


def stated(name: str) -> tuple[str, str]:
    """The tier a provider's docs page states, and its Quality tier section."""
    page = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    section = page.split("\n## Quality tier\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"^Tier: \*\*(\w+)\*\*", section, re.MULTILINE)
    assert found, f"docs/providers/{name}.md states no 'Tier: **...**' in its Quality tier section"
    return found.group(1), section


@pytest.mark.parametrize("name", BUILT_INS)
def test_each_built_in_reaches_the_tier_its_docs_page_states(name: str) -> None:
    result = CliRunner().invoke(main, ["plugin", "check", name])
    assert result.exit_code == 0, result.output
    printed = re.search(r"^tier: (\w+)", result.output, re.MULTILINE)
    assert printed, result.output
    tier, section = stated(name)
    assert printed.group(1) == tier, result.output
    # every criterion the vendor cannot offer is named, with its reason, on the page too
    for key in NOT_APPLICABLE.findall(result.output):
        assert f"`{key}`" in section, f"docs/providers/{name}.md does not say why {key} is n/a"


def test_the_fithub_command_checks_a_provider_in_a_process_of_its_own(tmp_path: Path) -> None:
    # Run from elsewhere: the page is found in fithub's own docs.
    done = subprocess.run([*FITHUB, "plugin", "check", "strava", "--json", "--min-tier", "gold"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tier"] == stated("strava")[0] == "gold"
    assert [c["key"] for c in report["criteria"]] == [c.key for c in CRITERIA]
    assert all(c["status"] == "passed" for c in report["criteria"])


def test_an_unknown_provider_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["plugin", "check", "nosuch"])
    assert result.exit_code == 2 and "no device provider named 'nosuch'" in result.output


# -- a broken provider drops a tier, with the reason ---------------------------------------------


def outcome(report: QualityReport, key: str) -> Any:
    return next(o for o in report.outcomes if o.criterion.key == key)


class NoAuthFailedStrava(StravaProvider):
    """Lets a refused refresh (Strava's 400 invalid_grant) out as a plain ProviderError."""

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        try:
            return await super().refresh(tokens)
        except ProviderAuthFailed as exc:
            raise ProviderError(f"refresh failed: {exc}") from exc


class UnlimitedStrava(StravaProvider):
    rate_limits = ()


class SleeplessWhoop(WhoopProvider):
    """Declares sleep but its pages of sleep come back empty."""

    async def fetch_page(self, tokens: TokenSet, query: FetchQuery) -> Page:
        if query.data_type is DataType.SLEEP:
            return Page(items=[])
        return await super().fetch_page(tokens, query)


async def test_a_refused_refresh_that_is_not_provider_auth_failed_loses_every_tier() -> None:
    report = await check_provider(NoAuthFailedStrava, find_fake("strava"))  # type: ignore[arg-type]
    assert report.tier is None
    reauth = outcome(report, "reauth")
    assert reauth.status == "failed"
    assert "a refused refresh: raised ProviderError" in reauth.detail
    assert "expected ProviderAuthFailed" in reauth.detail
    assert outcome(report, "contract").status == "failed"  # the contract checks it too
    assert "bronze not reached: contract failed: a refused refresh" in report.render()


async def test_undeclared_rate_limits_keep_a_provider_at_bronze() -> None:
    report = await check_provider(UnlimitedStrava, find_fake("strava"))  # type: ignore[arg-type]
    assert report.tier == "bronze"
    assert [o.criterion.key for o in report.blocking()] == ["rate_limits"]
    assert "declares no rate_limits" in report.render().splitlines()[-2]


async def test_a_declared_data_type_that_brings_nothing_fails_syncs() -> None:
    report = await check_provider(SleeplessWhoop, find_fake("whoop"))  # type: ignore[arg-type]
    assert report.tier is None
    syncs = outcome(report, "syncs")
    assert syncs.status == "failed" and syncs.detail == "sleep: 0 items gave no SleepSession"


async def test_a_missing_docs_page_or_deletion_push_keeps_a_provider_from_gold(
    tmp_path: Path,
) -> None:
    vendor = VendorFake("strava", FakeStrava, prepare=find_fake("strava").prepare)  # type: ignore[union-attr]
    report = await check_provider(StravaProvider, vendor, docs=tmp_path / "strava.md")
    assert report.tier == "silver"
    assert {o.criterion.key: o.detail for o in report.blocking()} == {
        "docs": f"no documentation page at {tmp_path / 'strava.md'}",
        "deletions": "the vendor pushes but the kit has no deletion push for it (register "
        "VendorFake.deletion, or no_deletions with the reason)",
    }
    (tmp_path / "strava.md").write_text("# Strava\n\n## Settings\n\n## Data types\n")
    report = await check_provider(StravaProvider, vendor, docs=tmp_path / "strava.md",
                                  criteria=[c for c in CRITERIA if c.key == "docs"])  # fmt: skip
    assert outcome(report, "docs").detail == (
        "strava.md lacks the sections: Connecting, Rate limits, Webhooks, Quality tier"
    )


# -- how the check finds a fake ---------------------------------------------------------------------


def test_a_registered_fake_wins_over_the_built_in_one() -> None:
    mine = VendorFake("strava", FakeStrava, no_deletions="not in this test")
    register_fake(mine)
    try:
        assert find_fake("strava") is mine
    finally:
        unregister_fake("strava")
    assert find_fake("strava") is not mine and find_fake("acme") is None


def test_an_entry_point_names_a_third_party_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from fithub.plugins.testing.fakes import registry

    point = EntryPoint("acme", "fithub.plugins.testing.fakes.strava:FakeStrava", ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [point] if group ==
                        ENTRY_POINT_GROUP else [])  # fmt: skip
    found = find_fake("acme")
    assert found is not None and found.provider == "acme" and found.make is FakeStrava
    assert find_fake("nobody") is None

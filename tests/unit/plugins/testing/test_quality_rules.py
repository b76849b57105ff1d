"""The quality tiers' arithmetic: which tier a set of outcomes reaches, and why not the next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fithub.plugins.testing.quality import (
    CRITERIA,
    TIERS,
    Criterion,
    Outcome,
    QualityReport,
    Status,
)
from fithub.plugins.testing.quality_checks import windows


def report(**statuses: Status) -> QualityReport:
    """Every criterion passed, except those named."""
    outcomes = [Outcome(c, statuses.get(c.key, "passed"), f"{c.key} said so") for c in CRITERIA]
    return QualityReport("acme", "Acme", outcomes)


def test_the_rules_name_each_criterion_once_and_every_tier_has_some() -> None:
    keys = [c.key for c in CRITERIA]
    assert len(keys) == len(set(keys))
    assert {c.tier for c in CRITERIA} == set(TIERS)
    assert [c.tier for c in CRITERIA] == sorted((c.tier for c in CRITERIA), key=TIERS.index)
    assert all(isinstance(c, Criterion) and c.rule for c in CRITERIA)


@pytest.mark.parametrize(
    ("statuses", "tier", "blocking"),
    [
        ({}, "gold", []),
        ({"deletions": "not applicable", "connects": "not applicable"}, "gold", []),
        ({"docs": "failed"}, "silver", ["docs"]),
        ({"rate_limits": "failed", "docs": "failed"}, "bronze", ["rate_limits"]),
        ({"syncs": "failed"}, None, ["syncs"]),
        ({"contract": "failed", "reauth": "not applicable"}, None, ["contract"]),
    ],
)  # fmt: skip
def test_a_tier_needs_its_criteria_and_those_below_passed_or_not_applicable(
    statuses: dict[str, Status], tier: str | None, blocking: list[str]
) -> None:
    made = report(**statuses)
    assert made.tier == tier
    assert [o.criterion.key for o in made.blocking()] == blocking
    assert made.render().splitlines()[-1].startswith(f"tier: {tier or 'none'}")
    assert made.as_dict()["tier"] == tier


def test_the_report_shows_each_outcome_under_its_tier_with_the_reason() -> None:
    text = report(webhooks_authenticated="not applicable", backfill="failed").render()
    lines = text.splitlines()
    assert lines[0] == "Acme (acme)"
    assert lines.index("  bronze") < lines.index("  silver") < lines.index("  gold")
    assert any(line.startswith("    [n/a ] webhooks_authenticated:") for line in lines)
    assert "gold not reached: backfill failed: backfill said so" in lines


def test_a_long_window_is_cut_as_fithub_cuts_it() -> None:
    end = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    cut = windows(end - timedelta(days=30), end, timedelta(days=7))
    assert len(cut) == 5 and cut[0][0] == end - timedelta(days=30) and cut[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(cut, cut[1:], strict=False))
    assert all(b - a <= timedelta(days=7) for a, b in cut)
    assert windows(end, end, timedelta(days=1)) == []

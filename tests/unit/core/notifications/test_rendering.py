"""Notification templates render every kind in English and German, escaped, in the person's units and zone."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import UndefinedError

from fithub.core.notifications import rendering
from fithub.core.notifications.kinds import KINDS
from fithub.core.notifications.rendering import (
    CONTEXT_KEYS,
    SUPPORTED_LOCALES,
    TEMPLATES,
    Rendered,
    check_locale,
    render,
    resolve_locale,
)

NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM

#: One documented value per context key: plain JSON, as event payloads carry them.
SAMPLE: dict[str, Any] = {
    "display_name": "Ada",
    "app_url": "https://fithub.example",
    "action_url": "https://fithub.example/act?token=abc&x=1",
    "unsubscribe_url": "https://fithub.example/unsubscribe?t=xyz",
    "exercise_name": "Back squat",
    "kind": "max_weight",
    "value": 100,
    "previous_value": 95,
    "weight_kg": None,
    "title": "Squat 100 kg",
    "target_value": 100,
    "unit": "kg",
    "achieved_at": "2026-03-29T00:30:00+00:00",
    "due_at": "2026-12-08T17:00:00Z",
    "provider": "garmin",
    "failures": 4,
    "since": "2026-12-01T10:00:00Z",
    "trainer_name": "Tom",
    "due_on": "2026-12-08",
    "workouts": 3,
    "volume_kg": 12345.6,
    "records": 1,
    "week_start": "2026-11-30",
    "url": "https://hooks.example/in",
    "expires_at": "2026-12-07T10:00:00Z",
    "new_email": "ada@new.example",
    "occurred_at": "2026-12-07T08:00:00Z",
    "device": "Firefox on Linux",
    "ip_address": "203.0.113.9",
    "rule_name": "Too hard",
    "condition": "above_zone",
    "limit": 4,
    "bpm": 172,
    "zone": 5,
    "duration_s": 60,
    "fired_at": "2026-12-07T08:15:00Z",
}


def full_context(kind: str) -> dict[str, Any]:
    return {key: SAMPLE[key] for key in CONTEXT_KEYS[kind]}


def show(kind: str, context: dict[str, Any], **options: str) -> Rendered:
    settings = {"locale": "en", "timezone": "Europe/Berlin", "unit_system": "metric"} | options
    return render(kind, context, **settings)


def test_every_kind_has_templates_and_a_documented_context() -> None:
    assert set(CONTEXT_KEYS) == set(KINDS)
    assert set(rendering._OWN_KEYS) == set(KINDS), "document each kind's context in _OWN_KEYS"
    for kind in KINDS:
        for part in ("title", "txt", "html"):
            assert (TEMPLATES / f"{kind}.{part}.j2").is_file(), (kind, part)
        assert set(CONTEXT_KEYS[kind]) <= set(SAMPLE), kind


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_with_its_full_context(kind: str, locale: str) -> None:
    # strict: a key the templates read but CONTEXT_KEYS does not document is an error
    rendered = render(
        kind, full_context(kind), locale=locale, timezone="Europe/Berlin", unit_system="metric",
        strict=True,
    )  # fmt: skip
    assert (
        rendered.title and "\n" not in rendered.title and rendered.title == rendered.title.strip()
    )
    assert rendered.text.startswith("Hallo Ada," if locale == "de" else "Hi Ada,")
    assert "{{" not in rendered.text and "%(" not in rendered.text and "\n\n\n" not in rendered.text
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{locale}">' in rendered.html
    assert "%(" not in rendered.html
    if "action_url" in CONTEXT_KEYS[kind]:
        assert "https://fithub.example/act?token=abc&x=1" in rendered.text
        assert 'href="https://fithub.example/act?token=abc&amp;x=1"' in rendered.html
    if "unsubscribe_url" in CONTEXT_KEYS[kind]:
        assert "https://fithub.example/unsubscribe?t=xyz" in rendered.text


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_german_differs_from_english(kind: str) -> None:
    english = show(kind, full_context(kind))
    german = show(kind, full_context(kind), locale="de")
    assert german.title != english.title
    assert german.text != english.text
    assert "Dein fithub-Team" in german.text and "Your fithub team" not in german.text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_missing_values_render_as_nothing(kind: str, locale: str) -> None:
    rendered = show(kind, {}, locale=locale)
    assert rendered.title
    assert rendered.text.startswith("Hallo," if locale == "de" else "Hi,")
    assert "None" not in rendered.text and "Undefined" not in rendered.text


def test_null_values_from_a_payload_render_as_nothing() -> None:
    context = full_context("record.achieved") | {"exercise_name": None, "previous_value": None}
    text = show("record.achieved", context).text
    assert "You set a new personal record: heaviest weight, 100 kg." in text
    assert "previous" not in text and "None" not in text


def test_html_escapes_what_people_typed_and_text_keeps_it() -> None:
    evil = "<script>alert(1)</script>"
    context = full_context("assignment.created") | {
        "display_name": evil,
        "trainer_name": '"><img src=x onerror=alert(1)>',
        "title": "Legs & <b>core</b>",
    }
    rendered = show("assignment.created", context)
    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;," in rendered.html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in rendered.html
    assert "Legs &amp; &lt;b&gt;core&lt;/b&gt;" in rendered.html
    assert (
        "<title>New workout from your trainer: Legs &amp; &lt;b&gt;core&lt;/b&gt;</title>"
        in rendered.html
    )
    assert f"Hi {evil}," in rendered.text
    assert rendered.title == "New workout from your trainer: Legs & <b>core</b>"


@pytest.mark.parametrize(
    ("record", "metric", "imperial"),
    [
        ({"kind": "max_weight", "value": 100}, "100 kg", "220.5 lb"),
        ({"kind": "best_e1rm", "value": 142.5}, "142.5 kg", "314.2 lb"),
        (
            {"kind": "max_reps_at_weight", "value": 12, "weight_kg": 60},
            "12 repetitions at 60 kg",
            "12 repetitions at 132.3 lb",
        ),
        (
            {"kind": "max_reps_at_weight", "value": 1, "weight_kg": 60},
            "1 repetition at 60 kg",
            "1 repetition at 132.3 lb",
        ),
        ({"kind": "longest_distance", "value": 21097.5}, "21.1 km", "13.11 mi"),
        ({"kind": "longest_duration", "value": 3900}, "1:05:00", "1:05:00"),
        ({"kind": "fastest_pace", "value": 300}, "5:00 /km", "8:03 /mi"),
    ],
)
def test_records_in_the_persons_units(record: dict[str, Any], metric: str, imperial: str) -> None:
    context = {"exercise_name": "Run"} | record
    assert f", {metric}." in show("record.achieved", context, unit_system="metric").text
    assert f", {imperial}." in show("record.achieved", context, unit_system="imperial").text


def test_units_follow_the_locale_too() -> None:
    context = {"kind": "max_weight", "value": 100, "exercise_name": "Kniebeuge"}
    assert (
        "höchstes Gewicht, 220,5 lb."
        in show("record.achieved", context, locale="de", unit_system="imperial").text
    )
    weekly = {"workouts": 3, "volume_kg": 12345.6, "records": 1}
    assert "12.345,6 kg" in show("summary.weekly", weekly, locale="de").text
    assert "12,345.6 kg" in show("summary.weekly", weekly).text
    assert "27,217.4 lb" in show("summary.weekly", weekly, unit_system="imperial").text


@pytest.mark.parametrize(
    ("target", "unit", "metric", "imperial"),
    [
        (5000, "m", "5 km", "3.11 mi"),
        (80, "kg", "80 kg", "176.4 lb"),
        (80, "cm", "80 cm", "31.5 in"),
        (30, "days", "30 days", "30 days"),
        (1, "days", "1 day", "1 day"),
        (500, "kcal", "500 kcal", "500 kcal"),
    ],
)
def test_goal_targets_in_the_persons_units(
    target: float, unit: str, metric: str, imperial: str
) -> None:
    context = {"target_value": target, "unit": unit}
    assert f"Target: {metric}\n" in show("goal.achieved", context, unit_system="metric").text
    assert f"Target: {imperial}\n" in show("goal.achieved", context, unit_system="imperial").text


def test_plurals_in_german() -> None:
    one = show("summary.weekly", {"workouts": 1, "records": 1}, locale="de").text
    many = show("summary.weekly", {"workouts": 3, "records": 2}, locale="de").text
    assert "1 Training abgeschlossen" in one and "1 neue Bestleistung\n" in one
    assert "3 Trainings abgeschlossen" in many and "2 neue Bestleistungen" in many
    assert (
        "30 Tage" in show("goal.achieved", {"target_value": 30, "unit": "days"}, locale="de").text
    )


@pytest.mark.parametrize(
    ("zone", "locale", "expected"),
    [
        ("Europe/Berlin", "en", f"Mar 29, 2026, 1:30{NNBSP}AM"),  # CET, before the change at 02:00
        ("America/New_York", "en", f"Mar 28, 2026, 8:30{NNBSP}PM"),  # the evening before
        ("Europe/Berlin", "de", "29.03.2026, 01:30"),
        ("Asia/Kolkata", "de", "29.03.2026, 06:00"),
    ],
)
def test_instants_in_the_persons_zone(zone: str, locale: str, expected: str) -> None:
    context = {"achieved_at": "2026-03-29T00:30:00+00:00"}
    german = locale == "de"
    text = show("goal.achieved", context, timezone=zone, locale=locale).text
    assert f"{'Erreicht am' if german else 'Reached on'} {expected}\n" in text


def test_a_naive_instant_is_utc() -> None:
    text = show(
        "goal.achieved", {"achieved_at": "2026-03-29T00:30:00"}, timezone="America/New_York"
    ).text
    assert f"Reached on Mar 28, 2026, 8:30{NNBSP}PM" in text


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles"])
def test_a_calendar_day_is_not_shifted_by_the_zone(zone: str) -> None:
    text = show("assignment.missed", {"due_on": "2026-12-08", "title": "Legs"}, timezone=zone).text
    assert "was due on Dec 8, 2026 and" in text


@pytest.mark.parametrize(
    ("locale", "greeting"),
    [("de", "Hallo"), ("de-AT", "Hallo"), ("de_DE", "Hallo"), ("DE-ch", "Hallo"), ("en", "Hi"),
     ("en-GB", "Hi"), ("fr", "Hi"), ("pt_BR", "Hi"), ("", "Hi"), ("not a locale!", "Hi")],
)  # fmt: skip
def test_locale_falls_back_to_its_language_then_english(locale: str, greeting: str) -> None:
    assert show("security.password_changed", {}, locale=locale).text.startswith(f"{greeting},")


def test_check_locale() -> None:
    assert [check_locale(tag) for tag in ("en", "EN", "de-AT", "de_DE", "en-US")] == [
        "en", "en", "de", "de", "en",
    ]  # fmt: skip
    for bad in ("fr", "pt_BR", "", "no!", "x" * 40):
        with pytest.raises(ValueError):
            check_locale(bad)
    assert resolve_locale("fr") == "en" and resolve_locale(None) == "en"


def test_unknown_kind_zone_or_unit_system_is_refused() -> None:
    with pytest.raises(KeyError):
        show("no.such_kind", {})
    with pytest.raises(ValueError):
        show("summary.weekly", {}, unit_system="furlongs")
    with pytest.raises(Exception, match="No time zone found"):
        show("summary.weekly", {}, timezone="Mars/Olympus_Mons")


def test_strict_rendering_catches_an_undocumented_key() -> None:
    context = full_context("record.achieved")
    del context["exercise_name"]
    with pytest.raises(Exception, match="exercise_name"):
        render(
            "record.achieved",
            context,
            locale="en",
            timezone="UTC",
            unit_system="metric",
            strict=True,
        )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_context_keys_are_exactly_what_the_templates_read(kind: str) -> None:
    """Drop any documented key (but the optional unsubscribe link): strict rendering notices."""
    for key in CONTEXT_KEYS[kind]:
        if key == "unsubscribe_url":
            continue
        context = full_context(kind)
        del context[key]
        with pytest.raises(UndefinedError, match=key):
            render(kind, context, locale="de", timezone="UTC", unit_system="metric", strict=True)

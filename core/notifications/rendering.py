"""Render a notification from its kind's templates in the person's language, zone and units.

Each kind in :data:`~fithub.core.notifications.kinds.KINDS` has three Jinja2 templates in
``templates/``: ``<kind>.title.j2`` (one line), ``<kind>.txt.j2`` (plain text, not escaped) and
``<kind>.html.j2`` (extends ``_base.html.j2``, autoescaped). Strings are English in the
templates and translated through the ``jinja2.ext.i18n`` extension from the Babel catalogs in
``locale/<lang>/LC_MESSAGES/messages.{po,mo}`` (:mod:`.catalogs` checks and compiles them).
Values come from event payloads as plain JSON; the filters of :mod:`.formatting` show them in
the person's locale, time zone and unit system. A missing key renders as nothing, never an error.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.core import parse_locale
from babel.support import Translations
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, StrictUndefined, Undefined

from fithub.core.notifications.formatting import FILTERS, FORMAT_KEY, Format
from fithub.core.notifications.kinds import KINDS

TEMPLATES = Path(__file__).with_name("templates")
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "de")
DEFAULT_LOCALE = "en"

#: Keys every kind's templates read: the greeting's name, the app's address and the link the
#: message leads to (verify, reset, confirm, the workout...), shown as its button.
COMMON_KEYS: tuple[str, ...] = ("display_name", "app_url", "action_url")
#: ...and the kinds a person may switch off also link to the one-click unsubscribe page.
UNSUBSCRIBE_KEYS: tuple[str, ...] = ("unsubscribe_url",)

#: Kinds mailed to someone who has no subscription to leave (an invitation to a new address).
NOT_UNSUBSCRIBABLE: frozenset[str] = frozenset({"coaching.invited_by_email"})

_RECORD = ("exercise_name", "kind", "value", "weight_kg")
_OWN_KEYS: dict[str, tuple[str, ...]] = {
    # record kind (RecordKind value), value and previous_value in stored units (kg, m, s, s/km,
    # reps); weight_kg is the weight of a max_reps_at_weight record
    "record.achieved": (*_RECORD, "previous_value"),
    "record.within_reach": _RECORD,  # the record standing, which recent sessions come close to
    # title of the goal, target_value in the stored unit (kg, m, cm, reps, days, kcal...),
    # achieved_at an ISO 8601 instant
    "goal.achieved": ("title", "target_value", "unit", "achieved_at"),
    "workout.reminder_due": ("title", "due_at"),  # due_at: ISO 8601 instant
    "connection.reauth_required": ("provider",),
    # failures in a row, since: the last successful sync (ISO 8601 instant)
    "sync.failing": ("provider", "failures", "since"),
    "coaching.invited": ("trainer_name",),
    "coaching.invited_by_email": ("trainer_name",),  # to an address without an account yet
    "assignment.created": ("trainer_name", "title", "due_on"),  # due_on: a day
    "assignment.missed": ("title", "due_on"),
    # workouts and records counted, volume_kg lifted, in the week starting week_start (a day)
    "summary.weekly": ("workouts", "volume_kg", "records", "week_start"),
    "webhook.disabled": ("url",),  # url: the endpoint that was switched off
    # a live alert rule fired: its name, condition (TelemetryAlertRule), limit (the rule's zone or
    # bpm), the rate and zone when it fired, how long it held (s), fired_at an ISO 8601 instant
    "telemetry.alert": ("rule_name", "condition", "limit", "bpm", "zone", "duration_s", "fired_at"),
    "account.verify_email": (),
    "account.signup_attempt": (),  # action_url: a password reset link
    "account.password_reset": ("expires_at",),  # expires_at: ISO 8601 instant
    "account.email_change": ("new_email",),
    "security.email_changed": ("new_email", "occurred_at"),
    "security.new_sign_in": ("occurred_at", "device", "ip_address"),
    "security.password_changed": ("occurred_at",),
}

#: The context each kind's templates use (all optional: a missing key renders as nothing).
CONTEXT_KEYS: dict[str, tuple[str, ...]] = {
    name: COMMON_KEYS
    + _OWN_KEYS.get(name, ())
    + (() if KINDS[name].urgent or name in NOT_UNSUBSCRIBABLE else UNSUBSCRIBE_KEYS)
    for name in KINDS
}

_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Rendered:
    """A rendered notification: a one-line title, a plain-text body and an HTML body."""

    title: str
    text: str
    html: str


def check_locale(value: str) -> str:
    """The supported language of a locale tag (``de-AT``, ``de_DE`` -> ``de``); ValueError else."""
    try:
        language = parse_locale(value.strip().replace("-", "_"))[0].lower()
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not a locale: {value!r}") from exc
    if language not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {value!r}; supported: {', '.join(SUPPORTED_LOCALES)}")
    return language


def resolve_locale(value: str | None) -> str:
    """The language to render in: the supported language of ``value``, else English."""
    try:
        return check_locale(value) if value else DEFAULT_LOCALE
    except ValueError:
        return DEFAULT_LOCALE


def catalog_path(locale: str, suffix: str = ".mo") -> Path:
    """Where the compiled (``.mo``) or source (``.po``) catalog of ``locale`` lives."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The gettext translations of a supported language (none for English, the source)."""
    if locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    with catalog_path(check_locale(locale)).open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


@cache
def environment(locale: str, *, html: bool, strict: bool = False) -> Environment:
    """The Jinja2 environment for one language; autoescaping for HTML only.

    ``strict`` (tests) makes a missing context key an error instead of an empty value.
    """
    undefined: type[Undefined] = StrictUndefined if strict else ChainableUndefined
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=undefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.policies["ext.i18n.trimmed"] = True  # catalogs hold trans blocks with whitespace folded
    env.filters.update(FILTERS)
    if strict:  # `default` then stands in for null and empty values only, not for missing keys
        env.filters["default"] = _strict_default
    # added by the i18n extension, unknown to the type checker
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


def _strict_default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    if isinstance(value, Undefined):
        str(value)  # raises: the key is missing from the context
    return default_value if value is None or (boolean and not value) else value


def render(
    kind: str,
    context: Mapping[str, Any],
    *,
    locale: str,
    timezone: str,
    unit_system: str,
    strict: bool = False,
    html: bool = True,
) -> Rendered:
    """Render ``kind`` with ``context`` (plain JSON values) for one person.

    ``locale`` falls back to its language, then English; ``timezone`` is an IANA zone and
    ``unit_system`` ``metric`` or ``imperial``. KeyError for an unknown kind, ValueError for an
    unknown unit system, ``zoneinfo.ZoneInfoNotFoundError`` for an unknown zone. ``html=False``
    skips the HTML body (``""``): the inbox stores only the title and text.
    """
    if kind not in KINDS:
        raise KeyError(f"unknown notification kind {kind!r}")
    language = resolve_locale(locale)
    values = dict(context)
    values[FORMAT_KEY] = Format.of(language, timezone, unit_system)
    text_env = environment(language, html=False, strict=strict)
    title = " ".join(text_env.get_template(f"{kind}.title.j2").render(values).split())
    text = text_env.get_template(f"{kind}.txt.j2").render(values)
    text = "\n".join(line.strip() for line in text.strip().splitlines())
    body = ""
    if html:
        html_env = environment(language, html=True, strict=strict)
        body = html_env.get_template(f"{kind}.html.j2").render(
            values, message_title=title, message_lang=language
        )
    return Rendered(title=title, text=_BLANK_LINES.sub("\n\n", text) + "\n", html=body)

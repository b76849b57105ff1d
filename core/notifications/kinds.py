"""The catalogue of notification kinds: what each one is about, whether it is urgent, where it goes.

A kind is named like the domain event that causes it (``record.achieved``). Account mails
(``account.*``, ``security.*``) are not caused by events but sent by the account service through
:mod:`fithub.core.accounts.mail`; they are *urgent*: quiet hours do not hold them and preferences
cannot switch their e-mail off. Each kind has templates ``templates/<kind>.{title,txt,html}.j2``
(``core/notifications/rendering.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Channels a person can receive on (an outbound webhook is an app builder's, not a person's).
PERSONAL_CHANNELS: tuple[str, ...] = ("inapp", "email", "push", "sms")


@dataclass(frozen=True)
class Kind:
    """One kind of notification."""

    name: str
    description: str
    defaults: tuple[str, ...]  # channels on unless the person turns them off
    urgent: bool = False  # skips quiet hours; e-mail cannot be switched off
    reminder: bool = False  # waits for the end of quiet hours
    inbox: bool = True  # kept in the in-app inbox (account mails are not)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("record.achieved", "You set a personal record.", ("inapp", "push")),
        Kind("record.within_reach", "A personal record is within reach.", ("inapp",)),
        Kind("goal.achieved", "You reached a goal.", ("inapp", "push", "email")),
        Kind("workout.reminder_due", "A planned workout is due.", ("inapp", "push"), reminder=True),
        Kind(
            "connection.reauth_required",
            "A device connection needs you to sign in again.",
            ("inapp", "email"),
        ),
        Kind("sync.failing", "A device keeps failing to sync.", ("inapp", "email")),
        Kind("coaching.invited", "A trainer invited you.", ("inapp", "email")),
        Kind(
            "coaching.invited_by_email",
            "Your invitation, mailed to someone without an account yet.",
            ("email",),
            inbox=False,
        ),
        Kind("assignment.created", "Your trainer assigned you a workout.", ("inapp", "push")),
        Kind("assignment.missed", "An assigned workout was missed.", ("inapp",)),
        Kind("summary.weekly", "Your week in training.", ("email",), reminder=True),
        Kind(
            "telemetry.alert",
            "A live heart-rate alert of yours fired during a workout.",
            ("inapp", "push"),
        ),
        Kind(
            "webhook.disabled",
            "A webhook endpoint of yours was disabled after failing for days.",
            ("inapp", "email"),
        ),
        Kind(
            "account.verify_email",
            "Confirm your e-mail address.",
            ("email",),
            urgent=True,
            inbox=False,
        ),
        Kind(
            "account.signup_attempt",
            "Someone tried to sign up with your address.",
            ("email",),
            urgent=True,
            inbox=False,
        ),
        Kind(
            "account.password_reset",
            "Reset your password.",
            ("email",),
            urgent=True,
            inbox=False,
        ),
        Kind(
            "account.email_change",
            "Confirm your new e-mail address.",
            ("email",),
            urgent=True,
            inbox=False,
        ),
        Kind(
            "security.email_changed",
            "Your e-mail address was changed.",
            ("email",),
            urgent=True,
            inbox=False,
        ),
        Kind(
            "security.new_sign_in",
            "A new sign-in to your account.",
            ("email", "inapp"),
            urgent=True,
        ),
        Kind(
            "security.password_changed",
            "Your password was changed.",
            ("email", "inapp"),
            urgent=True,
        ),
    )
}


def kind(name: str) -> Kind:
    """The kind called ``name``; KeyError when there is none."""
    return KINDS[name]

"""Checking the addresses people give for channels: phone numbers (E.164, libphonenumber).

Part of the plugin API so that core (validating what a person enters, with a 422) and notifiers
(refusing what they cannot send to) apply one rule. Webhook URLs are checked by
:func:`fithub.plugins.outbound.check_url`.
"""

from __future__ import annotations

import re

import phonenumbers

_PHONE_CHARS = re.compile(r"\+[0-9 ().\-]{1,31}")


def check_phone_number(value: str) -> str:
    """The E.164 form of ``value``, a phone number in international format (``+`` country code).

    Spaces, dots, hyphens and parentheses are allowed between the digits. Raises ``ValueError``
    with a message fit for a 422 (it does not repeat the value) when the number is not in
    international format or is not a valid number for its country (libphonenumber's metadata).
    """
    text = value.strip()
    if not text.startswith("+"):
        raise ValueError(
            "a phone number must be in international format (E.164): a +, the country code, "
            "then the number"
        )
    if not _PHONE_CHARS.fullmatch(text):
        raise ValueError(
            "a phone number may hold only digits after the +, with spaces, dots, hyphens or "
            "parentheses between them (at most 32 characters)"
        )
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValueError("this is not a phone number in international format (E.164)") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("this is not a valid phone number for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

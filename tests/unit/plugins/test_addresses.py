"""check_phone_number: E.164 out, a clear ValueError (that does not repeat the value) otherwise."""

from __future__ import annotations

import pytest

from fithub.plugins.addresses import check_phone_number


@pytest.mark.parametrize(
    ("value", "e164"),
    [
        ("+14155552671", "+14155552671"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("  +33 6 12 34 56 78 ", "+33612345678"),
        ("+44 20 7183 8750", "+442071838750"),
        ("+49.151.1234.5678", "+4915112345678"),
        ("+61 491 570 156", "+61491570156"),
    ],
)
def test_a_number_in_international_format_comes_back_in_e164(value: str, e164: str) -> None:
    assert check_phone_number(value) == e164


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "international format"),
        ("4155552671", r"international format \(E\.164\): a \+, the country code"),
        ("00 44 20 7183 8750", "international format"),
        ("+1 800 FLOWERS", "only digits"),
        ("+1 415 555 2671 ext. 12", "only digits"),
        ("+14155552671;ext=12", "only digits"),
        ("+" + "1" * 40, "at most 32 characters"),
        ("+", "only digits"),
        ("+1", "not a phone number"),
        ("+999 1234 5678", "not a phone number"),
        ("+447700900123", "not a valid phone number for its country code"),
        ("+1 415 555 26711", "not a valid phone number for its country code"),
        ("+33 6 12", "not a valid phone number for its country code"),
    ],
)
def test_anything_else_is_refused_with_a_clear_message(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        check_phone_number(value)
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) > 3:
        assert digits not in str(caught.value)  # the number is personal data: not echoed

"""Retail barcodes: EAN-13, UPC-A and EAN-8 read into one GTIN-13 with its check digit verified.

fithub calls :func:`normalise_barcode` before a nutrition source sees a barcode, so a source only
ever receives 13 digits whose GS1 check digit is right.
"""

from __future__ import annotations

import re

_IGNORED = re.compile(r"[\s\-]+")


class InvalidBarcode(ValueError):
    """The text is not an EAN-13, UPC-A or EAN-8 barcode, or its check digit is wrong."""


def check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit of ``payload`` (the digits before the check digit).

    From the right, digits are weighted 3, 1, 3, ...; the check digit brings the sum up to a
    multiple of ten.
    """
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


def normalise_barcode(code: str) -> str:
    """``code`` as a GTIN-13: spaces and hyphens dropped, a 12-digit UPC-A or an 8-digit EAN-8
    padded with leading zeros, the check digit verified.

    Raises :class:`InvalidBarcode` naming what is wrong (length, characters, or the expected and
    given check digits).
    """
    digits = _IGNORED.sub("", code)
    if not digits:
        raise InvalidBarcode("barcode is empty")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidBarcode(
            f"barcode {code!r} must contain only digits (spaces and hyphens allowed)"
        )
    if len(digits) not in (8, 12, 13):
        raise InvalidBarcode(
            f"barcode {digits} has {len(digits)} digits; expected 13 (EAN-13), 12 (UPC-A) or 8 (EAN-8)"
        )
    expected = check_digit(digits[:-1])
    given = int(digits[-1])
    if expected != given:
        raise InvalidBarcode(
            f"barcode {digits} has check digit {given}, expected {expected} (GS1 mod 10)"
        )
    return digits.zfill(13)

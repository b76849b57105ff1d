"""Barcodes read into GTIN-13: real EAN-13, UPC-A and EAN-8 codes, and each kind of refusal."""

from __future__ import annotations

import pytest

from fithub.plugins.barcodes import InvalidBarcode, check_digit, normalise_barcode


@pytest.mark.parametrize(
    ("code", "gtin"),
    [
        # Nutella 400 g. Payload 301762042200 read from the right with weights 3,1,3,...:
        # 0*3+0+2*3+2+4*3+0+2*3+6+7*3+1+0*3+3 = 57 -> check (10 - 7) % 10 = 3.
        ("3017620422003", "3017620422003"),
        # Wikipedia's EAN-13 example: 3*3+9+3*3+3+3*3+1+8*3+3+6*3+0+0*3+4 = 89 -> check 1.
        ("4006381333931", "4006381333931"),
        # UPC-A (a US product): 5*3+4+1*3+9+2*3+0+0*3+0+6*3+3+0*3 = 58 -> check 2; one leading 0.
        ("036000291452", "0036000291452"),
        # EAN-8: 7*3+0+5*3+8+3*3+6+9*3 = 86 -> check 4; five leading zeros.
        ("96385074", "0000096385074"),
        # spaces and hyphens as printed under the bars are dropped
        (" 3 017620 422003 ", "3017620422003"),
        ("0-36000-29145-2", "0036000291452"),
    ],
)
def test_real_barcodes_become_gtin13(code: str, gtin: str) -> None:
    assert normalise_barcode(code) == gtin


def test_check_digit_of_a_payload() -> None:
    assert check_digit("301762042200") == 3
    assert check_digit("03600029145") == 2
    # all zeros sum to 0: the check digit is 0, not 10
    assert check_digit("000000000000") == 0


@pytest.mark.parametrize(
    ("code", "given", "expected"),
    [("3017620422004", 4, 3), ("036000291451", 1, 2), ("96385075", 5, 4)],
)
def test_a_wrong_check_digit_names_expected_and_given(code: str, given: int, expected: int) -> None:
    with pytest.raises(InvalidBarcode) as caught:
        normalise_barcode(code)
    assert f"check digit {given}, expected {expected}" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("30176204220O3", "only digits"),
        ("３０１７６２０４２２００３", "only digits"),  # full-width digits are not ASCII digits
        ("12345", "has 5 digits"),
        ("30176204220031", "has 14 digits"),
    ],
)
def test_other_refusals(code: str, words: str) -> None:
    with pytest.raises(InvalidBarcode, match=words):
        normalise_barcode(code)


def test_invalid_barcode_is_a_value_error() -> None:
    assert issubclass(InvalidBarcode, ValueError)

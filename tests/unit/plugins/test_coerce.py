"""The shared field readers of fithub.plugins.coerce: each one's accepted values and refusals."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from fithub.plugins import coerce
from fithub.plugins.coerce import (
    date_field,
    datetime_field,
    epoch_field,
    id_field,
    int_field,
    iso_datetime,
    list_field,
    number_field,
    object_field,
    required_number,
    scaled_field,
    text_field,
)


def test_the_module_is_part_of_the_public_plugin_api() -> None:
    import fithub.plugins

    assert fithub.plugins.coerce is coerce
    assert "coerce" in fithub.plugins.__all__
    assert all(callable(getattr(coerce, name)) for name in coerce.__all__ if name != "Item")


# -- text ------------------------------------------------------------------------------------------


def test_text_returns_the_string_as_written() -> None:
    assert text_field({"name": " Run "}, "name") == " Run "


@pytest.mark.parametrize("value", [None, "", 12, True, ["a"], {"a": 1}])
def test_text_refuses_absent_empty_and_non_strings(value: object) -> None:
    item = {} if value is None else {"name": value}
    with pytest.raises(ValueError, match="name is missing or not text"):
        text_field(item, "name")


# -- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(12, 12.0), (0, 0.0), (-3.5, -3.5), (1e3, 1000.0)])
def test_number_reads_json_numbers_as_floats(value: object, expected: float) -> None:
    found = number_field({"n": value}, "n")
    assert found == expected and isinstance(found, float)


def test_number_is_none_when_absent_or_null() -> None:
    assert number_field({}, "n") is None
    assert number_field({"n": None}, "n") is None


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_a_number(value: bool) -> None:
    with pytest.raises(ValueError, match="n is not a number"):
        number_field({"n": value}, "n")
    with pytest.raises(ValueError, match="n is not a number"):
        number_field({"n": value}, "n", numeric_text=True)


@pytest.mark.parametrize("value", ["12", "", [1], {"v": 1}])
def test_text_and_containers_are_not_numbers_by_default(value: object) -> None:
    with pytest.raises(ValueError, match="n is not a number"):
        number_field({"n": value}, "n")


def test_numeric_text_reads_numbers_written_as_strings() -> None:
    assert number_field({"n": "8123"}, "n", numeric_text=True) == 8123.0
    assert number_field({"n": "-0.25"}, "n", numeric_text=True) == -0.25
    assert number_field({"n": 7}, "n", numeric_text=True) == 7.0


@pytest.mark.parametrize("value", ["", "12 steps", "0x10"])
def test_numeric_text_refuses_text_that_is_no_number(value: str) -> None:
    with pytest.raises(ValueError, match=r"n is not a number: '"):
        number_field({"n": value}, "n", numeric_text=True)


def test_numeric_text_still_refuses_containers() -> None:
    with pytest.raises(ValueError, match="n is not a number$"):
        number_field({"n": [1]}, "n", numeric_text=True)


def test_non_finite_numbers_are_passed_on_as_written() -> None:
    # Python's JSON decoder yields NaN and infinities; the readers leave the verdict to the caller.
    assert math.isnan(number_field({"n": float("nan")}, "n") or 0.0)
    assert number_field({"n": float("inf")}, "n") == math.inf
    assert number_field({"n": "-inf"}, "n", numeric_text=True) == -math.inf


def test_required_number_refuses_an_absent_value() -> None:
    assert required_number({"n": 4}, "n") == 4.0
    assert required_number({"n": "4"}, "n", numeric_text=True) == 4.0
    with pytest.raises(ValueError, match="n is missing"):
        required_number({}, "n")
    with pytest.raises(ValueError, match="n is missing"):
        required_number({"n": None}, "n")
    with pytest.raises(ValueError, match="n is not a number"):
        required_number({"n": False}, "n")


def test_int_truncates_towards_zero() -> None:
    assert int_field({"n": 12.9}, "n") == 12
    assert int_field({"n": -12.9}, "n") == -12
    assert int_field({"n": "42"}, "n", numeric_text=True) == 42
    assert int_field({}, "n") is None


def test_int_refuses_what_number_refuses() -> None:
    with pytest.raises(ValueError, match="n is not a number"):
        int_field({"n": True}, "n")
    with pytest.raises(ValueError, match="n is not a number"):
        int_field({"n": "42"}, "n")


def test_scaled_multiplies_then_divides() -> None:
    assert scaled_field({"m": 1.5}, "m", times=60) == 90.0
    assert scaled_field({"ms": 1234}, "ms", per=1000) == 1234 / 1000  # exactly the division
    assert scaled_field({"kj": 418.4}, "kj", per=4.184) == 418.4 / 4.184
    assert scaled_field({}, "ms", per=1000) is None
    with pytest.raises(ValueError, match="ms is not a number"):
        scaled_field({"ms": "5"}, "ms", per=1000)


# -- ids -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(123, "123"), (0, "0"), ("a-b", "a-b")])
def test_an_id_is_text_or_an_integer(value: object, expected: str) -> None:
    assert id_field({"id": value}, "id") == expected


@pytest.mark.parametrize("value", [None, "", True, 1.5, ["1"]])
def test_an_id_is_not_empty_a_bool_a_float_or_a_list(value: object) -> None:
    item = {} if value is None else {"id": value}
    with pytest.raises(ValueError, match="id is missing or not an id"):
        id_field(item, "id")


# -- times -----------------------------------------------------------------------------------------


def test_iso_datetime_keeps_the_written_offset() -> None:
    found = iso_datetime("2024-03-05T08:00:00+02:00", ZoneInfo("America/New_York"))
    assert found.utcoffset() == timedelta(hours=2)
    assert found == datetime(2024, 3, 5, 6, tzinfo=UTC)


def test_iso_datetime_reads_z_as_utc() -> None:
    found = iso_datetime("2024-03-05T08:00:00.5Z")
    assert found == datetime(2024, 3, 5, 8, 0, 0, 500000, tzinfo=UTC)
    assert found.utcoffset() == timedelta(0)


def test_a_time_without_offset_is_local_to_the_zone_given() -> None:
    assert iso_datetime("2024-03-05T08:00:00").tzinfo is UTC
    berlin = ZoneInfo("Europe/Berlin")
    found = iso_datetime("2024-07-01T08:00:00", berlin)
    assert found.tzinfo is berlin and found == datetime(2024, 7, 1, 6, tzinfo=UTC)


def test_iso_datetime_refuses_what_is_no_time() -> None:
    with pytest.raises(ValueError):
        iso_datetime("yesterday")


def test_datetime_field_reads_the_key_and_names_it_when_missing() -> None:
    fixed = timezone(timedelta(hours=-5))
    assert datetime_field({"t": "2024-01-02T03:04:05"}, "t", fixed) == datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=fixed
    )
    with pytest.raises(ValueError, match="t is missing or not text"):
        datetime_field({"t": 1704164645}, "t")


def test_epoch_field_is_an_aware_instant_in_the_zone_given() -> None:
    found = epoch_field({"ts": 1704067200}, "ts")
    assert found == datetime(2024, 1, 1, tzinfo=UTC) and found.tzinfo is UTC
    plus_one = timezone(timedelta(hours=1))
    local = epoch_field({"ts": 1704067200.5}, "ts", plus_one)
    assert local.tzinfo is plus_one and local.hour == 1 and local.microsecond == 500000


@pytest.mark.parametrize(
    ("item", "message"), [({}, "ts is missing"), ({"ts": "1"}, "not a number")]
)
def test_epoch_field_refuses_absent_and_non_numbers(item: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        epoch_field(item, "ts")


def test_date_field_reads_an_iso_date() -> None:
    assert date_field({"day": "2024-02-29"}, "day") == date(2024, 2, 29)
    with pytest.raises(ValueError, match="day is missing or not text"):
        date_field({"day": 20240229}, "day")
    with pytest.raises(ValueError):
        date_field({"day": "2023-02-29"}, "day")


def test_object_field_reads_an_object_or_nothing() -> None:
    assert object_field({"m": {"a": 1}}, "m") == {"a": 1}
    assert object_field({"m": None}, "m") is None and object_field({}, "m") is None
    with pytest.raises(ValueError, match="m is not an object"):
        object_field({"m": [1]}, "m")


def test_list_field_reads_a_list_or_nothing() -> None:
    assert list_field({"xs": [1, {"a": 2}]}, "xs") == [1, {"a": 2}]
    assert list_field({"xs": None}, "xs") is None and list_field({}, "xs") is None
    with pytest.raises(ValueError, match="xs is not a list"):
        list_field({"xs": {"a": 1}}, "xs")

"""The orjson encoder writes what pydantic (the encoder before it) wrote, sorted, only faster."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_core import to_json, to_jsonable_python

from fithub.core.json_io import dumps


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Inner(BaseModel):
    at: datetime
    level: Level


CASES: list[Any] = [
    {"utc": datetime(2026, 5, 4, 8, 0, 1, tzinfo=UTC)},
    {"micro": datetime(2026, 5, 4, 8, 0, 1, 123456, tzinfo=UTC)},
    {"offset": datetime(2026, 5, 4, 8, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))},
    {"naive": datetime(2026, 5, 4, 8, 0)},
    {"day": date(2026, 2, 28), "clock": time(6, 30)},
    {"enum": Colour.RED, "int_enum": Level.HIGH},
    {"floats": [0.1, 1.5, -2.25, 1e-7, 123456.789], "none": None, "flag": True},
    {"text": "Crème brûlée 🍮", "escape": 'quote " back \\ newline \n'},
    {"nested": {"b": [1, {"z": 1, "a": 2}], "a": []}},
]


@pytest.mark.parametrize("value", CASES)
def test_the_body_reads_as_pydantic_wrote_it(value: Any) -> None:
    assert json.loads(dumps(value)) == json.loads(to_json(value))


def test_keys_are_sorted_at_every_level_and_the_output_is_compact() -> None:
    assert dumps({"b": 1, "a": {"d": 2, "c": 3}}) == b'{"a":{"c":3,"d":2},"b":1}'


def test_utc_ends_in_z_as_before() -> None:
    assert dumps(datetime(2026, 5, 4, 8, 0, tzinfo=UTC)) == b'"2026-05-04T08:00:00Z"'


def test_what_orjson_does_not_know_goes_through_pydantic() -> None:
    value = {
        "model": Inner(at=datetime(2026, 1, 1, tzinfo=UTC), level=Level.HIGH),
        "duration": timedelta(minutes=90),
        "amount": Decimal("12.50"),
        "ids": {7: "seven"},  # an int key becomes a string, as the standard library did
    }
    assert json.loads(dumps(value)) == {
        "model": {"at": "2026-01-01T00:00:00Z", "level": 3},
        "duration": to_jsonable_python(timedelta(minutes=90)),  # "PT1H30M"
        "amount": "12.50",
        "ids": {"7": "seven"},
    }


def test_an_integer_wider_than_64_bits_is_still_written() -> None:
    assert json.loads(dumps({"big": 2**70})) == {"big": 2**70}

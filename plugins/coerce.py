"""Readers for the fields of a vendor's JSON item: the coercers every provider's mapping shares.

Each reader takes the item (a decoded JSON object) and a key, and returns the field as a Python
value or raises :class:`ValueError` naming the key, which a provider turns into
:class:`~fithub.plugins.ProviderMalformedResponse`. ``bool`` is never a number nor an id (JSON
``true`` is not ``1``); an absent key and JSON ``null`` are the same. Numbers are passed on as the
vendor wrote them: NaN and infinities (which Python's JSON decoder accepts) are not refused here.

    from fithub.plugins.coerce import Item, datetime_field, number_field, text_field

    def workout(item: Item) -> list[Record]:
        start = datetime_field(item, "start")  # ISO 8601; a time without offset is UTC
        calories = number_field(item, "calories")  # None when absent
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any

Item = Mapping[str, Any]
"""A vendor item: one decoded JSON object."""

__all__ = [
    "Item",
    "date_field",
    "datetime_field",
    "epoch_field",
    "id_field",
    "int_field",
    "iso_datetime",
    "list_field",
    "number_field",
    "object_field",
    "required_number",
    "scaled_field",
    "text_field",
]


def text_field(item: Item, key: str) -> str:
    """``item[key]`` as non-empty text; ValueError when absent, empty or not a string."""
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is missing or not text")
    return value


def number_field(item: Item, key: str, *, numeric_text: bool = False) -> float | None:
    """``item[key]`` as a float; None when absent or null.

    ``numeric_text`` also reads numbers written as strings (``"8123"``, as Google writes int64).
    ValueError for a bool, any other type, or text that is not a number.
    """
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{key} is not a number")
    if isinstance(value, int | float):
        return float(value)
    if numeric_text and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{key} is not a number: {value!r}") from None
    raise ValueError(f"{key} is not a number")


def required_number(item: Item, key: str, *, numeric_text: bool = False) -> float:
    """Like :func:`number_field`, but an absent or null value is a ValueError too."""
    value = number_field(item, key, numeric_text=numeric_text)
    if value is None:
        raise ValueError(f"{key} is missing")
    return value


def int_field(item: Item, key: str, *, numeric_text: bool = False) -> int | None:
    """:func:`number_field` truncated to an int (``12.9`` -> ``12``); None when absent."""
    value = number_field(item, key, numeric_text=numeric_text)
    return None if value is None else int(value)


def scaled_field(item: Item, key: str, *, times: float = 1.0, per: float = 1.0) -> float | None:
    """:func:`number_field` converted to another unit: ``value * times / per``; None when absent.

    ``scaled_field(item, "duration_milli", per=1000)`` gives seconds.
    """
    value = number_field(item, key)
    return None if value is None else value * times / per


def id_field(item: Item, key: str) -> str:
    """An id, which vendors write as text or as an integer, as text; ValueError when missing."""
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise ValueError(f"{key} is missing or not an id")
    return str(value)


def iso_datetime(text: str, tz: tzinfo = UTC) -> datetime:
    """An ISO 8601 time (``Z`` for UTC allowed); one without an offset is read as local to ``tz``.

    The result keeps the offset written in the text (it is not converted to ``tz``).
    """
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def datetime_field(item: Item, key: str, tz: tzinfo = UTC) -> datetime:
    """``item[key]`` read by :func:`iso_datetime`; ValueError when absent or unreadable."""
    return iso_datetime(text_field(item, key), tz)


def epoch_field(item: Item, key: str, tz: tzinfo = UTC) -> datetime:
    """``item[key]``, Unix epoch seconds, as an aware datetime in ``tz``; ValueError when absent."""
    return datetime.fromtimestamp(required_number(item, key), tz)


def date_field(item: Item, key: str) -> date:
    """``item[key]``, a ``YYYY-MM-DD`` date; ValueError when absent or unreadable."""
    return date.fromisoformat(text_field(item, key))


def object_field(item: Item, key: str) -> Item | None:
    """``item[key]``, a JSON object; None when absent or null, ValueError when something else."""
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} is not an object")
    return value


def list_field(item: Item, key: str) -> list[Any] | None:
    """``item[key]``, a JSON array; None when absent or null, ValueError when something else."""
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value

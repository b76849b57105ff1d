"""The one door for request input (core/inputs.py), without a server: parsing, screening, depth."""

from __future__ import annotations

import json

import pytest

from fithub.core.errors import JSONTooDeep, MalformedJSON, ValidationFailed
from fithub.core.inputs import MAX_JSON_DEPTH, load_json, nesting_depth


def _fields(body: bytes) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as raised:
        load_json(body)
    return {e["field"]: e["type"] for e in raised.value.errors}


@pytest.mark.parametrize(("text", "depth"), [
    ("1", 0), ("[]", 1), ('{"a": [1, {"b": []}]}', 4), ('["[[[[", "]]"]', 1),
    ('{"k\\"[": "\\\\"}', 1), ("[" * 40 + "]" * 40, 40),
])  # fmt: skip
def test_nesting_depth_counts_containers_not_strings(text, depth):
    assert nesting_depth(json.loads(text)) == depth


def test_depth_is_refused_past_the_limit_and_not_before():
    assert load_json(("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH).encode())
    for levels in (MAX_JSON_DEPTH + 1, 500, 5000, 50_000):
        with pytest.raises(JSONTooDeep):
            load_json(("[" * levels + "]" * levels).encode())


def test_every_bad_value_is_named_with_its_path():
    body = json.dumps({
        "name": "a\u0000b", "ok": "tab\there\nand\r\n", "n": 2**63, "m": -(2**63) - 1, "o": 10**19,
        "fine": [2**63 - 1, -(2**63)], "sets": [{"w": 1e300}, {"note": "\u007f", "k\u001b": 1}],
    }).replace("1e+300", "1e400").encode()  # fmt: skip
    assert _fields(body) == {
        "name": "control_character", "n": "int_range", "m": "int_range", "o": "int_range",
        "sets.0.w": "finite_number", "sets.1.note": "control_character",
        "sets.1.k\\x1b": "control_character",
    }  # fmt: skip


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals_are_named(literal):
    assert _fields(f'{{"a": [1, {literal}]}}'.encode()) == {"a.1": "finite_number"}


def test_what_only_looks_suspect_passes():
    # an escaped backslash before "u0000", a long digit run inside a string, the 64-bit extremes
    body = {"path": "C:\\u0000", "digits": "1" * 40, "big": 2**63 - 1, "low": -(2**63),
            "e": "1e400", "tiny": 1e-300, "nl": "a\u000ab"}  # fmt: skip
    assert load_json(json.dumps(body).encode()) == body


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"a": "\xed\xa0\x80"}', b'{"a": ', b"", b"[1,]"])
def test_not_utf8_or_not_json_is_malformed(body):
    with pytest.raises(MalformedJSON):
        load_json(body)


def test_unterminated_escaped_quotes_are_malformed():
    with pytest.raises(MalformedJSON):
        load_json(b'["' + b'\\"' * 200_000)


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**19, 2**64, 10**40])
def test_an_integer_past_64_bits_alone_is_named(number):
    assert _fields(json.dumps({"a": {"b": number}}).encode()) == {"a.b": "int_range"}


@pytest.mark.parametrize("text", ["1e400", "-1e400", "1" + "0" * 400 + ".0"])
def test_a_float_past_double_alone_is_named(text):
    assert _fields(f'{{"w": {text}}}'.encode()) == {"w": "finite_number"}

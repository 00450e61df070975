"""The parsers for values from outside: JSON (protocol/json_input.py) and NumericDate
(protocol/numeric_date.py, RFC 7519 §2). Table tests, no I/O."""

from __future__ import annotations

import datetime as dt

import pytest

from authserver.protocol import json_input
from authserver.protocol.jws import JWSError, b64url, b64url_decode
from authserver.protocol.numeric_date import LATEST, to_datetime


@pytest.mark.parametrize(("text", "why"), [
    ("[" * 5000 + "]" * 5000, "5000 levels: past orjson's own limit"),
    ("[" * 17 + "]" * 17, "17 levels: past ours"),
    ('{"a":' * 17 + "1" + "}" * 17, "17 levels of objects"),
    ("NaN", "not RFC 8259"),
    ("1e400", "overflows a double"),
    ('"\\ud800"', "a lone surrogate"),
    ('{"sub":"a\\u0000b"}', "NUL in a value"),
    ('{"a\\u0000":1}', "NUL in a member name"),
    ("{", "truncated"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_json_input_refuses(text: str | bytes, why: str) -> None:
    with pytest.raises(json_input.JSONInputError):
        json_input.loads(text, max_bytes=1 << 20)
        pytest.fail(f"accepted: {why}")


def test_json_input_accepts_sixteen_levels_and_refuses_oversized_input() -> None:
    assert json_input.loads("[" * 16 + "]" * 16, max_bytes=100) is not None
    with pytest.raises(json_input.JSONInputError, match="too large"):
        json_input.loads("[1]", max_bytes=2)


@pytest.mark.parametrize("value", [True, False, None, "1700000000", [1], {}, float("nan"),
                                   float("inf"), -1, -0.5, LATEST + 1, 10**30, 1e300])
def test_values_that_are_not_usable_numeric_dates(value: object) -> None:
    assert to_datetime(value) is None, f"{value!r} must not be a NumericDate we accept"


@pytest.mark.parametrize(("value", "expected"), [
    (0, dt.datetime(1970, 1, 1, tzinfo=dt.UTC)),
    (1.5, dt.datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=dt.UTC)),
    (LATEST, dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)),
])
def test_numeric_dates_integer_or_not(value: float, expected: dt.datetime) -> None:
    assert to_datetime(value) == expected


@pytest.mark.parametrize(("text", "why"), [
    ("ab+/", "standard alphabet"), ("YWE=", "padding"), ("YWF", "trailing bits set"),
    ("Y", "length 1 mod 4"), ("YW E", "a space"), ("YWE*", "junk"),
])
def test_base64url_is_strict(text: str, why: str) -> None:
    with pytest.raises(JWSError):
        b64url_decode(text)
        pytest.fail(f"decoded: {why}")


def test_base64url_round_trips() -> None:
    for data in (b"", b"a", b"aa", b"aaa", bytes(range(256))):
        assert b64url_decode(b64url(data)) == data

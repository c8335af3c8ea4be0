"""Tests of circuitnet.netlist.units: ngspice's number syntax."""
import math

import pytest
from hypothesis import given, strategies as st

from circuitnet.netlist.units import format_value, parse_value


@pytest.mark.parametrize("text, expected", [
    ("1t", 1e12), ("1g", 1e9), ("1meg", 1e6), ("1k", 1e3), ("1m", 1e-3), ("1u", 1e-6),
    ("1n", 1e-9), ("1p", 1e-12), ("1f", 1e-15), ("1mil", 25.4e-6),
])
def test_every_scale_suffix(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["1MEG", "1Meg", "1mEg", "1K", "1MIL", "1T", "1F"])
def test_suffixes_are_case_insensitive(text):
    assert parse_value(text) == parse_value(text.lower())


@pytest.mark.parametrize("text, expected", [
    ("1kohm", 1000.0), ("10V", 10.0), ("5mA", 5e-3), ("1megohm", 1e6), ("3milli", 3 * 25.4e-6),
    ("2ohm", 2.0), ("4volts", 4.0), ("1a", 1.0), ("7x", 7.0),
])
def test_trailing_letters_are_ignored(text, expected):
    assert parse_value(text) == pytest.approx(expected, rel=1e-15)


def test_m_is_milli_not_mega():
    assert parse_value("1m") == 1e-3
    assert parse_value("1M") == 1e-3
    assert parse_value("1meg") == 1e6


@pytest.mark.parametrize("text, expected", [
    ("1e-3", 1e-3), (".5", 0.5), ("5.", 5.0), ("-2.5e3k", -2.5e6), ("+3", 3.0), ("1E3", 1e3),
    ("2.5e+2", 250.0), ("-0.5u", -0.5e-6), ("0", 0.0), ("1e3meg", 1e9),
])
def test_plain_and_exponent_forms(text, expected):
    assert parse_value(text) == expected


def test_decimal_shift_is_exact():
    assert parse_value("0.1m") == float("1e-4")
    assert parse_value("4.7k") == 4700.0
    assert parse_value("3.3n") == float("3.3e-9")


@pytest.mark.parametrize("text", ["", "abc", "k", "1.2.3", "inf", "nan", "1_000", "--1", "1 k", "e3", "."])
def test_non_numbers_raise_value_error(text):
    with pytest.raises(ValueError, match="not a number"):
        parse_value(text)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_value_round_trips_bit_identically(x):
    assert parse_value(format_value(x)) == x
    assert math.copysign(1.0, parse_value(format_value(x))) == math.copysign(1.0, x)


@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan])
def test_format_value_rejects_non_finite(x):
    with pytest.raises(ValueError, match="non-finite"):
        format_value(x)

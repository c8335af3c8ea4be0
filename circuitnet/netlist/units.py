"""SPICE numbers: scale suffixes in, exactly-round-tripping text out.

ngspice reads `4.7k`, `1meg`, `10mA`, `1kohm`: a number, then an optional scale suffix
(case-insensitive), then any letters, which are ignored (they name the unit).
"""
from __future__ import annotations

import math
import re

#: scale suffix -> power of ten; "meg" and "mil" are checked before "m" (milli).
_DECADES = {"t": 12, "g": 9, "k": 3, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15}
_MIL = 25.4e-6
_DIGITS = frozenset("0123456789")
_EXPONENT_LIMIT = 10**9

#: one way only to split the digits (a fraction's digits follow its point), so that a
#: failed match of a long string backtracks in linear, not quadratic, time.
_NUMBER = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:e([+-]?\d+))?([a-z]*)", re.IGNORECASE | re.ASCII)


def parse_value(text: str) -> float:
    """Read a SPICE number with ngspice's scale-suffix rules.

    Args:
        text: e.g. "4.7k", "1meg", "1m" (milli), "25mil", "10V", "-2.5e3k", ".5".

    Returns:
        The value as a float. Powers of ten are applied in decimal, so "0.1m" gives the
        same float as "1e-4".

    Raises:
        ValueError: `text` is not a number.
    """
    if text[-1:] in _DIGITS and text.isascii() and "_" not in text:
        try:  # the common case, a plain number: float() is exact and fast
            return float(text)
        except ValueError:
            pass
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise ValueError(f"not a number: {text!r}")
    mantissa, exponent, letters = match.groups()
    if not letters and exponent is None:
        return float(mantissa)
    shift = _exponent(exponent) if exponent else 0
    letters = letters.lower()
    if letters.startswith("meg"):
        shift += 6
    elif letters.startswith("mil"):
        return float(f"{mantissa}e{shift}") * _MIL
    elif letters:
        shift += _DECADES.get(letters[0], 0)
    return float(f"{mantissa}e{shift}")


def _exponent(digits: str) -> int:
    """An exponent's value, clamped to +-_EXPONENT_LIMIT: beyond it every mantissa shorter
    than a billion digits gives 0 or infinity, and `int` refuses digit strings longer
    than sys.get_int_max_str_digits()."""
    sign = -1 if digits[0] == "-" else 1
    significant = digits.lstrip("+-0")
    if len(significant) > len(str(_EXPONENT_LIMIT)):
        return sign * _EXPONENT_LIMIT
    return sign * min(int(significant or "0"), _EXPONENT_LIMIT)


def format_value(x: float) -> str:
    """Write a float so that both `parse_value` and ngspice read it back exactly.

    Raises:
        ValueError: `x` is infinite or NaN (SPICE has no spelling for those).
    """
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"cannot write the non-finite value {x!r} in a netlist")
    return repr(x)

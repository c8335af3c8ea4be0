"""An independent source's DC value, as ngspice's operating point (`.op`) takes it.

A V or I card may follow its nodes with a DC value and any of the specifications of the
other analyses (ngspice's manual, "Independent Sources"):

    Vname n+ n- [[DC] value] [AC [mag [phase]]] [DISTOF1 [mag [phase]]] [DISTOF2 ...]
                [PULSE(...) | SIN(...) | EXP(...) | PWL(...) | SFFM(...) | AM(...)
                 | TRNOISE(...) | TRRANDOM(...)]

ngspice's operating point uses the DC value when one is given (a bare number right
after the nodes, or `DC value` / `DC=value` anywhere; a bare `DC` is 0); otherwise the
transient function's value at t = 0; otherwise 0 (a source with `AC 1` only, or with
nothing).
The values at t = 0, checked against ngspice 39:

| function | parameters | value at t = 0 |
|---|---|---|
| PULSE | V1 V2 [TD TR TF PW PER NP] | V1 |
| SIN | VO VA [FREQ TD THETA PHASE] | VO + VA sin(PHASE), PHASE in degrees |
| EXP | V1 V2 [TD1 TAU1 TD2 TAU2] | V1 |
| PWL | t1 v1 [t2 v2 ...] [TD=td] [R=r] | the curve at t = 0 (v1 when t1 >= 0) |
| SFFM | VO VA [FC MDI FS PHASEC PHASES] | VO + VA sin(PHASEC + MDI sin(PHASES)), degrees |
| AM | VA VO [MF FC TD PHASEM PHASEC] | 0 (ngspice's AM is 0 until t > TD) |
| TRNOISE | NA NT [NALPHA NAMP RTSAM RTSCAPT RTSEMT] | 0 |
| TRRANDOM | TYPE TS [TD PARAM1 PARAM2] | PARAM2 (the offset; default 0) |

Units are the source's: volts for V, amperes for I (times in seconds, frequencies in
hertz). Everything but the DC value is kept as `Element.spec`, normalised (keywords in
lower case, numbers evaluated and written exactly), so that the written netlist gives
ngspice the same specifications without needing the `.param` scope they came from.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .units import format_value

#: transient functions: (fewest, most) parameters ngspice takes; PWL takes pairs.
FUNCTIONS: dict[str, tuple[int, int]] = {
    "pulse": (2, 8), "sin": (2, 6), "exp": (2, 6), "pwl": (2, 1_000_000), "sffm": (2, 7),
    "am": (2, 7), "trnoise": (2, 7), "trrandom": (2, 5),
}
#: small-signal specifications: keyword -> most numbers after it (magnitude, phase).
SMALL_SIGNAL: dict[str, int] = {"ac": 2, "distof1": 2, "distof2": 2}
#: PWL's keyword options.
_PWL_OPTIONS = ("td", "r")

#: reads one value token: (token, what it is) -> float; raises the caller's error.
ValueReader = Callable[[str, str], float]


class SourceSpecError(ValueError):
    """A source card's specifications cannot be read (the message says why)."""


@dataclass(frozen=True)
class SourceReading:
    """What a source card says about DC: `dc` (volts or amperes) and `spec`, the
    normalised non-DC text (None when there is none)."""

    dc: float
    spec: str | None


def _is_keyword(word: str) -> bool:
    head = word.split("=", 1)[0]
    return head == "dc" or head in SMALL_SIGNAL or head in FUNCTIONS or head in _PWL_OPTIONS


def value_at_zero(function: str, values: list[float], options: dict[str, float]) -> float:
    """The value of transient function `function` with parameters `values` (and PWL's
    `options` td=, r=) at t = 0, in the source's unit (see the module table)."""
    if function in ("pulse", "exp"):
        return values[0]
    if function == "sin":
        phase = values[5] if len(values) > 5 else 0.0
        return values[0] + values[1] * math.sin(math.radians(phase))
    if function == "sffm":
        phasec = values[5] if len(values) > 5 else 0.0
        phases = values[6] if len(values) > 6 else 0.0
        mdi = values[3] if len(values) > 3 else 0.0
        return values[0] + values[1] * math.sin(math.radians(phasec) + mdi * math.sin(math.radians(phases)))
    if function == "pwl":
        times, levels = values[0::2], values[1::2]
        return float(np.interp(-options.get("td", 0.0), times, levels))
    if function == "trrandom":
        return values[4] if len(values) > 4 else 0.0
    return 0.0  # am, trnoise


def read_source(words: list[str], read: ValueReader) -> SourceReading:
    """Read the words after a source card's nodes (lower case, as `lexer.tokens` splits
    them: parentheses and commas separate words, `key=value` is one word).

    Args:
        words: e.g. ["dc", "2", "ac", "1", "sin", "0", "1", "1k"].
        read: evaluates one value token (a number or `{expression}`), naming it in its
            error by the `what` it is given.

    Returns:
        The DC value ngspice's `.op` uses, and the normalised remaining specification.

    Raises:
        SourceSpecError: an unknown word, a value given twice, a transient function with
            too few or too many parameters, PWL times that decrease.
    """
    dc: float | None = None
    spec: list[str] = []
    function: tuple[str, list[float], dict[str, float]] | None = None
    seen: set[str] = set()
    i = 0
    if words and not _is_keyword(words[0]):
        dc, i = read(words[0], "DC value"), 1
    while i < len(words):
        word = words[i]
        head, equals, tail = word.partition("=")
        if head in seen and head not in _PWL_OPTIONS:
            raise SourceSpecError(f"{head.upper()} is given twice")
        i += 1
        if head == "dc":
            if dc is not None:
                raise SourceSpecError("the DC value is given twice")
            if not equals:
                if i == len(words) or _is_keyword(words[i]):
                    tail = "0"  # a bare DC is DC 0, as ngspice reads it
                else:
                    tail, i = words[i], i + 1
            dc = read(tail, "DC value")
        elif head in SMALL_SIGNAL:
            numbers = [tail] if equals else []
            while not equals and i < len(words) and not _is_keyword(words[i]) \
                    and len(numbers) < SMALL_SIGNAL[head]:
                numbers.append(words[i])
                i += 1
            spec.append(" ".join([head, *(format_value(read(n, f"{head.upper()} value")) for n in numbers)]))
        elif head in FUNCTIONS and not equals:
            if function is not None:
                raise SourceSpecError(f"two transient functions ({function[0].upper()} and {head.upper()}); "
                                      f"a source has one")
            raw: list[str] = []
            while i < len(words) and not _is_keyword(words[i]):
                raw.append(words[i])
                i += 1
            function = (head, [read(r, f"{head.upper()} parameter") for r in raw], {})
            _check_count(head, function[1])
        elif head in _PWL_OPTIONS and equals and function is not None and function[0] == "pwl":
            function[2][head] = read(tail, f"PWL {head.upper()}")
        else:
            raise SourceSpecError(f"unexpected {word!r}")
        seen.add(head)
    if function is not None:
        name, values, options = function
        text = f"{name}({' '.join(format_value(v) for v in values)})"
        spec.append(" ".join([text, *(f"{k}={format_value(v)}" for k, v in options.items())]))
        if dc is None:
            dc = value_at_zero(name, values, options)
    return SourceReading(0.0 if dc is None else dc, " ".join(spec) or None)


def _check_count(function: str, values: list[float]) -> None:
    fewest, most = FUNCTIONS[function]
    name = function.upper()
    if len(values) < fewest:
        raise SourceSpecError(f"{name} needs at least {fewest} parameters, got {len(values)}")
    if len(values) > most:
        raise SourceSpecError(f"{name} takes at most {most} parameters, got {len(values)}")
    if function == "pwl":
        if len(values) % 2:
            raise SourceSpecError(f"PWL needs time-value pairs, got {len(values)} numbers")
        times = values[0::2]
        if any(b < a for a, b in zip(times, times[1:])):
            raise SourceSpecError("PWL times must not decrease")

"""Mutated decks never give a traceback, a NaN or a hang: only a CircuitError may escape.

Valid decks (the small examples in netlists/, a few of spice_ref/decks/, the valid decks
of the bad-input catalogue) are mutated token by token: tokens deleted, duplicated,
swapped or replaced, random characters, numbers and suffixes inserted, the text cut
short. Each mutant is read (`parse_netlist`) and solved (`solve`, solver "auto", with a
bounded sweep budget); a CircuitError is a fine answer, anything else (a traceback, a
warning, which pytest makes an error, non-finite voltages) fails. A case still running
after CASE_LIMIT seconds dumps every thread's stack and ends the run (`faulthandler`), so
a hang fails loudly instead of stalling the suite.

The default run tries a fixed set of 150 mutants; `-m slow` runs 100,000 random ones.
"""
from __future__ import annotations

import faulthandler
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from circuitnet import CircuitError, parse_netlist, solve

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(
    [ROOT / "netlists" / f"{name}.cir" for name in ("divider", "clipper", "lc_supply", "sensor_amp",
                                                     "subckt_param", "xor")]
    + [ROOT / "spice_ref" / "decks" / f"{name}.cir" for name in ("gfh_gyrator_gg", "diode_instance_params",
                                                                  "bias_stiff_ratios")]
    + [path for path in (ROOT / "tests" / "bad_input").glob("*_valid.cir")
       if ".include" not in path.read_text(encoding="utf-8-sig") and path.stat().st_size < 4000])
TEXTS = [path.read_text(encoding="utf-8-sig") for path in SEEDS]
#: seconds one mutant may take, parse and solve, before the run is ended as hung.
CASE_LIMIT = 120
#: the cd solver's sweep budget per mutant (it raises ConvergenceError beyond it).
SWEEP_BUDGET = 2000

_PIECES = re.compile(r"(\s+)")
#: what is inserted or put in place of a token: SPICE's own punctuation and keywords,
#: numbers at the edges of float64, suffixes, and characters that look like others.
_PAYLOADS = st.one_of(
    st.sampled_from(["{", "}", "(", ")", "=", "'", ",", "+", "-", "*", "*@", ";", "$ ", "\n", "\n+ ",
                     ".end", ".ends", ".subckt s a b", "X9 a b s", ".param p={p+1}", ".model dm D",
                     "*@ output", "*@ input", "*@ ideal", "dc", "ac", "pulse(", "sin(0 1", "pwl(1 0 0 1)",
                     "1e400", "-1e400", "1e-400", "5e-309", "1e308", "-0", "0", "nan", "inf", "1meg", "1m",
                     "k", "mil", "1e", "{1/0}", "{sqrt(-1)}", "gnd", "0", "\ufeff", "\u0131", "\uff11",
                     "\t", "\r", "\x00", "params:", "area=0", "temp=-300", "is=-1", "n=0", "bv=0"]),
    st.text(max_size=3),
    st.floats(allow_nan=False).map(repr),
    st.integers(min_value=-10**6, max_value=10**6).map(str),
)
_MUTATION = st.tuples(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace", "truncate"]),
                      st.floats(0.0, 1.0), st.floats(0.0, 1.0), _PAYLOADS)


def mutate(text: str, mutations: list[tuple[str, float, float, str]]) -> str:
    """`text` with each mutation applied to its tokens (positions as fractions of the length)."""
    pieces = _PIECES.split(text)
    for kind, where, other, payload in mutations:
        if not pieces:
            pieces = [payload]
            continue
        k, j = int(where * (len(pieces) - 1)), int(other * (len(pieces) - 1))
        if kind == "delete":
            del pieces[k]
        elif kind == "duplicate":
            pieces.insert(k, pieces[k])
        elif kind == "swap":
            pieces[k], pieces[j] = pieces[j], pieces[k]
        elif kind == "insert":
            pieces.insert(k, payload)
        elif kind == "replace":
            pieces[k] = payload
        else:
            pieces = pieces[:k]
    return "".join(pieces)


mutants = st.builds(mutate, st.sampled_from(TEXTS), st.lists(_MUTATION, min_size=1, max_size=4))


def check(text: str) -> None:
    """Read and solve one mutant: a CircuitError, or finite voltages; never anything else."""
    faulthandler.dump_traceback_later(CASE_LIMIT, exit=True)
    try:
        solution = solve(parse_netlist(text, "fuzz.cir"), max_sweeps=SWEEP_BUDGET)
    except CircuitError:
        return
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert np.all(np.isfinite(solution.voltages)), text


def test_the_seeds_are_valid_decks():
    """Every unmutated seed solves (so the mutants start from working decks)."""
    assert len(TEXTS) >= 20
    for path, text in zip(SEEDS, TEXTS):
        assert np.all(np.isfinite(solve(parse_netlist(text, str(path))).voltages)), path


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(mutants)
def test_mutated_decks(text):
    check(text)


@pytest.mark.slow
@settings(max_examples=100_000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(mutants)
def test_mutated_decks_at_length(text):
    check(text)

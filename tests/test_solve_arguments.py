"""Arguments of `solve` and `CircuitValues` are checked at the boundary: a clear DataError
or ConvergenceError, never NaN in an answer or a value silently changed."""
import numpy as np
import pytest

from circuitnet import parse_netlist, read_netlist
from circuitnet.compile.conditions import Clamp, Nudge
from circuitnet.errors import ConvergenceError, DataError
from circuitnet.solvers import solve

DIVIDER = "t\nV1 a 0 1\nR1 a b 1k\nR2 b 0 2k\n.end\n"


@pytest.fixture(scope="module")
def xor():
    return read_netlist("netlists/xor.cir").compile()


@pytest.mark.parametrize("inputs, match", [
    (np.array([[1 + 1j, 1.0]]), "inputs must be real numbers, got complex128 values"),
    (np.array([[np.nan, 1.0]]), "inputs must be finite"),
    (np.array([["1", "2"]]), "inputs must be real numbers"),
])
def test_input_arrays_must_be_finite_real_numbers(xor, inputs, match):
    with pytest.raises(DataError, match=match):
        solve(xor, inputs)


@pytest.mark.parametrize("value", [np.nan, np.inf, 1j, [1.0, np.nan]])
def test_source_values_by_name_must_be_finite_real_numbers(value):
    with pytest.raises(DataError, match="the value of v1 must be"):
        solve(parse_netlist(DIVIDER), {"v1": value})


@pytest.mark.parametrize("settings, match", [
    ({"tol": -1.0}, "tol must be a number of volts in"), ({"tol": float("inf")}, "tol must be"),
    ({"tol": float("nan")}, "tol must be"), ({"sweeps": 0}, "sweeps must be a positive whole number"),
    ({"max_sweeps": 2.5}, "max_sweeps must be"), ({"warm_start": np.full((1, 2), np.nan)}, "warm_start must be finite"),
])
def test_settings_no_solver_can_honour_are_refused(settings, match):
    with pytest.raises(DataError, match=match):
        solve(parse_netlist(DIVIDER), **settings)


def test_nudge_and_clamp_values_must_be_finite(xor):
    x = np.array([[1.0, -1.0]])
    with pytest.raises(DataError, match="nudge values must be finite"):
        solve(xor, x, nudge=Nudge(["out"], 0.1, np.array([[np.nan]])))
    with pytest.raises(DataError, match="the nudge's beta must be finite"):
        solve(xor, x, nudge=Nudge(["out"], np.nan, np.array([[0.0]])))
    with pytest.raises(DataError, match="clamp values must be finite"):
        solve(xor, x, clamp=Clamp(["out"], np.array([[np.inf]])))


def test_edited_values_must_be_finite_and_conductances_positive(xor):
    values = xor.values()
    for bad, match in ((-1e-3, "conductances must be > 0 siemens"), (0.0, "> 0 siemens"),
                       (np.nan, "conductances must be finite")):
        with pytest.raises(DataError, match=match):
            values.set_conductances(np.array([bad]), np.array([0]))
    with pytest.raises(DataError, match="source values must be finite"):
        values.set_sources(np.array([np.inf]), np.array([0]))
    assert values.version == 0  # nothing was written


def test_an_answer_beyond_float64_is_an_error_naming_the_node():
    # 1e300 V across a diode: its current overflows; no method may return inf or NaN
    deck = "t\nV1 a 0 1e300\nR1 a b 1\nD1 b 0 dd\n.model dd D\n.end\n"
    with pytest.raises(ConvergenceError):
        solve(parse_netlist(deck))
    exact = solve(parse_netlist("t\nV1 a 0 1e300\nR1 a b 1\nR2 b 0 1\n.end\n"))  # linear: exact and finite
    assert exact.voltage("b")[0] == pytest.approx(5e299)

"""The option sets of the bad-input catalogue: arguments of `solve`, of `CircuitValues` and
of the command line, each with the fragment its error must contain.

Every case runs on DIVIDER (1 V over two 1k resistors, v(b) = 0.5 V). A "solve" case
passes `arguments()` to `solve(compiled, **arguments())`; a "values" case calls
`action(compiled)`; a "cli" case runs `circuitnet` with `argv`, where "{deck}" stands for
DIVIDER's file; a "text" case parses and solves netlist text that a .cir file cannot
carry a header in (an empty file). `xfail` names why a case fails today (the file at fault is not the
catalogue's owner's to fix): the test expects it to fail, strictly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from circuitnet import CircuitValues, Clamp, Nudge

DIVIDER = "api divider\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n*@ input v1\n*@ output b\n.op\n.end\n"
X = np.array([[1.0]])  # one example of the one input feature


@dataclass(frozen=True)
class ApiCase:
    """One option set: `kind` "solve", "values" or "cli"; what it runs; the error fragment."""

    id: str
    kind: str
    run: Any  # solve: () -> kwargs; values: (compiled) -> None; cli: list of arguments; text: str
    error: str
    xfail: str | None = None


def _solve(id: str, arguments: Callable[[], dict], error: str, xfail: str | None = None) -> ApiCase:
    return ApiCase(id, "solve", arguments, error, xfail)


def _values(id: str, action: Callable, error: str, xfail: str | None = None) -> ApiCase:
    return ApiCase(id, "values", action, error, xfail)


def _cli(id: str, argv: list[str], error: str, xfail: str | None = None) -> ApiCase:
    return ApiCase(id, "cli", argv, error, xfail)


def _set_conductances(values, index=slice(None)) -> Callable:
    return lambda compiled: compiled.values().set_conductances(values, index)


def _set_sources(values, index=slice(None)) -> Callable:
    return lambda compiled: compiled.values().set_sources(values, index)


def _text(id: str, text: str, error: str) -> ApiCase:
    return ApiCase(id, "text", text, error)


_VALUE_ERROR = "raises ValueError, not a CircuitError: {where} (not the catalogue owner's file{tests})"

API_CASES = [
    _text("empty_text", "", "text.cir:1: '': no elements: text.cir has no element cards to solve"),
    _text("blank_lines_only", "\n\n  \n\t\n", "no elements"),
    _text("title_and_comments_only", "title\n* a comment\n*@ output a\n", "no elements"),
    _solve("inputs_nan", lambda: dict(inputs=np.array([[np.nan]])), "inputs must be finite"),
    _solve("inputs_inf", lambda: dict(inputs=np.array([[np.inf]])), "inputs must be finite"),
    _solve("inputs_complex", lambda: dict(inputs=np.array([[1 + 1j]])), "inputs must be real numbers, got complex128"),
    _solve("inputs_text", lambda: dict(inputs=np.array([["1"]])), "inputs must be real numbers"),
    _solve("inputs_objects", lambda: dict(inputs=np.array([[None]])), "inputs must be real numbers, got object"),
    _solve("inputs_wrong_width", lambda: dict(inputs=np.zeros((2, 3))), "inputs have shape (2, 3), expected (batch, 1)"),
    _solve("inputs_three_dimensions", lambda: dict(inputs=np.zeros((2, 1, 1))), "inputs have shape (2, 1, 1)"),
    _solve("source_by_name_complex", lambda: dict(inputs={"v1": 1j}), "the value of v1 must be real numbers"),
    _solve("source_by_name_nan", lambda: dict(inputs={"v1": np.array([1.0, np.nan])}), "the value of v1 must be finite"),
    _solve("source_by_name_unknown", lambda: dict(inputs={"vx0": 1.0}), "cannot set vx0: no voltage or current source"),
    _solve("source_by_name_matrix", lambda: dict(inputs={"v1": np.zeros((2, 2))}), "the value of v1 has shape (2, 2)"),
    _solve("nudge_nan", lambda: dict(inputs=X, nudge=Nudge(["b"], 0.1, np.array([[np.nan]]))), "nudge values must be finite"),
    _solve("nudge_beta_inf", lambda: dict(inputs=X, nudge=Nudge(["b"], np.inf, np.array([[0.0]]))), "the nudge's beta must be finite"),
    _solve("nudge_beta_complex", lambda: dict(inputs=X, nudge=Nudge(["b"], 1j, np.array([[0.0]]))), "the nudge's beta must be real numbers"),
    _solve("nudge_unknown_node", lambda: dict(inputs=X, nudge=Nudge(["zz"], 0.1, np.array([[0.0]]))), "unknown node(s) ['zz'] in nudge"),
    _solve("nudge_ground", lambda: dict(inputs=X, nudge=Nudge(["0"], 0.1, np.array([[0.0]]))), "unknown node(s) ['0'] in nudge"),
    _solve("nudge_wrong_shape", lambda: dict(inputs=X, nudge=Nudge(["b"], 0.1, np.zeros((1, 2)))), "nudge values have shape (1, 2), expected (1, 1)"),
    _solve("nudge_batch_mismatch", lambda: dict(inputs=X, nudge=Nudge(["b"], 0.1, np.zeros((3, 1)))), "inconsistent batch sizes in the inputs: [1, 3]"),
    _solve("nudge_negative_beta_qp", lambda: dict(inputs=X, solver="qp", nudge=Nudge(["b"], -1.0, np.array([[0.0]]))),
           "the nudge with negative beta makes the energy non-convex"),
    _solve("clamp_inf", lambda: dict(inputs=X, clamp=Clamp(["b"], np.array([[np.inf]]))), "clamp values must be finite"),
    _solve("clamp_complex", lambda: dict(inputs=X, clamp=Clamp(["b"], np.array([[1j]]))), "clamp values must be real numbers"),
    _solve("clamp_unknown_node", lambda: dict(inputs=X, clamp=Clamp(["zz"], np.array([[1.0]]))), "unknown node(s) ['zz'] in clamp"),
    _solve("warm_start_nan", lambda: dict(inputs=X, warm_start=np.full((1, 2), np.nan)), "warm_start must be finite"),
    _solve("warm_start_complex", lambda: dict(inputs=X, warm_start=np.zeros((1, 2)) + 1j), "warm_start must be real numbers"),
    _solve("warm_start_wrong_shape", lambda: dict(inputs=X, warm_start=np.zeros((1, 5))), "warm_start has shape (1, 5), expected (1, 2)",
           xfail=_VALUE_ERROR.format(where="solvers/coordinate_descent.py _start", tests="; tests/test_session.py expects it")),
    _solve("tol_negative", lambda: dict(tol=-1e-9), "tol must be a number of volts in (0, 1)"),
    _solve("tol_zero", lambda: dict(tol=0.0), "tol must be a number of volts in (0, 1)"),
    _solve("tol_nan", lambda: dict(tol=float("nan")), "tol must be a number of volts in (0, 1)"),
    _solve("tol_text", lambda: dict(tol="1e-9"), "tol must be a number of volts in (0, 1)"),
    _solve("tol_complex", lambda: dict(tol=1e-9j), "tol must be a number of volts in (0, 1)"),
    _solve("sweeps_zero", lambda: dict(sweeps=0), "sweeps must be a positive whole number, got 0"),
    _solve("sweeps_negative", lambda: dict(sweeps=-1), "sweeps must be a positive whole number"),
    _solve("sweeps_float", lambda: dict(sweeps=1.0), "sweeps must be a positive whole number, got 1.0"),
    _solve("max_sweeps_zero", lambda: dict(max_sweeps=0), "max_sweeps must be a positive whole number"),
    _solve("solver_unknown", lambda: dict(solver="bogus"), "unknown solver 'bogus'"),
    _solve("dtype_integer", lambda: dict(dtype=np.int32), "dtype",
           xfail=_VALUE_ERROR.format(where="solvers/__init__.py does not check dtype, coordinate_descent's np.finfo fails",
                                     tests="")),
    _solve("values_of_another_circuit", lambda: dict(values=CircuitValues(np.ones(5), np.ones(1))),
           "values hold 5 conductances and 1 source values",
           xfail=_VALUE_ERROR.format(where="compile/tables.py check_values", tests="; tests/test_values.py expects it")),
    _solve("values_nan_conductance", lambda: dict(values=CircuitValues(np.array([np.nan, 1e-3]), np.ones(1))),
           "conductances must be finite"),
    _solve("values_negative_conductance", lambda: dict(values=CircuitValues(np.array([-1e-3, 1e-3]), np.ones(1))),
           "conductances must be > 0 siemens"),
    _solve("values_nan_source", lambda: dict(values=CircuitValues(np.array([1e-3, 1e-3]), np.array([np.nan]))),
           "source values must be finite"),
    _values("set_conductances_nan", _set_conductances(np.array([np.nan, 1e-3])), "conductances must be finite"),
    _values("set_conductances_complex", _set_conductances(np.array([1j, 1e-3])), "conductances must be real numbers"),
    _values("set_conductances_zero", _set_conductances(np.array([0.0]), np.array([0])), "conductances must be > 0 siemens"),
    _values("set_conductances_wrong_shape", _set_conductances(np.ones(3)), "3 conductances for 2 places"),
    _values("set_conductances_index_out_of_range", _set_conductances(np.ones(1), np.array([7])), "index 7 is out of bounds"),
    _values("set_sources_inf", _set_sources(np.array([np.inf])), "source values must be finite"),
    _values("set_sources_wrong_shape", _set_sources(np.ones(3)), "3 source values for 1 places"),
    _values("values_from_complex", lambda compiled: CircuitValues(np.array([1j, 1.0]), np.ones(1)), "conductances must be real numbers"),
    _values("values_from_text", lambda compiled: CircuitValues(np.array(["a", "b"]), np.ones(1)), "conductances must be real numbers"),
    _cli("set_1e400", ["solve", "{deck}", "--set", "v1=1e400"], "the value of v1 must be finite"),
    _cli("set_nan", ["solve", "{deck}", "--set", "v1=nan"], "--set expects NAME=VALUE with a number, got 'v1=nan'"),
    _cli("set_fullwidth", ["solve", "{deck}", "--set", "v1=\uff11"], "--set expects NAME=VALUE with a number"),
    _cli("set_unknown_source", ["solve", "{deck}", "--set", "vx0=1"], "cannot set vx0: no voltage or current source"),
    _cli("set_without_value", ["solve", "{deck}", "--set", "v1"], "--set expects NAME=VALUE"),
    _cli("tol_negative", ["solve", "{deck}", "--tol", "-1"], "tol must be a number of volts in (0, 1)"),
    _cli("tol_word", ["solve", "{deck}", "--tol", "small"], "invalid float value: 'small'",
         xfail="argparse prints its usage (several lines) before the error (cli/*, not the catalogue owner's)"),
    _cli("dc_three_words", ["solve", "{deck}", "--dc", "v1", "0", "1"], "--dc expects SRC START STOP STEP"),
    _cli("dc_step_zero", ["solve", "{deck}", "--dc", "v1", "0", "1", "0"], "sweep step must not be 0"),
    _cli("dc_too_many_points", ["solve", "{deck}", "--dc", "v1", "0", "1", "1e-300"], "has more than 1,000,000 points"),
    _cli("dc_unknown_source", ["solve", "{deck}", "--dc", "vnope", "0", "1", "0.1"], "cannot sweep 'vnope'"),
    _cli("missing_file", ["solve", "{deck}.missing"], "No such file or directory"),
    _cli("check_samples_zero", ["check", "{deck}", "--samples", "0"], "--samples must be an integer >= 1, got 0"),
]

"""`solve`: one interface over the solvers (auto, cd, newton, qp, spice)."""
from __future__ import annotations

import importlib

import numpy as np

from ..compile.conditions import Clamp, Inputs, Nudge, make_conditions
from ..compile.tables import CompiledCircuit
from ..compile.values import CircuitValues, finite_real
from ..errors import CircuitValidationError, ConvergenceError, DataError
from ..model.circuit import Circuit
from .solution import Solution

#: solver name -> module inside circuitnet.solvers exposing solve_conditions(circuit, conditions, options)
#: ("auto" chooses among the others, see `method.py`).
SOLVERS = {"auto": "method", "cd": "coordinate_descent", "newton": "newton", "qp": "qp", "spice": "spice"}

DEFAULT_TOL = 1e-9


def solve(circuit: Circuit | CompiledCircuit, inputs: Inputs = None, *, solver: str = "auto",
          tol: float = DEFAULT_TOL, max_sweeps: int = 100_000, sweeps: int | None = None,
          warm_start: np.ndarray | None = None, nudge: Nudge | None = None,
          clamp: Clamp | None = None, dtype: type = np.float64,
          layered: bool | None = None, values: CircuitValues | None = None) -> Solution:
    """DC steady state of `circuit` for a batch of conditions.

    circuit: a Circuit, or a CompiledCircuit (`circuit.compile()`) to skip compiling on
        every call.

    inputs: see `circuitnet.compile.conditions.make_conditions` (a dict of source values, or an
        array (batch, n_features) for the `*@ input` sources).
    solver: "auto" (default: chooses, and hands over when a method stalls; see
        `solvers.method`; `Solution.info` says what ran and why), "cd" (exact coordinate
        descent, for ideal diodes and training networks), "newton" (Newton on the nodal
        equations, for Shockley diodes and controlled sources), "qp" (cvxpy reference) or
        "spice" (ngspice through PySpice).
    tol: convergence tolerance in volts, relative to the largest source voltage (at least 1 V).
    max_sweeps: the cd solver raises ConvergenceError after this many sweeps.
    sweeps: cd only: run exactly this many sweeps, no convergence test (the reference
        implementation's fixed-sweep mode); the residual is still reported.
    warm_start: node voltages (batch, n_nodes) to start from (cd only).
    nudge, clamp: training's extra conditions on output nodes.
    dtype: np.float64 (default) or np.float32 for the cd solver's arrays.
    layered: cd only, which blocks execute the sweep plan: False the numba kernel (any
        circuit), True dense matrix products (layered networks only, else an error), None
        (default) dense where the circuit is layered and its coupling matrices are dense
        enough to pay. The states are the same either way, to rounding.
    values: the conductances and source values to solve with (`CircuitValues`, from
        `compiled.values()`, edited by the caller); None: the netlist's. Every solver
        reads them.
    Returns a Solution; raises CircuitError subclasses on bad circuits or no convergence.
    """
    if solver not in SOLVERS:
        raise CircuitValidationError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    _check_settings(tol, max_sweeps, sweeps, warm_start)
    return finite_answer(_solve(circuit, inputs, solver, tol, max_sweeps, sweeps, warm_start, nudge, clamp,
                                dtype, layered, values))


def _solve(circuit, inputs, solver, tol, max_sweeps, sweeps, warm_start, nudge, clamp, dtype, layered,
           values) -> Solution:
    if solver in ("auto", "cd", "newton"):
        compiled = circuit if isinstance(circuit, CompiledCircuit) else circuit.compile()
        values = compiled.netlist_values if values is None else values
        compiled.check_values(values)
        conditions = make_conditions(compiled.circuit, inputs, nudge=nudge, clamp=clamp,
                                     table=compiled.sources, source_values=values.sources)

        def attempt(method: str) -> Solution:
            if method == "cd":
                from .coordinate_descent import solve_conditions

                return solve_conditions(compiled, conditions, values, tol=tol, max_sweeps=max_sweeps,
                                        warm_start=warm_start, dtype=dtype, sweeps=sweeps, layered=layered)
            if method == "newton":
                from .newton import solve_conditions as newton

                return newton(compiled, conditions, values, tol=tol, warm_start=warm_start)
            from .qp import solve_conditions as qp

            return qp(compiled.circuit_with(values), conditions, tol=tol, max_sweeps=max_sweeps, dtype=dtype)

        if solver != "auto":
            return attempt(solver)
        from .method import choose, run_chain

        return run_chain(*choose(compiled, sweeps), attempt)
    if isinstance(circuit, CompiledCircuit) or values is not None:
        compiled = circuit if isinstance(circuit, CompiledCircuit) else circuit.compile()
        circuit = compiled.circuit_with(values)
    conditions = make_conditions(circuit, inputs, nudge=nudge, clamp=clamp)
    module = importlib.import_module(f".{SOLVERS[solver]}", __name__)
    return module.solve_conditions(circuit, conditions, tol=tol, max_sweeps=max_sweeps,
                                   warm_start=warm_start, dtype=dtype)


def _check_settings(tol: float, max_sweeps: int, sweeps: int | None, warm_start) -> None:
    """Raise DataError for a tolerance, sweep count or warm start no solver can honour."""
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating)) or not 0.0 < tol < 1.0:
        raise DataError(f"tol must be a number of volts in (0, 1) (relative to the largest source "
                        f"voltage), got {tol!r}")
    for name, count in (("max_sweeps", max_sweeps), ("sweeps", sweeps)):
        if count is not None and (isinstance(count, bool) or not isinstance(count, (int, np.integer))
                                  or count < 1):
            raise DataError(f"{name} must be a positive whole number, got {count!r}")
    if warm_start is not None:
        finite_real(warm_start, "warm_start")


def finite_answer(solution: Solution) -> Solution:
    """The solution, or ConvergenceError naming the first node whose voltage is NaN or
    infinite: values too large for float64 (a source near 1e300 V, a resistance near
    1e-308 ohm) end there, never in an answer."""
    bad = ~np.isfinite(solution.voltages)
    if bad.any():
        node = solution.nodes[int(np.flatnonzero(bad.any(axis=0))[0])]
        raise ConvergenceError(f"the operating point is not finite at node {node!r} (example "
                               f"{int(np.flatnonzero(bad.any(axis=1))[0])}): the source values or "
                               f"conductances are too large or too small for float64")
    return solution

"""DC sweeps (`.dc`): the operating point at every value of one source, or of two nested ones.

`dc_sweep(circuit, "v1", values)` solves the circuit once per value of independent source
`v1` (volts for a V source, amperes for an I source), the other sources at their netlist
values (or at `fixed`). With `second=("v2", values2)` it sweeps two sources as ngspice's
`.dc V1 START1 STOP1 STEP1 V2 START2 STOP2 STEP2` does: the first source is the inner,
fastest loop, so point k = k2 * len(values) + k1 has v1 = values[k1] and v2 = values2[k2].

Two ways to solve the points (`method`):

- "batch": one `solve` call with the swept sources as arrays of shape (n_points,), one row
  per point; every solver takes batches (cd and newton relax all rows together, qp and
  spice loop over them inside one call).
- "continuation": one solve per point, each warm-started from the solution of its
  neighbour (the previous point of the inner sweep, or the first point of the previous
  outer row), for the solvers that take warm starts (cd, newton, auto).

"auto" (the default) is "batch": both give the same answers to the solver's tolerance
(`tests/test_sweep.py` compares them with each other and with ngspice), and one call pays
compiling, checking and the per-call set-up once instead of once per point. Measured for
101 points (best of 3 runs, 2-core machine): divider cd 0.3 ms batched against 27 ms point by
point; digits_drn.cir (one input swept) 1.0 ms against 59 ms; the Shockley clipper with
newton 13 ms against 295 ms, with cd 1.7 s against 3.5 s (cd is slow on Shockley diodes:
sweep those with solver="newton" or "auto").

`sweep_values(start, stop, step)` gives a `.dc` card's values, stop included as ngspice
includes it. `dc_sweep_of(circuit)` runs the netlist's own `.dc` card (`Circuit.dc`).
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..compile.tables import CompiledCircuit
from ..compile.values import CircuitValues
from ..errors import CircuitValidationError
from ..model.circuit import Circuit, DcSweep
from . import DEFAULT_TOL, SOLVERS, solve
from .solution import LazyCurrents, Solution

#: how far (in steps) the last step may overshoot `stop` and still count as reaching it.
STOP_SLACK = 1e-9
#: the most points one sweep may have.
MAX_POINTS = 1_000_000
#: solvers whose `solve` takes a warm start.
WARM_STARTS = frozenset({"auto", "cd", "newton"})
METHODS = ("auto", "batch", "continuation")


def sweep_values(start: float, stop: float, step: float) -> np.ndarray:
    """The values of a `.dc` sweep from `start` to `stop` by `step`, as ngspice takes them.

    Returns start + k * step for k = 0, 1, ... while the value has not passed `stop`, shape
    (n_points,); `stop` itself is included (exactly) when the range is a whole number of
    steps, to within STOP_SLACK of a step (so 0 to 0.3 by 0.1 gives four points, the last
    0.3). start == stop gives one point. ngspice adds the step repeatedly (0.7999999999999999
    for the ninth point of 0 to 1 by 0.1); these values are start + k * step, correctly
    rounded.

    Raises:
        ValueError: a value is not finite, step is 0, step points away from stop (ngspice
            then runs no point at all), or the sweep has more than MAX_POINTS points.
    """
    for name, x in (("start", start), ("stop", stop), ("step", step)):
        if not math.isfinite(x):
            raise ValueError(f"sweep {name} must be a finite number, got {x!r}")
    if step == 0:
        raise ValueError(f"sweep step must not be 0 (from {start:g} to {stop:g})")
    span = stop - start
    if span != 0 and (span > 0) != (step > 0):
        raise ValueError(f"sweep step {step:g} points away from the stop value: from {start:g} "
                         f"to {stop:g} the step must be {'positive' if span > 0 else 'negative'}")
    count = span / step
    if not count < MAX_POINTS:
        raise ValueError(f"sweep from {start:g} to {stop:g} by {step:g} has more than "
                         f"{MAX_POINTS:,} points")
    points = start + np.arange(math.floor(count + STOP_SLACK) + 1) * step
    if abs(points[-1] - stop) <= STOP_SLACK * abs(step):
        points[-1] = stop
    return points


@dataclass
class SweepResult:
    """Operating points of a DC sweep.

    source: the swept (inner) source, lower case; values: its value at each point, volts or
        amperes, shape (n_points,).
    source2, values2: the outer source of a two-source sweep and its value at each point,
        shape (n_points,), or None. Points are in ngspice's order: the inner source runs
        fastest (`shape` gives (len(outer values), len(inner values))).
    nodes: node names (ground excluded), the columns of `voltages`.
    voltages: node voltages in volts, shape (n_points, len(nodes)).
    currents: element name -> current in amperes at each point, shape (n_points,), with
        `Solution`'s sign convention (computed on first use).
    solver: the solver that ran (for "auto", the methods it chose, joined by "+").
    method: "batch" or "continuation" (see the module docstring).
    seconds: wall-clock time of all the solves.
    residual: the largest KKT residual of any point, amperes.
    """

    source: str
    values: np.ndarray
    nodes: list[str]
    voltages: np.ndarray
    currents: Mapping[str, np.ndarray]
    solver: str
    method: str
    seconds: float
    residual: float = 0.0
    source2: str | None = None
    values2: np.ndarray | None = None
    shape: tuple[int, ...] = field(default=())

    @property
    def n_points(self) -> int:
        """Number of sweep points."""
        return self.voltages.shape[0]

    def voltage(self, node: str) -> np.ndarray:
        """One node's voltage at each point, volts, shape (n_points,)."""
        return _as_solution(self).voltage(node)

    def current(self, element: str) -> np.ndarray:
        """One element's current at each point, amperes, shape (n_points,)."""
        return self.currents[element.lower()]


def _as_solution(result: SweepResult) -> Solution:
    return Solution(result.nodes, result.voltages, result.currents, result.solver)


def check_source(circuit: Circuit, name: str) -> str:
    """The lower-case name of independent source `name`; CircuitValidationError naming it
    (and the sources there are) when the circuit has no V or I source of that name."""
    key = name.lower()
    element = circuit.elements.get(key)
    if element is None or element.kind.letter not in ("V", "I"):
        known = [e.name for e in circuit.elements.values() if e.kind.letter in ("V", "I")]
        what = (f"no V or I source of that name" if element is None
                else f"{key} is a {element.kind.name}, not a V or I source")
        raise CircuitValidationError(f"cannot sweep {name!r}: {what} (the circuit's sources: "
                                     f"{', '.join(known) or 'none'})")
    return key


def dc_sweep(circuit: Circuit | CompiledCircuit, source: str, values: np.ndarray | list[float], *,
             solver: str = "cd", second: tuple[str, np.ndarray | list[float]] | None = None,
             fixed: Mapping[str, float] | None = None, method: str = "auto",
             tol: float = DEFAULT_TOL, circuit_values: CircuitValues | None = None) -> SweepResult:
    """Solve `circuit` at every value of `source` (and of the outer source `second`).

    circuit: a Circuit or a CompiledCircuit.
    source: an independent voltage or current source (name, any case); values: its values,
        volts or amperes, shape (n,) (e.g. `sweep_values(0, 5, 0.1)`).
    second: (outer source, its values (m,)) for a two-source sweep: n * m points, the inner
        source fastest, as ngspice orders them; None for one source.
    fixed: other sources held at these values (volts or amperes) for the whole sweep; the
        rest keep their netlist (or `circuit_values`) values.
    solver: any name `solve` takes ("cd" default, "auto", "newton", "qp", "spice").
    method: "batch", "continuation" or "auto" (batch); see the module docstring.
        "continuation" needs a solver that takes warm starts (cd, newton, auto).
    tol: the solver's tolerance (see `solve`). circuit_values: conductances and source
        values to solve with (`CircuitValues`); None: the netlist's.

    Returns a SweepResult with n (or n * m) points.
    Raises CircuitValidationError for an unknown source, the same source twice, an empty
    list of values, an unknown method or solver; the solvers' errors otherwise.
    """
    if solver not in SOLVERS:
        raise CircuitValidationError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if method not in METHODS:
        raise CircuitValidationError(f"unknown sweep method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "continuation" and solver not in WARM_STARTS:
        raise CircuitValidationError(f"the {solver} solver takes no warm start: sweep it with "
                                     f"method='batch'")
    model = circuit.circuit if isinstance(circuit, CompiledCircuit) else circuit
    inner = _swept(model, source, values)
    outer = _swept(model, *second) if second is not None else None
    if outer is not None and outer[0] == inner[0]:
        raise CircuitValidationError(f"a two-source sweep needs two different sources, got "
                                     f"{inner[0]} twice")
    settings = {name.lower(): float(v) for name, v in (fixed or {}).items()}
    swept = {inner[0]} | ({outer[0]} if outer else set())
    if swept & set(settings):
        raise CircuitValidationError(f"{', '.join(sorted(swept & set(settings)))} is swept: it "
                                     f"cannot also be held fixed")
    shape = (len(outer[1]), len(inner[1])) if outer else (len(inner[1]),)
    if math.prod(shape) > MAX_POINTS:
        raise CircuitValidationError(f"the sweep has {math.prod(shape):,} points, more than "
                                     f"{MAX_POINTS:,}")
    columns = {inner[0]: np.tile(inner[1], shape[0] if outer else 1)}
    if outer:
        columns[outer[0]] = np.repeat(outer[1], len(inner[1]))
    compiled = circuit if isinstance(circuit, CompiledCircuit) else None
    if compiled is None and solver in WARM_STARTS:
        compiled = model.compile()  # once, not once per point
    target = compiled if compiled is not None else model
    start = time.perf_counter()
    if method == "continuation":
        solution, used = _continuation(target, columns, settings, shape, solver, tol, circuit_values), "continuation"
    else:
        inputs = {**settings, **columns}
        solution, used = solve(target, inputs, solver=solver, tol=tol, values=circuit_values), "batch"
    seconds = time.perf_counter() - start
    return SweepResult(
        source=inner[0], values=columns[inner[0]], nodes=list(solution.nodes),
        voltages=solution.voltages, currents=solution.currents, solver=solution.solver,
        method=used, seconds=seconds, residual=float(solution.residual),
        source2=outer[0] if outer else None, values2=columns[outer[0]] if outer else None,
        shape=shape)


def _swept(circuit: Circuit, name: str, values) -> tuple[str, np.ndarray]:
    key = check_source(circuit, name)
    array = np.asarray(values, dtype=float).reshape(-1)
    if array.size == 0:
        raise CircuitValidationError(f"the sweep of {key} has no values")
    if not np.isfinite(array).all():
        raise CircuitValidationError(f"the sweep of {key} has values that are not finite")
    return key, array


def _continuation(target, columns: dict[str, np.ndarray], settings: dict[str, float],
                  shape: tuple[int, ...], solver: str, tol: float,
                  circuit_values: CircuitValues | None) -> Solution:
    """One solve per point, each warm-started from its neighbour; the points as one Solution."""
    inner = shape[-1]
    solutions: list[Solution] = []
    for k in range(math.prod(shape)):
        neighbour = k - 1 if k % inner else k - inner
        warm = solutions[neighbour].voltages if neighbour >= 0 else None
        point = {**settings, **{name: float(column[k]) for name, column in columns.items()}}
        solutions.append(solve(target, point, solver=solver, tol=tol, warm_start=warm,
                               values=circuit_values))
    first = solutions[0]
    names = list(first.currents)
    currents = LazyCurrents(lambda: {name: np.concatenate([s.currents[name] for s in solutions])
                                     for name in names})
    used = "+".join(dict.fromkeys(s.solver for s in solutions))
    return Solution(first.nodes, np.concatenate([s.voltages for s in solutions]), currents, used,
                    sweeps=sum(s.sweeps for s in solutions),
                    residual=max(float(s.residual) for s in solutions))


def dc_sweep_of(circuit: Circuit | CompiledCircuit, sweep: DcSweep | None = None,
                **options) -> SweepResult:
    """Run a `.dc` card: `sweep` (default the circuit's own, `Circuit.dc`).

    options: passed to `dc_sweep` (solver, fixed, method, tol, circuit_values).
    Raises CircuitValidationError, naming the card, when there is no `.dc` card or its
    values are not a sweep (step 0 or of the wrong sign).
    """
    model = circuit.circuit if isinstance(circuit, CompiledCircuit) else circuit
    sweep = model.dc if sweep is None else sweep
    if sweep is None:
        raise CircuitValidationError(f"{model.source_file}: the netlist has no .dc card")
    values = []
    for part in (sweep, sweep.second) if sweep.second is not None else (sweep,):
        try:
            values.append((part.source, sweep_values(part.start, part.stop, part.step)))
        except ValueError as error:
            raise CircuitValidationError(f".dc {part.source}: {error}", sweep.location) from None
    return dc_sweep(circuit, *values[0], second=values[1] if len(values) > 1 else None, **options)

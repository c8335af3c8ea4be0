"""The trainer's one door to the solvers: free, nudged and clamped states for given parameters.

Parameters reach `solve` here and only here (see `Simulator.set_parameters`).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..compile.conditions import Clamp, Nudge
from ..compile.tables import CompiledCircuit, as_slice
from ..compile.values import CircuitValues
from ..errors import CircuitValidationError, ConvergenceError, DataError
from ..model.circuit import Circuit
from ..solvers import SOLVERS, solve
from ..solvers.session import KernelSession, LayeredSession, open_session
from .parameters import Parameters, circuit_with

#: solvers that get a circuit copy carrying the parameters (the others share compiled values)
REFERENCE_SOLVERS = ("qp", "spice")
#: Tolerance mode gives up (ConvergenceError) after this many sweeps.
MAX_SWEEPS = 100_000


@dataclass
class SolverSettings:
    """How states are computed.

    solver: "cd", "qp" or "spice".
    sweeps: fixed-sweep mode (as the reference): run exactly this many sweeps, no
        convergence check; None for tolerance mode.
    tol: convergence tolerance (volts, relative to the source range) in tolerance mode.
    dtype: "float64" or "float32".
    layered: cd only, the block kind (see `circuitnet.solve`): None chosen, False the
        numba kernel, True dense products; the states are the same either way.
    """

    solver: str = "cd"
    sweeps: int | None = None
    tol: float = 1e-6
    dtype: str = "float64"
    layered: bool | None = None


class Simulator:
    """Steady states of one circuit under changing trainable parameters.

    Every state is an array of node voltages, shape (batch, n_nodes), columns in `nodes`
    order. The reference solvers get a circuit copy carrying the parameters (`circuit_with`).
    In fixed-sweep mode (cd) the free and nudged states go through a session
    (`solvers.session.open_session`), which on a layered circuit prepares the work they
    share once per inputs; the states are those of `solve`.
    """

    def __init__(self, circuit: Circuit, settings: SolverSettings):
        if circuit.inputs is None:
            raise DataError(f"{circuit.source_file}: no '*@ input' directive: training needs to know "
                            "which voltage sources the data drive")
        if not circuit.outputs:
            raise DataError(f"{circuit.source_file}: no '*@ output' directive: training needs the output nodes")
        if settings.solver not in SOLVERS:
            raise CircuitValidationError(f"unknown solver {settings.solver!r}; choose one of {', '.join(SOLVERS)}")
        self.circuit = circuit
        self.settings = settings
        self.nodes = circuit.nodes
        self.output_index = np.array([self.nodes.index(n) for n in circuit.outputs])
        self._target: Circuit | CompiledCircuit = circuit
        self._values: CircuitValues | None = None
        self._bound: Parameters | None = None
        self._outputs_at: tuple | None = None
        self._order: tuple | None = None
        self._session: LayeredSession | KernelSession | None = None
        self._sweeper: LayeredSession | KernelSession | None = None

    def set_parameters(self, params: Parameters) -> None:
        """Use these conductances and biases for the following solves.

        With the cd solver the circuit is compiled once and the parameters are written into
        the simulator's `values` (`CircuitValues`), or, for parameters made the values' own
        by `bind`, only the biases.
        """
        if self.settings.solver in REFERENCE_SOLVERS:
            self._target = circuit_with(self.circuit, params)
            return
        if self._values is None:
            self._target = self.circuit.compile()
            self._values = self._target.values()
            position = {name: k for k, name in enumerate(self._target.res_names)}
            self._res_index = as_slice(np.array([position[n] for n in params.resistors], dtype=np.intp))
            column = self._target.sources.column
            self._bias_index = as_slice(np.array([column[n] for n in params.sources], dtype=np.intp))
            if self.settings.sweeps is not None:
                self._session = open_session(self._target, self._values, np.dtype(self.settings.dtype).type,
                                             self.settings.layered)
        if params is not self._bound:
            self._values.set_conductances(params.conductances, self._res_index)
        if len(params.biases):
            self._values.set_sources(params.biases, self._bias_index)

    def bind(self, params: Parameters) -> CompiledCircuit | None:
        """Make `params.conductances` the simulator's own conductance array (cd solver).

        When the trainable resistors are the compiled circuit's first ones, in order (as
        `build_drn` lists them), `values` stores its conductances in the solver's dtype
        and params.conductances becomes a read-only view of them: updates are written in
        place inside `editing`, and `set_parameters` copies nothing. Returns the compiled
        circuit when bound, else None (params unchanged).
        """
        if self.settings.solver in REFERENCE_SOLVERS:
            return None
        self.set_parameters(params)
        n = len(params.resistors)
        if not (isinstance(self._res_index, slice) and self._res_index == slice(0, n)):
            return None
        self._values.use_dtype(self.settings.dtype)
        params.conductances = self._values.conductance[:n]
        self._bound = params
        return self._target

    @contextmanager
    def editing(self, params: Parameters) -> Iterator[np.ndarray | None]:
        """A block in which `params` may be changed in place. For bound parameters, yields the
        writable conductance array of `values` (the solver sees the new values after the
        block); otherwise yields None and the next `set_parameters` copies the values."""
        if params is self._bound:
            with self._values.editing() as conductance:
                view = params.conductances
                view.flags.writeable = True  # a view keeps the flag it was made with
                try:
                    yield conductance
                finally:
                    view.flags.writeable = False
        else:
            yield None

    @property
    def compiled(self) -> CompiledCircuit | None:
        """The compiled circuit (cd solver, after the first `set_parameters`)."""
        return self._target if isinstance(self._target, CompiledCircuit) else None

    @property
    def values(self) -> CircuitValues | None:
        """The conductances and source values solved with (cd solver, after the first
        `set_parameters`)."""
        return self._values

    def _output_conductance(self) -> np.ndarray:
        """Total conductance of the resistors at each output node, siemens (from resistors
        touching an output only, found once)."""
        cc, key = self._target, self._values.key
        if self._outputs_at is None:
            slot = np.full(cc.n_all, -1, dtype=np.intp)
            slot[[cc.node_index(n) for n in self.circuit.outputs]] = np.arange(len(self.circuit.outputs))
            ends = [(np.flatnonzero(slot[pins] >= 0), slot[pins][slot[pins] >= 0]) for pins in (cc.res_a, cc.res_b)]
            self._outputs_at = (ends, None, None)
        ends, known, values = self._outputs_at
        if known != key:
            n = len(self.circuit.outputs)
            conductance = self._values.conductance
            values = sum(np.bincount(where, conductance[resistors].astype(float), n) for resistors, where in ends)
            self._outputs_at = (ends, key, values)
        return values

    @property
    def n_features(self) -> int:
        """Number of data features the circuit takes."""
        return self.circuit.inputs.n_features

    def free(self, x: np.ndarray) -> np.ndarray:
        """Free state for inputs x (batch, n_features), started cold."""
        return self._solve(x)

    def nudged(self, x: np.ndarray, beta: float, targets: np.ndarray, warm: np.ndarray) -> np.ndarray:
        """State with the outputs nudged by conductance beta towards targets (batch, n_outputs).

        A negative beta must stay below every output node's total conductance, or the nudged
        energy is not convex (no steady state): ConvergenceError then says so.
        """
        self._check_negative_nudge(beta)
        return self._solve(x, nudge=Nudge(self.circuit.outputs, beta, targets), warm_start=warm)

    def nudged_both_ways(self, x: np.ndarray, beta: float, targets: np.ndarray, warm: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
        """`nudged` with +beta and with -beta (beta > 0); through a session, as one stacked
        solve of both (half the per-solve work of two)."""
        if self._session is None:
            return self.nudged(x, beta, targets, warm), self.nudged(x, -beta, targets, warm)
        self._check_negative_nudge(-beta)
        nudges = [Nudge(self.circuit.outputs, sign * beta, targets) for sign in (1.0, -1.0)]
        plus, minus = self._session.solve_nudged(x, sweeps=self.settings.sweeps, nudges=nudges, warm_start=warm)
        names = self._session.cc.node_names
        return self._in_node_order(names, plus), self._in_node_order(names, minus)

    def relaxation(self, x: np.ndarray, beta: float, targets: np.ndarray, warm: np.ndarray) -> Iterator[np.ndarray]:
        """The relaxation nudged by beta (siemens, negative allowed as in `nudged`) from `warm`,
        one cd sweep at a time: yields the state (batch, n_nodes) after each sweep. Each sweep
        solves with the parameters set when it starts (`set_parameters` between two sweeps
        takes effect at the next). Fixed-sweep mode: `sweeps` sweeps; tolerance mode: until a
        sweep changes no voltage by more than tol * max(1 V, largest |warm|), else
        ConvergenceError after MAX_SWEEPS. The cd solver only (CircuitValidationError)."""
        s = self.settings
        if s.solver != "cd":
            raise CircuitValidationError(f"a sweep-by-sweep relaxation needs the cd solver, not {s.solver!r}")
        if self._sweeper is None:
            self._sweeper = self._session or open_session(self._target, self._values, np.dtype(s.dtype).type,
                                                          s.layered)
        nudge = Nudge(self.circuit.outputs, beta, targets)
        tolerance = s.tol * max(1.0, float(np.abs(warm).max(initial=0.0)))
        state = warm
        for _ in range(s.sweeps or MAX_SWEEPS):
            self._check_negative_nudge(beta)
            new = self._in_node_order(self._sweeper.cc.node_names,
                                      self._sweeper.solve(x, sweeps=1, nudge=nudge, warm_start=state))
            yield new
            if s.sweeps is None and float(np.abs(new - state).max(initial=0.0)) <= tolerance:
                return
            state = new
        if s.sweeps is None:
            raise ConvergenceError(f"the nudged relaxation did not settle to {tolerance:.3g} V in {MAX_SWEEPS} sweeps")

    def _check_negative_nudge(self, beta: float) -> None:
        if beta < 0 and self._values is not None and -beta >= self._output_conductance().min():
            conductance = self._output_conductance()
            k = int(np.argmin(conductance))
            raise ConvergenceError(
                f"negative nudging beta={beta:g} S exceeds the {conductance[k]:.3g} S of "
                f"resistors at output {self.circuit.outputs[k]!r}: the nudged circuit has no steady "
                "state; use a smaller beta (or a positive-only algorithm: pep, pcpl, cl, agnostic-ep --mode "
                "optimistic, continual-ep)")

    def clamped(self, x: np.ndarray, values: np.ndarray, warm: np.ndarray) -> np.ndarray:
        """State with the outputs clamped to values (batch, n_outputs), volts."""
        return self._solve(x, clamp=Clamp(self.circuit.outputs, values), warm_start=warm)

    def outputs(self, state: np.ndarray) -> np.ndarray:
        """Output voltages of a state, shape (batch, n_outputs)."""
        return state[:, self.output_index]

    def _solve(self, x: np.ndarray, **conditions) -> np.ndarray:
        s = self.settings
        if self._session is not None and conditions.get("clamp") is None:
            voltages = self._session.solve(x, sweeps=s.sweeps, nudge=conditions.get("nudge"),
                                           warm_start=conditions.get("warm_start"))
            return self._in_node_order(self._session.cc.node_names, voltages)
        solution = solve(self._target, x, solver=s.solver, tol=s.tol, max_sweeps=MAX_SWEEPS,
                         sweeps=None if s.solver in REFERENCE_SOLVERS else s.sweeps, dtype=np.dtype(s.dtype).type,
                         **({} if s.solver in REFERENCE_SOLVERS else {"layered": s.layered, "values": self._values}),
                         **conditions)
        return self._in_node_order(solution.nodes, solution.voltages)

    def _in_node_order(self, names: list[str], voltages: np.ndarray) -> np.ndarray:
        """The columns of `voltages` (named by `names`) in `self.nodes` order (the column
        choice is kept for the last list of names seen)."""
        if self._order is None or self._order[0] is not names:
            same = names[:len(self.nodes)] == self.nodes
            self._order = (names, slice(0, len(self.nodes)) if same else [names.index(n) for n in self.nodes])
        return voltages[:, self._order[1]]

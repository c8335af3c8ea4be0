"""The trainer's one door to the solvers: free, nudged and clamped states for given parameters.

This is the one place that would change if `solve` took parameter overrides itself.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np

from ..circuit import Circuit
from ..compiled import CompiledCircuit
from ..conditions import Clamp, Nudge, make_conditions
from ..errors import CircuitValidationError, DataError
from ..solvers import SOLVERS
from .parameters import Parameters, circuit_with


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
    """

    solver: str = "cd"
    sweeps: int | None = None
    tol: float = 1e-6
    dtype: str = "float64"


class Simulator:
    """Steady states of one circuit under changing trainable parameters.

    Every state is an array of node voltages, shape (batch, n_nodes), columns in `nodes`
    order. Parameters reach the solver here and only here: with the `cd` solver the circuit
    is compiled once and each solve overrides its conductance array and the bias sources'
    values; the reference solvers get a circuit copy carrying the values (`circuit_with`).
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
        self._module = importlib.import_module(f"..solvers.{SOLVERS[settings.solver]}", __package__)
        self._compiled = circuit.compile() if settings.solver == "cd" else None
        self._target: Circuit | CompiledCircuit = self._compiled or circuit
        self._params: Parameters | None = None
        self._res_index: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        """Number of data features the circuit takes."""
        return self.circuit.inputs.n_features

    def set_parameters(self, params: Parameters) -> None:
        """Use these conductances and biases (copied) for the following solves."""
        self._params = params.copy()
        if self._compiled is None:
            self._target = circuit_with(self.circuit, params)
            return
        if self._res_index is None:
            position = {name: k for k, name in enumerate(self._compiled.res_names)}
            self._res_index = np.array([position[n] for n in params.resistors], dtype=np.intp)
        self._compiled.conductance[self._res_index] = params.conductances

    def free(self, x: np.ndarray) -> np.ndarray:
        """Free state for inputs x (batch, n_features), started cold."""
        return self._solve(x)

    def nudged(self, x: np.ndarray, beta: float, targets: np.ndarray, warm: np.ndarray) -> np.ndarray:
        """State with the outputs nudged by conductance beta towards targets (batch, n_outputs)."""
        return self._solve(x, nudge=Nudge(self.circuit.outputs, beta, targets), warm_start=warm)

    def clamped(self, x: np.ndarray, values: np.ndarray, warm: np.ndarray) -> np.ndarray:
        """State with the outputs clamped to values (batch, n_outputs), volts."""
        return self._solve(x, clamp=Clamp(self.circuit.outputs, values), warm_start=warm)

    def outputs(self, state: np.ndarray) -> np.ndarray:
        """Output voltages of a state, shape (batch, n_outputs)."""
        return state[:, self.output_index]

    def _solve(self, x: np.ndarray, nudge: Nudge | None = None, clamp: Clamp | None = None,
               warm_start: np.ndarray | None = None) -> np.ndarray:
        s = self.settings
        conditions = make_conditions(self.circuit, x, nudge=nudge, clamp=clamp)
        if self._params is not None:
            for name, b in zip(self._params.sources, self._params.biases):
                conditions.sources[name][:] = b
        options = dict(tol=s.tol, max_sweeps=MAX_SWEEPS, warm_start=warm_start, dtype=np.dtype(s.dtype).type)
        if s.sweeps is not None and self._compiled is not None:
            options["sweeps"] = s.sweeps
        solution = self._module.solve_conditions(self._target, conditions, **options)
        if solution.nodes[:len(self.nodes)] != self.nodes:
            return solution.voltages[:, [solution.nodes.index(n) for n in self.nodes]]
        return solution.voltages[:, :len(self.nodes)]

"""Repeated fixed-sweep solves of one circuit that share their inputs: `open_session`.

A training step solves the same circuit, with the same inputs and conductances, three
times: the free state and two nudged states warm-started from it. Everything that
depends only on the inputs and conductances (the fixed nodes' voltages, the current
sources' injections, the input layer's projection x @ G_1, the weight sums and the
diode bounds) is the same for the three, so a `LayeredSession` prepares it once (a
`LayeredRelaxation`, see `layered.py`) and gives each solve only its own nudge and
start. The states are exactly those of `solve(..., sweeps=K)` (the same sweeps in the
same order); only the per-solve bookkeeping (conditions, offsets, Solution objects,
residual certificates) is left out, which is what makes small-batch training steps run
near the speed of their matrix products. On a circuit the dense blocks cannot run (or
with `layered=False`), `open_session` returns a `KernelSession`, which calls `solve` per
nudge: the same interface and states, without the shared preparation.
"""
from __future__ import annotations

import numpy as np

from ..compile.conditions import Inputs, Nudge, check_nodes, make_conditions
from ..compile.tables import CompiledCircuit
from ..compile.values import CircuitValues
from ..errors import InfeasibleCircuitError
from . import solve
from .coordinate_descent import State
from .layered import LayeredRelaxation, _positions, plan_layers, stacked


def open_session(cc: CompiledCircuit, values: CircuitValues | None = None, dtype: type = np.float64,
                 layered: bool | None = None) -> "LayeredSession | KernelSession":
    """A session for fixed-sweep solves of `cc` with `values` (None: the netlist's; edits
    the caller makes to them reach the following solves): dense (`LayeredSession`) where
    `solve` with this `layered` would choose dense blocks, else a `KernelSession`."""
    if layered is not False and (cc.layer_plan() is not None or layered):
        return LayeredSession(cc, values, dtype)
    return KernelSession(cc, values, dtype)


class KernelSession:
    """Fixed-sweep solves of any compiled circuit through `solve(..., layered=False)`.

    values: the conductances and source values (None: the netlist's); dtype: np.float32 or np.float64, the
    working precision of the states.
    """

    def __init__(self, cc: CompiledCircuit, values: CircuitValues | None = None, dtype: type = np.float64):
        self.cc, self.values = cc, _values_of(cc, values)
        self.dtype = np.dtype(dtype)

    def solve(self, inputs: Inputs, *, sweeps: int, nudge: Nudge | None = None,
              warm_start: np.ndarray | None = None) -> np.ndarray:
        """Node voltages (batch, n_user), volts, after exactly `sweeps` sweeps (see
        `LayeredSession.solve`)."""
        return solve(self.cc, inputs, sweeps=sweeps, nudge=nudge, warm_start=warm_start,
                     dtype=self.dtype.type, layered=False, values=self.values).voltages

    def solve_nudged(self, inputs: Inputs, *, sweeps: int, nudges: list[Nudge | None],
                     warm_start: np.ndarray | None = None) -> list[np.ndarray]:
        """`solve` once per nudge, all from the same start."""
        return [self.solve(inputs, sweeps=sweeps, nudge=n, warm_start=warm_start) for n in nudges]


class LayeredSession:
    """Fixed-sweep cd solves of one layered compiled circuit by dense blocks.

    values: the conductances and source values (None: the netlist's; edits to them
    reach the next solve);
    dtype: np.float32 or np.float64, the working precision of the states.
    The prepared relaxation is kept while the input array and the values' key stay the same.
    """

    def __init__(self, cc: CompiledCircuit, values: CircuitValues | None = None, dtype: type = np.float64):
        self.cc, self.values = cc, _values_of(cc, values)
        self.plan = cc.layer_plan() or plan_layers(cc, require_dense_pays=False)
        if self.plan is None:
            raise ValueError("LayeredSession needs a layered circuit (see solvers.layered)")
        self.dtype = np.dtype(dtype)
        self._key: tuple[tuple[int, int], np.ndarray] | None = None
        self._prepared_for: tuple[LayeredRelaxation, np.ndarray] | None = None
        self._nudged_layers: dict[tuple[str, ...], list] = {}
        self._where = (_layer_numbers(self.plan, cc.n_all), _positions(self.plan, cc))

    def solve(self, inputs: Inputs, *, sweeps: int, nudge: Nudge | None = None,
              warm_start: np.ndarray | None = None) -> np.ndarray:
        """Node voltages (batch, n_user), volts, after exactly `sweeps` sweeps.

        inputs: as for `circuitnet.solve`; nudge: extra conductance beta (siemens) from the
        named nodes to their targets (volts); warm_start: voltages (batch, n_user) to start
        from (else 0 V at every free node, as a cold `solve`).
        """
        return self.solve_nudged(inputs, sweeps=sweeps, nudges=[nudge], warm_start=warm_start)[0]

    def solve_nudged(self, inputs: Inputs, *, sweeps: int, nudges: list[Nudge | None],
                     warm_start: np.ndarray | None = None) -> list[np.ndarray]:
        """`solve` once per nudge (None: not nudged), all from the same start: the copies are
        stacked into one batch, so each half-sweep is one set of products for all of them.
        The nudges must name the same nodes. Returns one (batch, n_user) array per nudge."""
        cc = self.cc
        base, fixed = self._prepared(inputs)
        batch, copies = fixed.shape[0], len(nudges)
        for nudge in nudges:
            check_nodes(cc.sources, nudge, batch)
        if warm_start is None:
            states = [np.zeros((copies * batch, len(nodes)), dtype=self.dtype) for nodes in self.plan.layers]
        else:
            warm = np.asarray(warm_start)
            if warm.shape != (batch, cc.n_user):
                raise ValueError(f"warm_start has shape {warm.shape}, expected ({batch}, {cc.n_user})")
            states = [stacked(warm[:, nodes].astype(self.dtype, copy=False), copies) for nodes in self.plan.columns]
        relaxation = base.variant(states, self._nudges(nudges, batch), copies)
        for _ in range(sweeps):
            relaxation.sweep(measure=False)
        voltages = stacked(fixed, copies)
        relaxation.write(voltages)
        return [voltages[c * batch:(c + 1) * batch, :cc.n_user] for c in range(copies)]

    def _prepared(self, inputs: Inputs) -> tuple[LayeredRelaxation, np.ndarray]:
        """The relaxation for these inputs and values, and the node voltages (batch, n_all)
        with the fixed ones set. Kept while an input array and the values' key repeat."""
        cc, values = self.cc, self.values
        if not (self._key is not None and isinstance(inputs, np.ndarray) and self._key[0] == values.key
                and np.array_equal(self._key[1], inputs)):
            conditions = make_conditions(cc.circuit, inputs, table=cc.sources, source_values=values.sources)
            state = State.prepare(cc, conditions, None, self.dtype.type)
            base = LayeredRelaxation(self.plan, state.v, state.inj, state.leak, cc, values)
            if base.infeasible:
                raise InfeasibleCircuitError(
                    "the ideal-diode constraints cannot all hold: some node is forced above one "
                    "diode's limit and below another's")
            self._prepared_for = (base, state.v)
            self._key = (values.key, np.array(inputs, copy=True)) if isinstance(inputs, np.ndarray) else None
        return self._prepared_for

    def _nudges(self, nudges: list[Nudge | None], batch: int) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """Entries per layer for `LayeredRelaxation.variant`: positions, beta per copy and the
        stacked targets (fixed nodes ignored: a conductance to a node held by a source
        changes no free voltage)."""
        named = [n for n in nudges if n is not None]
        if not named:
            return []
        names = tuple(named[0].nodes)
        if any(tuple(n.nodes) != names for n in named):
            raise ValueError("the nudges of one stacked solve must name the same nodes")
        if names not in self._nudged_layers:
            nodes = np.array([self.cc.node_index(n) for n in names], dtype=np.intp)
            layer, position = self._where[0][nodes], self._where[1][nodes]
            self._nudged_layers[names] = [(int(k), position[layer == k], layer == k)
                                          for k in np.unique(layer[layer >= 0])]
        betas = np.array([0.0 if n is None else float(n.beta) for n in nudges])
        targets = np.concatenate([np.zeros((batch, len(names))) if n is None else np.atleast_2d(n.targets)
                                  for n in nudges])
        return [(k, where, betas, targets[:, chosen]) for k, where, chosen in self._nudged_layers[names]]


def _values_of(cc: CompiledCircuit, values: CircuitValues | None) -> CircuitValues:
    """`values`, checked against `cc`, or the netlist's when None."""
    if values is None:
        return cc.netlist_values
    cc.check_values(values)
    return values


def _layer_numbers(plan, n_all: int) -> np.ndarray:
    """Per node: the number of its layer, or -1 for fixed nodes."""
    layer = np.full(n_all, -1, dtype=np.intp)
    for k, nodes in enumerate(plan.layers):
        layer[nodes] = k
    return layer

"""The `cd` solver: exact coordinate descent, batched, with VCVS by block iteration.

The Python here prepares a solve's arrays (`State`: offsets, injections, start point),
hands them to the blocks that execute the sweep plan (`blocks.py`: numba kernel or dense
products), runs the one policy every block kind shares (relax to a loose tolerance,
polish exactly, certify; or exactly K sweeps), iterates VCVS outputs, and builds the
Solution.
"""
from __future__ import annotations

import time

import numpy as np

from ..compile.conditions import Conditions
from ..compile.tables import CompiledCircuit, as_slice
from ..compile.values import CircuitValues
from ..errors import CircuitValidationError, ConvergenceError, InfeasibleCircuitError
from ..model.circuit import Circuit
from ..model.topology import incidence_matrix
from .active_set import can_polish
from .blocks import choose_blocks
from .kkt import balance
from .solution import LazyCurrents, Solution

VCVS_ITERATIONS = 500
#: relative tolerance of the coordinate descent that finds the active set before the polish
LOOSE_TOL = 1e-4
#: sweeps allowed to that first stage
LOOSE_SWEEPS = 2000


def solve_conditions(circuit: Circuit | CompiledCircuit, conditions: Conditions,
                     values: CircuitValues | None = None, *, tol: float,
                     max_sweeps: int, warm_start: np.ndarray | None = None,
                     dtype: type = np.float64, sweeps: int | None = None,
                     layered: bool | None = None) -> Solution:
    """Solve with coordinate descent (see `circuitnet.solve` for the arguments).

    sweeps: when given, run exactly this many sweeps per VCVS iteration (the reference's
    fixed-sweep mode): no convergence error, the residual is still reported.
    layered: the block kind (`blocks.choose_blocks`): True dense, False kernel, None chosen.
    values: the conductances (the source values are in `conditions`); None: the netlist's.
    """
    start = time.perf_counter()
    cc = circuit if isinstance(circuit, CompiledCircuit) else circuit.compile()
    values = cc.netlist_values if values is None else values
    if not cc.plain_junctions:
        raise CircuitValidationError(
            "breakdown (BV), the knee current (IKF) and the recombination current (ISR) are modelled "
            "by the newton solver; coordinate descent keeps the plain exponential (use solver='newton' or 'auto')")
    if cc.nonsymmetric:
        names = ", ".join((cc.couplings.names + cc.ccvs_names)[:3])
        raise CircuitValidationError(
            f"controlled sources G, F and H ({names}) are solved by the newton solver; coordinate "
            f"descent takes resistors, diodes, independent sources and VCVS (use solver='newton' or 'auto')")
    if conditions.clamp is not None:
        cc = cc.with_clamped(tuple(conditions.clamp.nodes))
    state = State.prepare(cc, conditions, warm_start, dtype)
    scale = max(1.0, float(np.abs(state.off).max(initial=0.0)))
    tol_v = max(tol, 8 * np.finfo(dtype).eps) * scale
    blocks = choose_blocks(cc, values, state, layered)
    if sweeps is None and can_polish(cc):
        used = _relax_and_polish(blocks, tol_v, scale, max_sweeps)
    else:
        used = _iterate(cc, blocks, state, tol_v, max_sweeps, sweeps)
    residual, violation, conductance = blocks.certificate(tol_v)
    if violation > 100 * tol_v:
        raise InfeasibleCircuitError(
            f"an ideal diode is forced beyond its limit by {violation:.3g} V: its terminals are "
            f"fixed by sources, so the diode constraints cannot all hold")
    if sweeps is None and residual > 100.0 * tol_v * max(conductance, 1e-12):
        return _fall_back(cc, values, conditions, residual)
    return Solution(nodes=cc.node_names[:cc.n_user], voltages=state.v[:, :cc.n_user].copy(),
                    currents=LazyCurrents(lambda: _currents(cc, values, state, conditions, tol_v)),
                    solver="cd", sweeps=used, residual=residual, diode_violation=violation,
                    seconds=time.perf_counter() - start)


def _relax_and_polish(blocks, tol_v: float, scale: float, max_sweeps: int) -> int:
    """Coordinate descent to a loose tolerance, then the blocks' exact polish; returns sweeps.

    Where the polish fails, coordinate descent goes on to the full tolerance.
    """
    used = blocks.relax(max(tol_v, LOOSE_TOL * scale), min(max_sweeps, LOOSE_SWEEPS), None,
                        tight=10 * tol_v, strict=False)
    if blocks.polish(tol_v, scale, max_sweeps):
        return used
    return used + blocks.relax(tol_v, max_sweeps, None)


class State:
    """The arrays of one solve, in its dtype: v node voltages and off node offsets within
    their groups (batch, n_all), volts; inj injected currents (batch, n_all), amperes; leak
    nudging conductances (n_all,), siemens; tie_values per tie kind (V sources, VCVS,
    clamps) an array (batch, count) of volts (float64)."""

    def __init__(self, v, off, inj, leak, tie_values):
        self.v, self.off, self.inj, self.leak, self.tie_values = v, off, inj, leak, tie_values

    @classmethod
    def prepare(cls, cc: CompiledCircuit, conditions: Conditions, warm_start, dtype) -> "State":
        batch = conditions.batch
        tie_values = _tie_values(cc, conditions)
        off = _offsets(cc, tie_values)
        inj = np.zeros((batch, cc.n_all))
        currents = _columns(conditions, cc.isrc_names)
        if currents.shape[1]:
            inj += (_source_incidence(cc) @ currents.T).T
        leak = np.zeros(cc.n_all)
        if conditions.nudge is not None:
            nodes = [cc.node_index(n) for n in conditions.nudge.nodes]
            leak[nodes] = conditions.nudge.beta
            inj[:, nodes] += conditions.nudge.beta * np.atleast_2d(conditions.nudge.targets)
        v = _start(cc, off, warm_start)
        return cls(v.astype(dtype), off.astype(dtype), inj.astype(dtype), leak.astype(dtype),
                   tie_values)


def _tie_values(cc: CompiledCircuit, conditions: Conditions) -> list[np.ndarray]:
    """Per tie kind (V sources, VCVS, clamps, CCVS) an array (batch, count) of tie voltages
    (VCVS and CCVS: 0 V until a solver sets them)."""
    batch = conditions.batch
    sources = _columns(conditions, cc.vsrc_names)
    clamps = np.atleast_2d(conditions.clamp.values) if conditions.clamp is not None \
        else np.zeros((batch, 0))
    return [sources, np.zeros((batch, len(cc.vcvs_names))), clamps, np.zeros((batch, len(cc.ccvs_names)))]


def _columns(conditions: Conditions, names: list[str]) -> np.ndarray:
    """Values of the named sources, shape (batch, len(names))."""
    return conditions.values[:, conditions.table.positions(names)]


def _source_incidence(cc: CompiledCircuit):
    """Sparse (n_all, n_I): current source k takes its value from node isrc_pos[k] (-1) and
    gives it to isrc_neg[k] (+1); `incidence @ currents.T` is the injection per node (cached)."""
    return cc.derived("isrc_incidence", lambda: incidence_matrix(cc.isrc_pos, cc.isrc_neg, cc.n_all))


def _offsets(cc: CompiledCircuit, tie_values: list[np.ndarray]) -> np.ndarray:
    """Node offsets (batch, n_all), volts: fixed nodes get their voltage, group roots 0."""
    tree = cc.tree
    batch = tie_values[0].shape[0]
    off = np.zeros((batch, cc.n_all))
    for level, parts, child, parent in cc.derived("level_plan", lambda: _level_plan(tree)):
        sign = tree.sign[level]
        if len(parts) == 1 and parts[0][1] == slice(None):  # one kind fills the level
            kind, _, index = parts[0]
            values = tie_values[kind][:, index]
        else:
            values = np.empty((batch, level.stop - level.start))
            for kind, where, index in parts:
                values[:, where] = tie_values[kind][:, index]
        off[:, child] = values * sign if parent is None else off[:, parent] + sign * values
    return off


def _level_plan(tree) -> list[tuple]:
    """Per level of the tie tree: (edges, [(kind, positions within the level, indices into
    that kind's values)], child nodes, parent nodes or None where all parents are roots at
    offset 0 (a slice where they count up by one))."""
    plan = []
    for level in tree.levels:
        kinds = tree.kind[level]
        parts = []
        for kind in np.unique(kinds):
            where = np.flatnonzero(kinds == kind)
            whole = len(where) == len(kinds)
            parts.append((int(kind), slice(None) if whole else where, as_slice(tree.index[level][where])))
        parent = tree.parent[level]
        roots = level.start == 0  # the first level hangs from roots (ground or group roots)
        plan.append((level, parts, as_slice(tree.child[level]), None if roots else as_slice(parent)))
    return plan


def _start(cc: CompiledCircuit, off: np.ndarray, warm_start: np.ndarray | None) -> np.ndarray:
    """Initial node voltages: each group's first member at the warm-start value (else 0)."""
    v = off.copy()
    if warm_start is None:
        return v
    warm = np.asarray(warm_start, dtype=float)
    if warm.ndim != 2 or warm.shape[1] != cc.n_user or warm.shape[0] not in (1, off.shape[0]):
        raise ValueError(f"warm_start has shape {warm.shape}, expected ({off.shape[0]}, {cc.n_user})")
    first = cc.grp_nodes[cc.grp_ptr[:-1]]
    user = first < cc.n_user
    u = np.zeros((off.shape[0], cc.n_groups))
    u[:, user] = warm[:, first[user]] - off[:, first[user]]
    members = cc.grp_nodes
    v[:, members] += np.repeat(u, np.diff(cc.grp_ptr), axis=1)
    return v


def _iterate(cc: CompiledCircuit, blocks, state: "State", tol_v: float, max_sweeps: int,
             fixed: int | None) -> int:
    """Relax, then update VCVS outputs and relax again until they settle; returns sweeps used."""
    total = 0
    last_change = np.inf
    for iteration in range(VCVS_ITERATIONS):
        total += blocks.relax(tol_v, max_sweeps, fixed)
        if not len(cc.vcvs_names):
            return total
        change = _update_vcvs(cc, state)
        if change <= tol_v:
            return total
        if iteration > 20 and change > last_change * 1.5:
            raise ConvergenceError(
                f"VCVS loop diverges: output change {change:.3g} V grows at iteration {iteration} "
                f"(loop gain >= 1 through {', '.join(cc.vcvs_names)})")
        last_change = change
    raise ConvergenceError(f"VCVS outputs did not settle in {VCVS_ITERATIONS} block iterations "
                           f"(last change {last_change:.3g} V)")


def _update_vcvs(cc: CompiledCircuit, state: State) -> float:
    """Set VCVS outputs to gain * control voltage; shift voltages accordingly; return the change."""
    v = state.v
    new = cc.vcvs_gain * (v[:, cc.vcvs_cpos] - v[:, cc.vcvs_cneg])
    change = float(np.abs(new - state.tie_values[1]).max())
    state.tie_values[1] = new.astype(np.float64)
    off = _offsets(cc, state.tie_values).astype(v.dtype)
    state.v += off - state.off
    state.off = off
    return change


def _fall_back(cc: CompiledCircuit, values: CircuitValues, conditions: Conditions,
               residual: float) -> Solution:
    """Coordinate descent stalled at a non-optimal corner: solve exactly as a QP instead."""
    from . import qp

    solution = qp.solve_conditions(cc.circuit_with(values), conditions, tol=1e-12, max_sweeps=0)
    solution.info["fallback"] = f"qp (coordinate descent stalled, residual {residual:.3g} A)"
    return solution


def _currents(cc: CompiledCircuit, values: CircuitValues, state: State, conditions: Conditions,
              tol_v: float) -> dict:
    """Every element's current (amperes, SPICE sign), shape (batch,) each."""
    result = balance(cc, values.conductance, state.v.astype(np.float64), state.inj.astype(np.float64),
                     state.leak.astype(np.float64), tight_tol=10 * tol_v)
    currents: dict[str, np.ndarray] = {}
    for k, name in enumerate(cc.res_names[:cc.n_circuit_res]):
        currents[name] = result.resistor[:, k]
    for k, name in enumerate(cc.ideal_names):
        currents[name] = result.ideal[:, k]
    gmin_current = {n.split("#")[0]: result.resistor[:, k] for k, n in enumerate(cc.res_names)
                    if n.endswith("#gmin")}
    for k, name in enumerate(cc.shock_names):
        currents[name] = result.junction[:, k] + gmin_current[name]
    for edge, name in enumerate(cc.tie_element_names()):
        if name is not None:
            currents[name] = result.tie[:, edge]
    sources = _columns(conditions, cc.isrc_names)
    for k, name in enumerate(cc.isrc_names):
        currents[name] = sources[:, k]
    return currents

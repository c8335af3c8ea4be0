"""The `cd` solver: exact coordinate descent, batched, with VCVS by block iteration.

The Python here prepares arrays (offsets, injections, start point), calls the numba
kernel `kernels.relax`, iterates VCVS outputs, and certifies the result with the KKT
residual (`kkt.balance`).
"""
from __future__ import annotations

import time

import numpy as np

from ..circuit import Circuit
from ..compiled import CompiledCircuit, as_slice
from ..conditions import Conditions
from ..errors import ConvergenceError, InfeasibleCircuitError
from ..solution import LazyCurrents, Solution
from . import kernels
from .active_set import can_polish, polish
from .kkt import Balance, balance
from .layered import LayeredRelaxation

VCVS_ITERATIONS = 500
#: relative tolerance of the coordinate descent that finds the active set before the polish
LOOSE_TOL = 1e-4
#: sweeps allowed to that first stage
LOOSE_SWEEPS = 2000


def solve_conditions(circuit: Circuit | CompiledCircuit, conditions: Conditions, *, tol: float,
                     max_sweeps: int, warm_start: np.ndarray | None = None,
                     dtype: type = np.float64, sweeps: int | None = None) -> Solution:
    """Solve with coordinate descent (see `circuitnet.solve` for the arguments).

    sweeps: when given, run exactly this many sweeps per VCVS iteration (the reference's
    fixed-sweep mode): no convergence error, the residual is still reported.
    """
    start = time.perf_counter()
    cc = circuit if isinstance(circuit, CompiledCircuit) else circuit.compile()
    if conditions.clamp is not None:
        cc = cc.with_clamped(tuple(conditions.clamp.nodes))
    state = _State.prepare(cc, conditions, warm_start, dtype)
    scale = max(1.0, float(np.abs(state.off).max(initial=0.0)))
    tol_v = max(tol, 8 * np.finfo(dtype).eps) * scale
    if sweeps is None and cc.layer_plan() is None and can_polish(cc):
        used = _relax_and_polish(cc, state, tol_v, scale, max_sweeps)
    else:
        used = _iterate(cc, state, tol_v, max_sweeps, sweeps)
    if state.certificate is None:
        result = _balance(cc, state, tol_v)
        state.certificate = (result.residual, result.diode_violation, _max_node_conductance(cc))
    residual, violation, conductance = state.certificate
    if violation > 100 * tol_v:
        raise InfeasibleCircuitError(
            f"an ideal diode is forced beyond its limit by {violation:.3g} V: its terminals are "
            f"fixed by sources, so the diode constraints cannot all hold")
    if sweeps is None and residual > 100.0 * tol_v * max(conductance, 1e-12):
        return _fall_back(circuit, conditions, residual)
    return Solution(nodes=cc.node_names[:cc.n_user], voltages=state.v[:, :cc.n_user].copy(),
                    currents=LazyCurrents(lambda: _currents(cc, state, conditions, tol_v)),
                    solver="cd", sweeps=used, residual=residual, diode_violation=violation,
                    seconds=time.perf_counter() - start)


def _relax_and_polish(cc: CompiledCircuit, state: "_State", tol_v: float, scale: float,
                      max_sweeps: int) -> int:
    """Coordinate descent to a loose tolerance, then the exact active-set solve; returns sweeps.

    Where the active-set loop fails, coordinate descent goes on to the full tolerance.
    """
    used = _relax(cc, state, max(tol_v, LOOSE_TOL * scale), min(max_sweeps, LOOSE_SWEEPS), None,
                  tight=10 * tol_v, strict=False)
    v = state.v.astype(np.float64)
    if polish(cc, v, state.off.astype(np.float64), state.inj.astype(np.float64),
              state.leak.astype(np.float64), tol_v):
        state.v[...] = v
        return used
    return used + _relax(cc, state, tol_v, max_sweeps, None)


def _balance(cc: CompiledCircuit, state: "_State", tol_v: float) -> Balance:
    return balance(cc, state.v.astype(np.float64), state.inj.astype(np.float64),
                   state.leak.astype(np.float64), tight_tol=10 * tol_v)


class _State:
    """Arrays the kernel works on: v, off, inj (batch, n_all), leak (n_all,), tie values."""

    def __init__(self, v, off, inj, leak, tie_values):
        self.v, self.off, self.inj, self.leak, self.tie_values = v, off, inj, leak, tie_values
        #: (residual A, diode violation V, largest node conductance S), when already known
        self.certificate: tuple[float, float, float] | None = None

    @classmethod
    def prepare(cls, cc: CompiledCircuit, conditions: Conditions, warm_start, dtype) -> "_State":
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
    """Per kind (V sources, VCVS, clamps) an array (batch, count) of tie voltages."""
    batch = conditions.batch
    sources = _columns(conditions, cc.vsrc_names)
    clamps = np.atleast_2d(conditions.clamp.values) if conditions.clamp is not None \
        else np.zeros((batch, 0))
    return [sources, np.zeros((batch, len(cc.vcvs_names))), clamps]


def _columns(conditions: Conditions, names: list[str]) -> np.ndarray:
    """Values of the named sources, shape (batch, len(names))."""
    table = conditions.table
    cache = table.__dict__.setdefault("_positions", {})
    key = id(names)
    if key not in cache or cache[key][0] is not names:
        cache[key] = (names, np.array([table.column[n] for n in names], dtype=np.intp))
    return conditions.values[:, cache[key][1]]


def _source_incidence(cc: CompiledCircuit):
    """Sparse (n_all, n_I): current source k takes its value from node isrc_pos[k] (-1) and
    gives it to isrc_neg[k] (+1); `incidence @ currents.T` is the injection per node (cached)."""
    if "isrc_incidence" not in cc._variants:
        import scipy.sparse as sp

        n = len(cc.isrc_names)
        rows = np.concatenate([cc.isrc_pos, cc.isrc_neg])
        cols = np.concatenate([np.arange(n), np.arange(n)])
        data = np.concatenate([-np.ones(n), np.ones(n)])
        cc._variants["isrc_incidence"] = sp.csr_matrix((data, (rows, cols)), shape=(cc.n_all, n))
    return cc._variants["isrc_incidence"]


def _offsets(cc: CompiledCircuit, tie_values: list[np.ndarray]) -> np.ndarray:
    """Node offsets (batch, n_all), volts: fixed nodes get their voltage, group roots 0."""
    tree = cc.tree
    batch = tie_values[0].shape[0]
    off = np.zeros((batch, cc.n_all))
    for level, parts, child, parent in _level_plan(tree):
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
    """Per level of the tie tree (cached on it): (edges, [(kind, positions within the level,
    indices into that kind's values)], child nodes, parent nodes or None where all parents
    are roots at offset 0 (a slice where they count up by one))."""
    if "_level_plan" not in tree.__dict__:
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
        tree.__dict__["_level_plan"] = plan
    return tree.__dict__["_level_plan"]


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


def _iterate(cc: CompiledCircuit, state: _State, tol_v: float, max_sweeps: int,
             fixed: int | None) -> int:
    """Relax, then update VCVS outputs and relax again until they settle; returns sweeps used."""
    total = 0
    last_change = np.inf
    for iteration in range(VCVS_ITERATIONS):
        total += _relax(cc, state, tol_v, max_sweeps, fixed)
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


def _relax(cc: CompiledCircuit, state: _State, tol_v: float, max_sweeps: int, fixed: int | None,
           tight: float | None = None, strict: bool = True) -> int:
    """Sweeps until tol_v (volts) or max_sweeps (an error when `strict`); returns the count.

    tight: slack (volts) under which a diode counts as conducting; default 10 * tol_v.
    """
    plan = cc.layer_plan()
    if plan is not None:
        return _relax_layered(cc, plan, state, tol_v, max_sweeps, fixed)
    batch = state.v.shape[0]
    counts = np.zeros(batch, dtype=np.int64)
    kernels.relax(
        state.v, state.off, state.inj, state.leak, -1.0 if fixed else tol_v,
        10 * tol_v + 1e-12 if tight is None else tight, fixed or max_sweeps, not fixed, counts, cc.group_of, cc.grp_ptr, cc.grp_nodes,
        cc.adj_ptr, cc.adj_node, cc.adj_res, cc.conductance.astype(state.v.dtype),
        cc.idio_ptr, cc.idio_idx, cc.idio_role, cc.ideal_a, cc.ideal_c, cc.ideal_vf.astype(state.v.dtype),
        cc.sdio_ptr, cc.sdio_idx, cc.sdio_role, cc.shock_a, cc.shock_c, cc.shock_is, cc.shock_nvt,
        cc.pgrp_ptr, cc.pgrp_idx)
    if (counts < 0).any():
        _infeasible(int(np.flatnonzero(counts < 0)[0]))
    if strict and not fixed and (counts >= max_sweeps).any():
        _not_converged(max_sweeps, tol_v)
    return int(counts.max(initial=0))


def _relax_layered(cc: CompiledCircuit, plan, state: _State, tol_v: float, max_sweeps: int,
                   fixed: int | None) -> int:
    """The same sweeps as the kernel, as matrix products over whole layers (see layered.py)."""
    relaxation = LayeredRelaxation(plan, state.v, state.inj, state.leak, cc)
    if relaxation.infeasible:
        _infeasible(int(np.flatnonzero([np.any(lo > hi, axis=1) for lo, hi in
                                        zip(relaxation.lo, relaxation.hi)][0])[0]))
    previous = np.inf
    for sweep in range(1, (fixed or max_sweeps) + 1):
        change = relaxation.sweep(measure=not fixed)
        rate = min(change / previous, 0.999999) if previous > 0 else 0.0
        previous = change
        if not fixed and change <= tol_v and change * rate / (1 - rate) <= tol_v:
            break
    else:
        if not fixed:
            _not_converged(max_sweeps, tol_v)
    relaxation.write(state.v)
    state.certificate = (relaxation.residual(), 0.0, relaxation.max_degree)
    return sweep


def _infeasible(example: int):
    raise InfeasibleCircuitError(
        f"the ideal-diode constraints cannot all hold (example {example}): some node is "
        f"forced above one diode's limit and below another's")


def _not_converged(max_sweeps: int, tol_v: float):
    raise ConvergenceError(f"coordinate descent did not converge in {max_sweeps} sweeps "
                           f"(tolerance {tol_v:.3g} V); raise max_sweeps or tol")


def _update_vcvs(cc: CompiledCircuit, state: _State) -> float:
    """Set VCVS outputs to gain * control voltage; shift voltages accordingly; return the change."""
    v = state.v
    new = cc.vcvs_gain * (v[:, cc.vcvs_cpos] - v[:, cc.vcvs_cneg])
    change = float(np.abs(new - state.tie_values[1]).max())
    state.tie_values[1] = new.astype(np.float64)
    off = _offsets(cc, state.tie_values).astype(v.dtype)
    state.v += off - state.off
    state.off = off
    return change


def _max_node_conductance(cc: CompiledCircuit) -> float:
    """Largest total conductance at a node, siemens."""
    ends = np.concatenate([cc.res_a, cc.res_b])
    return float(np.bincount(ends, np.concatenate([cc.conductance, cc.conductance]),
                             minlength=cc.n_all).max(initial=0.0))


def _fall_back(circuit, conditions: Conditions, residual: float) -> Solution:
    """Coordinate descent stalled at a non-optimal corner: solve exactly as a QP instead."""
    from . import qp

    if isinstance(circuit, CompiledCircuit):
        circuit = circuit.current_circuit()
    solution = qp.solve_conditions(circuit, conditions, tol=1e-12, max_sweeps=0)
    solution.info["fallback"] = f"qp (coordinate descent stalled, residual {residual:.3g} A)"
    return solution


def _currents(cc: CompiledCircuit, state: _State, conditions: Conditions, tol_v: float) -> dict:
    """Every element's current (amperes, SPICE sign), shape (batch,) each."""
    result = _balance(cc, state, tol_v)
    currents: dict[str, np.ndarray] = {}
    for k, name in enumerate(cc.res_names[:cc.n_circuit_res]):
        currents[name] = result.resistor[:, k]
    for k, name in enumerate(cc.ideal_names):
        currents[name] = result.ideal[:, k]
    gmin_current = {n.split("#")[0]: result.resistor[:, k] for k, n in enumerate(cc.res_names)
                    if n.endswith("#gmin")}
    for k, name in enumerate(cc.shock_names):
        currents[name] = result.junction[:, k] + gmin_current[name]
    tree = cc.tree
    tables = [cc.vsrc_names, cc.vcvs_names, []]
    for edge in range(len(tree.child)):
        names = tables[tree.kind[edge]]
        if names:
            currents[names[tree.index[edge]]] = result.tie[:, edge]
    sources = _columns(conditions, cc.isrc_names)
    for k, name in enumerate(cc.isrc_names):
        currents[name] = sources[:, k]
    return currents

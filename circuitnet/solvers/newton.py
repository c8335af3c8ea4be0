"""The `newton` solver: Newton's method on the modified nodal equations.

For what coordinate descent does badly: Shockley diodes (with series resistance,
breakdown, any temperature), controlled sources with feedback, stiff conductance ratios,
circuits whose every node is fixed. Unknowns per example: the voltage of every node but
ground (internal junction nodes included) and one current per tie of the compiled tie
forest (voltage sources, VCVS outputs, clamps). Equations: Kirchhoff's current law at
every node and each tie's voltage law; each junction enters linearised at its current
voltage (conductance g and the equivalent current i - g * v), the junction law being
ngspice's (`model.junction.junction_current`).

As in SPICE, each junction's new voltage is limited (`pnjlim`) so the exponential cannot
overshoot; when plain Newton does not converge, gmin stepping (a shunt conductance at
every node, decreased decade by decade) and then source stepping (all sources ramped from
zero) find the operating point. The examples of a batch are the blocks of one
block-diagonal sparse system, factorised at once by SuperLU with an ordering kept per circuit (`sparse_lu`).
"""
from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from ..compile.conditions import Conditions
from ..compile.tables import CompiledCircuit
from ..compile.values import CircuitValues
from ..errors import CircuitValidationError, ConvergenceError
from ..model.junction import junction_current
from ..model.topology import incidence_matrix
from .coordinate_descent import State, _columns
from .solution import LazyCurrents, Solution
from .sparse_lu import PatternLU

#: Newton iterations per attempt (plain, each gmin step, each source step)
MAX_ITERATIONS = 200
#: gmin stepping: shunt conductances tried, siemens, down to none
GMIN_STEPS = tuple(10.0 ** -k for k in range(2, 13)) + (0.0,)
#: source stepping: fractions of the sources' values
SOURCE_STEPS = tuple(np.linspace(0.05, 1.0, 20))


def solve_conditions(cc: CompiledCircuit, conditions: Conditions, values: CircuitValues | None = None, *,
                     tol: float, warm_start: np.ndarray | None = None) -> Solution:
    """Operating points of every example of `conditions` (see `circuitnet.solve`).

    tol: volts, relative to the largest source voltage (at least 1 V): Newton stops when
    no node moves by more than tol and no junction was limited.
    Raises ConvergenceError (naming the worst node) when no strategy converges.
    """
    start = time.perf_counter()
    values = cc.netlist_values if values is None else values
    if len(cc.ideal_a):
        raise CircuitValidationError(
            "the newton solver takes Shockley diodes only; ideal diodes are solved exactly by "
            "the cd solver (solver='cd' or 'auto')")
    if conditions.clamp is not None:
        cc = cc.with_clamped(tuple(conditions.clamp.nodes))
    state = State.prepare(cc, conditions, warm_start, np.float64)
    system = NodalSystem(cc, values.conductance.astype(np.float64), state)
    scale = max(1.0, float(np.abs(state.off).max(initial=0.0)))
    x, strategy, iterations = system.solve(max(tol, 1e-14) * scale)
    v = system.voltages(x)
    residual = system.residual(x)
    return Solution(nodes=cc.node_names[:cc.n_user], voltages=v[:, :cc.n_user],
                    currents=LazyCurrents(lambda: system.currents(x, conditions)),
                    solver="newton", sweeps=iterations, residual=residual, diode_violation=0.0,
                    seconds=time.perf_counter() - start, info={"strategy": strategy})


class NodalSystem:
    """The modified nodal equations of one compiled circuit for a batch of conditions.

    Unknown vector per example: node voltages (n_all - 1,) volts, then tie currents
    (n_ties,) amperes (the current from a tie edge's parent node through the source into
    its child); examples are stacked, so x has shape (batch * size,).
    """

    def __init__(self, cc: CompiledCircuit, conductance: np.ndarray, state: State):
        self.cc, self.conductance, self.state = cc, conductance, state
        self.batch = state.v.shape[0]
        self.n_nodes = cc.n_all - 1
        self.n_ties = len(cc.tree.child)
        self.size = self.n_nodes + self.n_ties
        self._tie_rhs = self._tie_values()
        self._rows, self._cols, self._data = self._linear_part()
        self._junction_inflow = cc.incidence()[2][:self.n_nodes]  # (n_nodes, n_junctions) into each node
        self._linear: sp.csr_matrix | None = None
        self._constant: tuple[float, np.ndarray] | None = None  # (shunt, its pattern values)
        self.shunt = 0.0
        self.source_scale = 1.0

    # -- assembly -------------------------------------------------------------------
    def _unknown(self, node: np.ndarray) -> np.ndarray:
        """Unknown index of nodes (ground: -1, dropped)."""
        return np.where(node == self.cc.ground, -1, node)

    def _linear_part(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """COO triplets of one example's constant matrix: resistors, nudges, ties and the
        controlled sources' laws (`compile.couplings`)."""
        cc, n = self.cc, self.n_nodes
        rows, cols, data = [], [], []

        def add(r, c, d):
            r, c, d = np.broadcast_arrays(np.asarray(r), np.asarray(c), np.asarray(d, dtype=float))
            keep = (r >= 0) & (c >= 0)
            rows.append(r[keep].ravel()), cols.append(c[keep].ravel()), data.append(d[keep].ravel())

        a, b, g = self._unknown(cc.res_a), self._unknown(cc.res_b), self.conductance
        add(a, a, g), add(b, b, g), add(a, b, -g), add(b, a, -g)
        nodes = np.arange(n)
        add(nodes, nodes, self.state.leak[:n])
        tree = cc.tree
        edge = n + np.arange(self.n_ties)
        parent, child = self._unknown(tree.parent), self._unknown(tree.child)
        add(parent, edge, 1.0), add(child, edge, -1.0)
        add(edge, child, 1.0), add(edge, parent, -1.0)
        couplings = cc.couplings
        leaving = -incidence_matrix(couplings.pos, couplings.neg, cc.n_all)[:n]  # +1 at n+, -1 at n-
        laws = sp.vstack([leaving @ couplings.output_law, -couplings.tie_law]).tocoo()
        add(laws.row, laws.col, laws.data)
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(data)

    def _linear_matrix(self) -> sp.csr_matrix:
        """One example's constant matrix (size, size) as CSR."""
        if self._linear is None:
            self._linear = sp.csr_matrix((self._data, (self._rows, self._cols)), shape=(self.size, self.size))
        return self._linear

    def _tie_values(self) -> np.ndarray:
        """Right-hand side of the tie equations (batch, n_ties): sign * value for V sources
        and clamps, 0 for VCVS and CCVS (their laws are in the matrix)."""
        tree, ties = self.cc.tree, self.state.tie_values
        rhs = np.zeros((self.batch, self.n_ties))
        for kind in (0, 2):
            edges = np.flatnonzero(tree.kind == kind)
            rhs[:, edges] = tree.sign[edges] * ties[kind][:, tree.index[edges]]
        return rhs

    def _factor(self, slope: np.ndarray):
        """Factorise the block-diagonal Jacobian for junction slopes (batch, n_junctions),
        siemens: the linear part, the gmin-stepping shunt on every node's diagonal and the
        four entries of each junction. Raises RuntimeError when it is singular."""
        lu, kept = self._pattern()
        if self._constant is None or self._constant[0] != self.shunt:
            shunt = np.full((self.batch, self.n_nodes), self.shunt)
            entries = np.concatenate([np.broadcast_to(self._data, (self.batch, len(self._data))), shunt], axis=1)
            self._constant = (self.shunt, lu.assemble(entries))
        junction = np.concatenate([slope, slope, -slope, -slope], axis=1)[:, kept]
        return lu.factor(self._constant[1] + lu.assemble(junction, first=len(self._data) + self.n_nodes))

    def _pattern(self) -> tuple[PatternLU, np.ndarray]:
        """The Jacobian's factorisation plan (its pattern is the same at every iteration and
        every solve of this circuit and batch size: kept with the compiled circuit) and which
        of the four entries per junction fall on unknowns (not on ground)."""
        def plan():
            cc = self.cc
            a, c = self._unknown(cc.shock_a), self._unknown(cc.shock_c)
            jr, jc = np.concatenate([a, c, a, c]), np.concatenate([a, c, c, a])
            kept = (jr >= 0) & (jc >= 0)
            nodes = np.arange(self.n_nodes)
            rows = np.concatenate([self._rows, nodes, jr[kept]])
            cols = np.concatenate([self._cols, nodes, jc[kept]])
            return PatternLU(rows, cols, self.size, self.batch, self._equation_rows()), kept

        return self.cc.derived(("newton jacobian", self.batch), plan)

    def _equation_rows(self) -> np.ndarray:
        """Where each equation is factorised (`PatternLU` row_of): each tie's voltage law
        trades rows with the Kirchhoff law of the node it fixes (its child, or its parent
        when the child is ground), so that no diagonal is structurally zero."""
        row_of = np.arange(self.size)
        tree = self.cc.tree
        fixed = np.where(tree.child != self.cc.ground, tree.child, tree.parent)
        fixed = np.where(fixed == self.cc.ground, -1, fixed)
        edges = self.n_nodes + np.arange(self.n_ties)
        _, first = np.unique(fixed, return_index=True)
        swap = np.zeros(self.n_ties, dtype=bool)
        swap[first] = True
        swap &= fixed >= 0
        row_of[edges[swap]], row_of[fixed[swap]] = fixed[swap], edges[swap]
        return row_of

    def _rhs(self, current: np.ndarray, slope: np.ndarray, vj: np.ndarray) -> np.ndarray:
        """Right-hand side (batch, size) for junctions linearised at vj (batch, n_junctions)."""
        n = self.n_nodes
        rhs = np.empty((self.batch, self.size))
        equivalent = current - slope * vj  # the junction's current at zero volts of the tangent
        rhs[:, :n] = self.source_scale * self.state.inj[:, :n] + (self._junction_inflow @ equivalent.T).T
        rhs[:, n:] = self.source_scale * self._tie_rhs
        return rhs

    # -- iteration ------------------------------------------------------------------
    def voltages(self, x: np.ndarray) -> np.ndarray:
        """Node voltages (batch, n_all), ground included (0 V)."""
        v = np.zeros((self.batch, self.cc.n_all))
        v[:, :self.n_nodes] = x.reshape(self.batch, self.size)[:, :self.n_nodes]
        return v

    def _junction_voltages(self, x: np.ndarray) -> np.ndarray:
        v = self.voltages(x)
        return v[:, self.cc.shock_a] - v[:, self.cc.shock_c]

    def _law(self, vj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cc = self.cc
        return junction_current(vj, cc.shock_is, cc.shock_nvt, cc.shock_bv, cc.shock_nbvt, cc.shock_ikf,
                                cc.shock_isr, cc.shock_nrvt, cc.shock_vj, cc.shock_mj)

    def newton(self, x: np.ndarray, tol_v: float) -> tuple[np.ndarray, int] | None:
        """Newton from x to tolerance tol_v (volts); (x, iterations), or None when it fails."""
        cc = self.cc
        vj = self._junction_voltages(x)
        vcrit = cc.shock_nvt * np.log(cc.shock_nvt / (math.sqrt(2.0) * cc.shock_is))
        for iteration in range(1, MAX_ITERATIONS + 1):
            current, slope = self._law(vj)
            try:
                factor = self._factor(slope)
            except RuntimeError:  # singular: no DC path, or a loop of ties
                return None
            new = factor.solve(self._rhs(current, slope, vj)).ravel()
            if not np.all(np.isfinite(new)):
                return None
            proposed = self._junction_voltages(new)
            limited_vj, limited = limit_junctions(proposed, vj, cc.shock_nvt, vcrit, cc.shock_bv, cc.shock_nbvt)
            change = float(np.abs(new - x).reshape(self.batch, self.size)[:, :self.n_nodes].max(initial=0.0))
            x, vj = new, limited_vj
            if not limited and change <= tol_v and float(np.abs(proposed - vj).max(initial=0.0)) <= tol_v:
                return x, iteration
        return None

    def solve(self, tol_v: float) -> tuple[np.ndarray, str, int]:
        """The operating point: plain Newton, else gmin stepping, else source stepping.
        Returns (x, the strategy that converged, Newton iterations)."""
        x = np.zeros((self.batch, self.size))
        x[:, :self.n_nodes] = self.state.v[:, :self.n_nodes]
        x = x.ravel()
        plain = self.newton(x, tol_v)
        if plain is not None:
            return plain[0], "newton", plain[1]
        total = 0
        for strategy, steps in (("gmin stepping", GMIN_STEPS), ("source stepping", SOURCE_STEPS)):
            point, total, ok = x, 0, True
            for step in steps:
                self.shunt, self.source_scale = (step, 1.0) if strategy == "gmin stepping" else (0.0, step)
                found = self.newton(point, tol_v)
                if found is None:
                    ok = False
                    break
                point, total = found[0], total + found[1]
            self.shunt, self.source_scale = 0.0, 1.0
            if ok:
                return point, strategy, total
        raise ConvergenceError(self._failure_message(x))

    def _failure_message(self, x: np.ndarray) -> str:
        """Why no strategy converged, naming the node where plain Newton's residual is worst."""
        imbalance = np.abs(self._node_imbalance(x)).max(axis=0)
        worst = int(np.argmax(imbalance)) if imbalance.size else 0
        name = self.cc.node_names[worst] if imbalance.size else "?"
        return (f"newton found no operating point (plain Newton, gmin stepping and source stepping "
                f"failed); the current imbalance is largest at node {name!r}: check for a node "
                f"without a DC path, a loop of voltage sources, or a feedback loop with gain >= 1")

    # -- results ----------------------------------------------------------------------
    def _node_imbalance(self, x: np.ndarray) -> np.ndarray:
        """KCL imbalance (batch, n_nodes), amperes: current leaving each node minus injections."""
        cc, n = self.cc, self.n_nodes
        linear = self._linear_matrix()[:n] @ x.reshape(self.batch, self.size).T
        v = self.voltages(x)
        current, _ = self._law(v[:, cc.shock_a] - v[:, cc.shock_c])
        junctions = -self._junction_inflow @ current.T
        return (linear + junctions).T - self.state.inj[:, :n]

    def residual(self, x: np.ndarray) -> float:
        """Largest KCL imbalance at any node, amperes."""
        return float(np.abs(self._node_imbalance(x)).max(initial=0.0))

    def currents(self, x: np.ndarray, conditions: Conditions) -> dict[str, np.ndarray]:
        """Every element's current (amperes, SPICE sign), shape (batch,) each."""
        cc = self.cc
        v = self.voltages(x)
        through = self.conductance * (v[:, cc.res_a] - v[:, cc.res_b])
        result = {name: through[:, k] for k, name in enumerate(cc.res_names[:cc.n_circuit_res])}
        junction, _ = self._law(v[:, cc.shock_a] - v[:, cc.shock_c])
        gmin = {name.split("#")[0]: through[:, k] for k, name in enumerate(cc.res_names) if name.endswith("#gmin")}
        for k, name in enumerate(cc.shock_names):
            result[name] = junction[:, k] + gmin[name]
        unknowns = x.reshape(self.batch, self.size)
        ties = unknowns[:, self.n_nodes:]
        for edge, name in enumerate(cc.tie_element_names()):
            if name is not None:
                result[name] = -cc.tree.sign[edge] * ties[:, edge]
        outputs = (cc.couplings.output_law @ unknowns.T).T
        for k, name in enumerate(cc.couplings.names):
            result[name] = outputs[:, k]
        sources = _columns(conditions, cc.isrc_names)
        for k, name in enumerate(cc.isrc_names):
            result[name] = sources[:, k]
        return result


def limit_junctions(new: np.ndarray, old: np.ndarray, nvt: np.ndarray, vcrit: np.ndarray,
                    breakdown: np.ndarray, nbv_vt: np.ndarray) -> tuple[np.ndarray, bool]:
    """SPICE's junction-voltage limiting (pnjlim), also mirrored into breakdown: the next
    junction voltages (volts, same shape as new) and whether any was limited."""
    nvt, vcrit = np.broadcast_to(nvt, new.shape), np.broadcast_to(vcrit, new.shape)
    in_breakdown = np.isfinite(breakdown) & (new < np.minimum(0.0, -breakdown + 10.0 * nbv_vt))
    limited_new, limited = _pnjlim(new, old, nvt, vcrit)
    if np.any(in_breakdown):
        bv = np.where(np.isfinite(breakdown), breakdown, 0.0)
        mirrored, mirrored_limited = _pnjlim(-(new + bv), -(old + bv), np.broadcast_to(nbv_vt, new.shape), vcrit)
        limited_new = np.where(in_breakdown, -(mirrored + bv), limited_new)
        limited = np.where(in_breakdown, mirrored_limited, limited)
    return limited_new, bool(np.any(limited))


def _pnjlim(new: np.ndarray, old: np.ndarray, vt: np.ndarray, vcrit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ngspice's DEVpnjlim, elementwise: returns the limited voltages and where limited."""
    forward = (new > vcrit) & (np.abs(new - old) > 2.0 * vt)
    argument = 1.0 + (new - old) / vt
    from_positive = np.where(argument > 0, old + vt * np.log(np.maximum(argument, 1e-300)), vcrit)
    from_negative = vt * np.log(np.maximum(new, 1e-300) / vt)
    result = np.where(forward, np.where(old > 0, from_positive, from_negative), new)
    floor = np.where(old > 0, -old - 1.0, 2.0 * old - 1.0)
    reverse = ~forward & (new < 0) & (new < floor)
    result = np.where(reverse, floor, result)
    return result, forward | reverse

"""The `qp` reference solver: the DC operating point as a convex program (cvxpy + Clarabel).

Built directly from the circuit's elements (not from `circuit.compile()`), so it is an
independent oracle for the `cd` solver. The program, over the node voltages v (ground
eliminated, plus one internal node per Shockley diode with RS > 0), is

    minimise   1/2 sum_R g (va - vb)^2 - J.v + beta/2 sum_o (v_o - y_o)^2
               + sum_Shockley [ N*VT*exp(vj/(N*VT) + log IS) - IS*vj + GMIN*vj^2/2 ]
    subject to A v = b      (V sources, VCVS outputs, clamps)
               va - vc <= vf (ideal diodes)

The currents of the constrained elements are the Lagrange multipliers: an ideal diode's
current is the multiplier of its inequality, a V source's (or VCVS output's) SPICE current
is the multiplier of its equality. The source values, VCVS outputs and linear terms are
cvxpy Parameters, so the program is compiled once and re-solved for every example.
VCVS outputs are found by block Gauss-Seidel: each pass fixes every VCVS output at gain
times the control voltage of the previous pass, until the outputs stop changing.

The program is built by term (`MODELLED_TERMS`), so an inductor is a 0 V equality like a
V source, a capacitor a 0 A injection, and a K card (Term.OPEN) adds nothing and has no
current. An element whose term the program does not model is refused, never mis-solved.
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..compile.conditions import Conditions
from ..errors import CircuitValidationError, ConvergenceError, InfeasibleCircuitError, SolverUnavailableError
from ..model.circuit import Circuit
from ..model.elements import Term
from ..model.physics import shockley_current
from ..model.topology import GROUND, incidence_matrix
from . import DEFAULT_TOL
from .kirchhoff import branch_elements, edge_currents, kkt_residual, require_terms
from .solution import Solution

#: Clarabel settings: as tight as it reliably reaches, so ideal-diode circuits match to ~1e-10 V.
CLARABEL_SETTINGS = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12,
                     "tol_ktratio": 1e-10, "max_iter": 400}
#: beyond this size of its data (volts; amperes over the largest conductance) Clarabel's
#: failures are put down to the scale in the error message.
_LARGEST_ACCURATE = 1e12
#: block Gauss-Seidel passes allowed for VCVS outputs before giving up.
MAX_VCVS_PASSES = 200
#: the terms the program models (OPEN: by contributing nothing); any other is refused.
MODELLED_TERMS = frozenset({Term.EDGE, Term.IDEAL_LIMIT, Term.JUNCTION, Term.TIE, Term.INJECTION,
                            Term.CONTROLLED, Term.OPEN})


def solve_conditions(circuit: Circuit, conditions: Conditions, *, tol: float = DEFAULT_TOL,
                     max_sweeps: int = 100_000, warm_start: np.ndarray | None = None,
                     dtype: type = np.float64) -> Solution:
    """Solve every example of `conditions` as a convex program; see the module docstring.

    tol: VCVS outputs are converged when a Gauss-Seidel pass changes them by less than
        tol * (largest source voltage, at least 1 V). max_sweeps, warm_start: unused.
    dtype: the dtype of the returned voltages (the solve itself is float64).
    Returns a Solution with solver="qp"; raises InfeasibleCircuitError when the ideal
    diodes cannot all hold, ConvergenceError when the VCVS loop diverges or Clarabel fails.
    """
    cp = _import_cvxpy()
    circuit.validate()
    start = time.perf_counter()
    program = EnergyProgram(circuit, conditions, cp)
    scale = max(1.0, max((float(np.max(np.abs(v), initial=0.0)) for name, v in conditions.sources.items()
                          if circuit.term_of(circuit.elements[name]) is Term.TIE), default=0.0))
    results = [program.solve_example(b, max(tol, 1e-10) * scale) for b in range(conditions.batch)]
    v = np.array([r[0] for r in results]).reshape(conditions.batch, -1)
    eq_duals = np.array([r[1] for r in results]).reshape(conditions.batch, -1)
    ineq_duals = np.array([r[2] for r in results]).reshape(conditions.batch, -1)
    solution = Solution(program.nodes, v[:, :len(program.nodes)].astype(dtype), {}, "qp")
    solution.currents = program.currents(solution, v, eq_duals, ineq_duals)
    solution.residual, solution.diode_violation = kkt_residual(circuit, solution, conditions)
    solution.residual = max(solution.residual, program.internal_residual(v, solution.currents))
    solution.seconds = time.perf_counter() - start
    solution.info = {"vcvs_passes": max(r[3] for r in results),
                     "inaccurate": sum(r[4] for r in results)}
    return solution


def _import_cvxpy():
    try:
        import cvxpy
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise SolverUnavailableError(
            f"the qp solver needs cvxpy with Clarabel ({error}); run: pip install cvxpy clarabel") from None
    if "CLARABEL" not in cvxpy.installed_solvers():  # pragma: no cover
        raise SolverUnavailableError("the qp solver needs the Clarabel solver; run: pip install clarabel")
    return cvxpy


class EnergyProgram:
    """The parametrised cvxpy program of one circuit under one set of conditions."""

    def __init__(self, circuit: Circuit, conditions: Conditions, cp) -> None:
        require_terms(circuit, MODELLED_TERMS, "the qp reference")
        self.circuit, self.conditions, self.cp = circuit, conditions, cp
        self.nodes = circuit.nodes
        self._index = {node: k for k, node in enumerate(self.nodes)}
        self.shockley = list(circuit.with_term(Term.JUNCTION))
        self.ideal = list(circuit.with_term(Term.IDEAL_LIMIT))
        self.vcvs = list(circuit.with_term(Term.CONTROLLED))
        self.vsources = list(circuit.with_term(Term.TIE))
        self.clamped = list(conditions.clamp.nodes) if conditions.clamp else []
        self.laws = [circuit.junction(d) for d in self.shockley]
        for diode, law in zip(self.shockley, self.laws):
            if math.isfinite(law.breakdown) or law.knee > 0 or law.recombination > 0:
                raise CircuitValidationError(
                    f"{diode.name}: breakdown (BV), the knee current (IKF) and the recombination current "
                    f"(ISR) are not in the qp reference's exponential-cone law (use solver='newton' or 'auto')",
                    diode.location)
        for diode, law in zip(self.shockley, self.laws):  # the junction sits behind RS on an internal node
            if law.series > 0:
                self._index[f"{diode.name}#junction"] = len(self._index)
        self.size = len(self._index)
        self._build()

    # -- construction -------------------------------------------------------------------
    def _node(self, diode, pin: int) -> str:
        """The anode-side junction node of a Shockley diode (internal when RS > 0), or a pin."""
        internal = f"{diode.name}#junction"
        return internal if pin == 0 and internal in self._index else diode.nodes[pin]

    def _incidence(self, pairs: list[tuple[str, str]]) -> sp.csr_matrix:
        """(len(pairs), size): row k +1 at node pairs[k][0] and -1 at pairs[k][1], ground dropped."""
        rows = {**self._index, GROUND: self.size}  # ground: an extra row, cut off below
        first = [rows[a] for a, _ in pairs]
        second = [rows[b] for _, b in pairs]
        return incidence_matrix(second, first, self.size + 1)[:self.size].T.tocsr()

    def _build(self) -> None:
        cp, circuit = self.cp, self.circuit
        branches = [(r.nodes[0], r.nodes[1], 1.0 / r.value) for r in circuit.with_term(Term.EDGE)]
        for diode, law in zip(self.shockley, self.laws):
            branches.append((self._node(diode, 0), diode.nodes[1], circuit.gmin))
            if law.series > 0:
                branches.append((diode.nodes[0], self._node(diode, 0), 1.0 / law.series))
        weights = np.array([g for *_, g in branches])
        self.scale = 1.0 / max(float(np.max(weights, initial=0.0)), abs(self._beta), 1e-300)
        root_g = sp.diags(np.sqrt(weights * self.scale))
        quadratic = root_g @ self._incidence([(a, b) for a, b, _ in branches])
        self.eq_matrix = sp.vstack([
            self._incidence([e.nodes[:2] for e in self.vsources + self.vcvs]),
            self._incidence([(n, GROUND) for n in self.clamped])]).tocsr()
        factor, self.rho = _quadratic_factor(quadratic, self._nudge_diagonal(), self.eq_matrix)
        self.junctions = self._incidence([(self._node(d, 0), d.nodes[1]) for d in self.shockley])
        self.nvt = np.array([law.nvt for law in self.laws])
        self.sat = np.array([law.saturation for law in self.laws])

        self.v = cp.Variable(self.size)
        self.linear = cp.Parameter(self.size)
        self.rhs = cp.Parameter(self.eq_matrix.shape[0])
        objective = 0.5 * cp.sum_squares(factor @ self.v) + self.linear @ self.v
        if self.shockley:
            exponent = cp.multiply(1.0 / self.nvt, self.junctions @ self.v) + np.log(self.sat)
            objective += cp.sum(cp.multiply(self.scale * self.nvt, cp.exp(exponent)))
        self.eq = self.eq_matrix @ self.v == self.rhs if self.eq_matrix.shape[0] else None
        vf = np.array([circuit.models[d.model].vf for d in self.ideal])
        self.ineq = self._incidence([d.nodes[:2] for d in self.ideal]) @ self.v <= vf if self.ideal else None
        constraints = [c for c in (self.eq, self.ineq) if c is not None]
        self.problem = cp.Problem(cp.Minimize(objective), constraints)
        self.polisher = Polisher(factor.T @ factor, self.eq_matrix, self.junctions, self.nvt,
                                 self.scale * self.sat,
                                 self._incidence([d.nodes[:2] for d in self.ideal]), vf)

    @property
    def _beta(self) -> float:
        return self.conditions.nudge.beta if self.conditions.nudge else 0.0

    def _nudge_diagonal(self) -> np.ndarray:
        diagonal = np.zeros(self.size)
        if self.conditions.nudge:
            for node in self.conditions.nudge.nodes:
                diagonal[self._index[node]] += self._beta * self.scale
        return diagonal

    # -- one example --------------------------------------------------------------------
    def _linear_term(self, b: int, rhs: np.ndarray) -> np.ndarray:
        """Coefficients of v in the scaled objective: -J - beta*y + Shockley's -IS*vj - rho*A'b."""
        c = np.zeros(self.size)
        for source in self.circuit.with_term(Term.INJECTION):
            value = self.conditions.sources[source.name][b]
            for node, sign in zip(source.nodes, (1.0, -1.0)):
                if node != GROUND:
                    c[self._index[node]] += sign * value  # -J: J[n+] -= value, J[n-] += value
        nudge = self.conditions.nudge
        if nudge is not None:
            targets = np.atleast_2d(nudge.targets)[b]
            for node, y in zip(nudge.nodes, targets):
                c[self._index[node]] -= nudge.beta * y
        c -= self.junctions.T @ self.sat
        c *= self.scale
        if self.rho:
            c -= self.rho * (self.eq_matrix.T @ rhs)
        return c

    def _rhs(self, b: int, vcvs_values: np.ndarray) -> np.ndarray:
        sources = [self.conditions.sources[s.name][b] for s in self.vsources]
        clamps = list(np.atleast_2d(self.conditions.clamp.values)[b]) if self.clamped else []
        return np.array(sources + list(vcvs_values) + clamps, dtype=float)

    def _control(self, v: np.ndarray) -> np.ndarray:
        values = []
        for element in self.vcvs:
            cplus, cminus = (v[self._index[n]] if n != GROUND else 0.0 for n in element.nodes[2:])
            values.append(element.value * (cplus - cminus))
        return np.array(values)

    def _solve_once(self, b: int, vcvs_values: np.ndarray, passes: int = 0) -> tuple[np.ndarray, np.ndarray,
                                                                                  np.ndarray, bool]:
        """Clarabel, then Newton polishing: (v, equality multipliers, diode multipliers, inaccurate)."""
        rhs = self._rhs(b, vcvs_values)
        linear = self._linear_term(b, rhs)
        if not (np.all(np.isfinite(rhs)) and np.all(np.isfinite(linear))):
            raise ConvergenceError(
                f"qp: the program's coefficients overflow float64 on example {b} (source values, or "
                f"currents over the smallest conductance, near 1e300): use solver 'cd' or 'newton'")
        self.rhs.value = rhs
        self.linear.value = linear
        try:
            with warnings.catch_warnings():  # "solution may be inaccurate": polishing decides
                warnings.simplefilter("ignore")
                self.problem.solve(solver=self.cp.CLARABEL, **CLARABEL_SETTINGS)
        except self.cp.error.SolverError as error:
            size = max(float(np.max(np.abs(rhs), initial=0.0)), float(np.max(np.abs(linear), initial=0.0)))
            hint = (f"; the program's data reach {size:.3g} (volts, or amperes over the largest "
                    f"conductance), beyond what the interior-point method solves: use solver 'cd' "
                    f"or 'newton'" if size > _LARGEST_ACCURATE else "")
            raise ConvergenceError(f"qp: Clarabel failed on example {b}: {str(error).rstrip('.')}{hint}") from None
        status = self.problem.status
        if status in ("infeasible", "infeasible_inaccurate") and not self.ideal:
            raise ConvergenceError(
                f"qp: Clarabel reported the program infeasible on example {b}, which without ideal "
                f"diodes is a numerical failure: "
                + (f"after {passes} fixed-point passes the VCVS outputs reach {np.abs(vcvs_values).max():.3g} V, "
                   f"as a high-gain feedback loop does under these passes; use solver 'newton' or 'auto'"
                   if len(self.vcvs) else "use solver 'newton' or 'auto'"))
        if status in ("infeasible", "infeasible_inaccurate"):
            raise InfeasibleCircuitError(
                f"example {b}: the ideal-diode constraints v_anode - v_cathode <= vf cannot all "
                f"hold together with the voltage sources and clamps")
        if status not in ("optimal", "optimal_inaccurate"):
            raise ConvergenceError(f"qp: Clarabel ended with status {status!r} on example {b}")
        eq = np.atleast_1d(self.eq.dual_value) if self.eq is not None else np.zeros(0)
        ineq = np.atleast_1d(self.ineq.dual_value) if self.ineq is not None else np.zeros(0)
        v, eq, ineq = self.polisher.polish(np.array(self.v.value), eq, ineq, rhs, self.linear.value)
        return v, eq, ineq, status == "optimal_inaccurate"

    def solve_example(self, b: int, vtol: float) -> tuple:
        """(v, equality currents, diode currents, VCVS passes, inaccurate) for example b."""
        values = np.zeros(len(self.vcvs))
        passes, last_change = 0, math.inf
        growing = 0
        while True:
            v, eq, ineq, inaccurate = self._solve_once(b, values, passes)
            passes += 1
            new = self._control(v)
            change = float(np.max(np.abs(new - values), initial=0.0))
            values = new
            if change <= vtol:
                break
            growing = growing + 1 if change >= last_change else 0
            last_change = change
            if growing >= 10 or passes >= MAX_VCVS_PASSES:
                raise ConvergenceError(
                    f"VCVS loop diverges or does not settle: after {passes} Gauss-Seidel passes the "
                    f"VCVS outputs still change by {change:.3g} V (example {b}); the qp and cd "
                    f"solvers handle feed-forward VCVS chains, use the spice solver for feedback loops")
        return v, eq / self.scale, ineq / self.scale, passes, int(inaccurate)

    # -- results ------------------------------------------------------------------------
    def currents(self, solution: Solution, v: np.ndarray, eq: np.ndarray, ineq: np.ndarray) -> dict:
        """Every current-carrying element's SPICE current, amperes, shape (batch,) each
        (none for elements open at DC, `kirchhoff.branch_elements`)."""
        currents = edge_currents(self.circuit, solution)
        vj = v @ self.junctions.T.toarray() if self.shockley else np.zeros((len(v), 0))
        for k, (diode, law) in enumerate(zip(self.shockley, self.laws)):
            currents[diode.name] = shockley_current(vj[:, k], law.saturation, law.nvt, self.circuit.gmin)
        for k, diode in enumerate(self.ideal):
            currents[diode.name] = ineq[:, k]
        for k, element in enumerate(self.vsources + self.vcvs):
            currents[element.name] = eq[:, k]
        for source in self.circuit.with_term(Term.INJECTION):
            currents[source.name] = self.conditions.sources[source.name].copy()
        return {element.name: currents[element.name] for element in branch_elements(self.circuit)}

    def internal_residual(self, v: np.ndarray, currents: dict) -> float:
        """Largest KCL imbalance at the internal nodes between RS and a Shockley junction."""
        worst = 0.0
        for diode, law in zip(self.shockley, self.laws):
            internal = f"{diode.name}#junction"
            if internal in self._index:
                anode = v[:, self._index[diode.nodes[0]]] if diode.nodes[0] != GROUND else 0.0
                through_rs = (anode - v[:, self._index[internal]]) / law.series
                worst = max(worst, float(np.max(np.abs(through_rs - currents[diode.name]))))
        return worst


def _quadratic_factor(quadratic: sp.csr_matrix, nudge: np.ndarray, eq_matrix: sp.csr_matrix):
    """A matrix F with 1/2|F v|^2 = the quadratic energy on {A v = b}, and the penalty weight rho.

    With beta >= 0 the energy is a sum of squares already. A negative beta subtracts a
    diagonal; the energy is then convex only on the affine set of the equality
    constraints, and adding rho/2 |A v - b|^2 (zero, with zero gradient, on that set, so
    neither the solution nor the multipliers change) makes it convex everywhere
    (Finsler's lemma). Raises CircuitValidationError when no rho does.
    """
    if np.all(nudge >= 0):
        rows = np.flatnonzero(nudge)
        extra = sp.csr_matrix((np.sqrt(nudge[rows]), (np.arange(len(rows)), rows)),
                              shape=(len(rows), quadratic.shape[1]))
        return sp.vstack([quadratic, extra]).tocsr(), 0.0
    hessian = (quadratic.T @ quadratic).toarray() + np.diag(nudge)
    constraints = eq_matrix.toarray()
    size = np.abs(hessian).max()
    for rho in size * 10.0 ** np.arange(0, 7):
        w, u = np.linalg.eigh(hessian + rho * constraints.T @ constraints)
        if w.min() >= -1e-12 * (size + rho):
            return np.sqrt(np.clip(w, 0.0, None))[:, None] * u.T, float(rho)
    raise CircuitValidationError(
        "the nudge with negative beta makes the energy non-convex (|beta| exceeds what the "
        "circuit's conductances can hold): the qp solver needs a convex problem; "
        "use a smaller |beta| or the cd solver")


class Polisher:
    """Newton's method on the KKT equations, with the ideal-diode active set Clarabel found.

    Clarabel's exponential cones stop near 1e-7 V; a few Newton steps on the smooth
    equality-constrained problem (active ideal diodes held as equalities) bring the
    solution to machine precision. The active set is corrected when a multiplier comes
    out negative or an inactive diode is violated; when that fails, Clarabel's answer stays.
    All quantities are in the program's scaled units.
    """

    def __init__(self, hessian, eq_matrix, junctions, nvt, sat, diodes, vf) -> None:
        self.hessian, self.eq_matrix, self.junctions = sp.csr_matrix(hessian), eq_matrix, junctions
        self.nvt, self.sat, self.diodes, self.vf = nvt, sat, diodes, vf

    def polish(self, v, eq, ineq, rhs, linear):
        """Polished (v, equality multipliers, diode multipliers); the inputs when it fails."""
        slack = self.vf - self.diodes @ v if len(self.vf) else np.zeros(0)
        active = slack <= 1e-7 * max(1.0, float(np.max(np.abs(v), initial=0.0)))
        for _ in range(8):
            result = self._newton(v, np.concatenate([eq, ineq[active]]), rhs, linear, active)
            if result is None:
                break
            v_new, lam = result
            diode_lam = np.zeros(len(self.vf))
            diode_lam[active] = lam[len(eq):]
            violated = ~active & (self.vf - self.diodes @ v_new < -1e-13) if len(self.vf) else active
            negative = active & (diode_lam < -1e-13)
            if not violated.any() and not negative.any():
                return v_new, lam[:len(eq)], np.maximum(diode_lam, 0.0)
            active = (active | violated) & ~negative
        return v, eq, ineq

    def _newton(self, v, lam, rhs, linear, active):
        rows = sp.vstack([self.eq_matrix, self.diodes[np.flatnonzero(active)]]).tocsr()
        target = np.concatenate([rhs, self.vf[active]])
        v = v.copy()
        for _ in range(50):
            exp = self.sat * np.exp(self.junctions @ v / self.nvt)
            gradient = self.hessian @ v + linear + self.junctions.T @ exp + rows.T @ lam
            hessian = self.hessian + self.junctions.T @ sp.diags(exp / self.nvt) @ self.junctions
            kkt = sp.bmat([[hessian, rows.T], [rows, None]], format="csc")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # a singular KKT matrix: keep Clarabel's answer
                    step = spla.spsolve(kkt, -np.concatenate([gradient, rows @ v - target]))
            except (RuntimeError, Warning):
                return None
            if not np.all(np.isfinite(step)):
                return None
            v += step[:len(v)]
            lam = lam + step[len(v):]
            if np.max(np.abs(step[:len(v)]), initial=0.0) <= 1e-15 * max(1.0, np.max(np.abs(v))):
                return v, lam
        return v, lam

"""Exact polish of a coordinate-descent point: solve the KKT system of its active set.

Coordinate descent finds which ideal diodes conduct long before its voltages settle to
machine precision, and on some circuits it stalls at a corner. With the set of conducting
diodes known, the steady state is the solution of one sparse linear system: each
conducting diode ties its two groups together (v_anode - v_cathode = vf), and Kirchhoff's
law on the merged groups is a Laplacian system. A primal-dual active-set loop corrects the
set (adding violated diodes, dropping those whose current would be negative) until the
point satisfies every KKT condition. Circuits with Shockley diodes or VCVS are not
polished (their systems are nonlinear or non-reciprocal).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import cg, spsolve

from ..compile.tables import CompiledCircuit
from .kkt import forest_currents, group_sums

MAX_ROUNDS = 30
#: above this many unknowns the merged system is solved by preconditioned conjugate
#: gradients from the coordinate-descent point (sparse LU fills in badly on random graphs)
DIRECT_LIMIT = 3000


def can_polish(cc: CompiledCircuit) -> bool:
    """Whether the circuit's steady state is a linear system once the active set is known."""
    return not len(cc.shock_a) and not len(cc.vcvs_names) and not cc.nonsymmetric and cc.n_groups > 0


def polish(cc: CompiledCircuit, conductance: np.ndarray, v: np.ndarray, off: np.ndarray,
           inj: np.ndarray, leak: np.ndarray, tol_v: float) -> bool:
    """Replace v (batch, n_all) by the exact steady state, starting from its active set.

    conductance: (n_res,) siemens.
    off, inj: (batch, n_all) node offsets (volts) and injected currents (amperes); leak:
    (n_all,) nudging conductances (siemens); tol_v: volts within which a diode counts as
    conducting or violated (and, times the largest conductance, amperes within which a
    diode current counts as negative). Returns False (v unchanged) when the active-set loop fails.
    """
    exact = np.empty_like(v)
    conductance = np.asarray(conductance, dtype=np.float64)
    tol_i = tol_v * float(conductance.max(initial=1.0))
    for b in range(v.shape[0]):
        point = _polish_one(cc, conductance, v[b], off[b], inj[b], leak, tol_v, tol_i)
        if point is None:
            return False
        exact[b] = point
    v[...] = exact
    return True


def _polish_one(cc, conductance, v, off, inj, leak, tol_v, tol_i):
    active = cc.ideal_vf - (v[cc.ideal_a] - v[cc.ideal_c]) <= 10 * tol_v
    for _ in range(MAX_ROUNDS):
        ties = _tie_groups(cc, off, active)
        if ties is None:
            return None
        root, shift, forest = ties
        point = _solve_merged(cc, conductance, v, off, inj, leak, root, shift)
        slack = cc.ideal_vf - (point[cc.ideal_a] - point[cc.ideal_c])
        current = _diode_currents(cc, conductance, point, inj, leak, forest)
        violated = ~active & (slack < -tol_v)
        negative = np.zeros_like(active)
        negative[forest] = current < -tol_i
        if not violated.any() and not negative.any():
            return point
        active = (active | violated) & ~negative
    return None


def _tie_groups(cc, off, active):
    """Merge free groups joined by active diodes (weighted union-find).

    Returns (root, shift, forest): group g's unknown is u[root[g]] + shift[g], where root
    n_groups stands for the fixed nodes (u = 0); forest: the active diodes that merged two
    sets (the others are implied). None when active diodes contradict each other.
    """
    n = cc.n_groups
    parent = np.arange(n + 1)
    weight = np.zeros(n + 1)  # u_g = u_parent + weight[g]

    def find(g):
        total = 0.0
        while parent[g] != g:
            total += weight[g]
            g = parent[g]
        return g, total

    forest = []
    for d in np.flatnonzero(active):
        a, c = cc.ideal_a[d], cc.ideal_c[d]
        ga, gc = cc.group_of[a], cc.group_of[c]
        ga, gc = (n if ga < 0 else ga), (n if gc < 0 else gc)
        # u_ga - u_gc = vf + off_c - off_a   (fixed nodes: u = 0, voltage = off)
        delta = cc.ideal_vf[d] + off[c] - off[a]
        (ra, wa), (rc, wc) = find(ga), find(gc)
        if ra == rc:
            if abs(wa - wc - delta) > 1e-9 * (1.0 + abs(delta)):
                return None
            continue
        if ra == n:  # keep the fixed set as a root
            ra, rc, wa, wc, delta = rc, ra, wc, wa, -delta
        parent[ra] = rc
        weight[ra] = delta + wc - wa
        forest.append(d)
    resolved = [find(g) for g in range(n)]
    root = np.array([r for r, _ in resolved], dtype=np.int64)
    shift = np.array([w for _, w in resolved])
    return root, shift, np.array(forest, dtype=np.int64)


def _solve_merged(cc, conductance, v, off, inj, leak, root, shift):
    """Node voltages minimising the energy with the merged groups' unknowns free (v: a guess)."""
    n = cc.n_groups
    group = cc.group_of
    node_root = np.where(group >= 0, root[np.maximum(group, 0)], n)
    const = off + np.where(group >= 0, shift[np.maximum(group, 0)], 0.0)  # v = u[root] + const
    unknowns = np.unique(node_root[node_root != n])
    index = np.full(n + 1, -1, dtype=np.int64)
    index[unknowns] = np.arange(len(unknowns))
    var = index[node_root]
    ra, rb = var[cc.res_a], var[cc.res_b]
    g = conductance
    keep = ra != rb
    ra, rb, g = ra[keep], rb[keep], g[keep]
    ca, cb = const[cc.res_a][keep], const[cc.res_b][keep]
    m = len(unknowns)
    rows, cols, vals = [], [], []
    rhs = np.zeros(m)
    for mine, theirs, c_mine, c_theirs in ((ra, rb, ca, cb), (rb, ra, cb, ca)):
        free = mine >= 0
        rows.append(mine[free]), cols.append(mine[free]), vals.append(g[free])
        both = free & (theirs >= 0)
        rows.append(mine[both]), cols.append(theirs[both]), vals.append(-g[both])
        np.add.at(rhs, mine[free], g[free] * (c_theirs[free] - c_mine[free]))
    nudged = (var >= 0) & (leak != 0)
    rows.append(var[nudged]), cols.append(var[nudged]), vals.append(leak[nudged])
    free_nodes = var >= 0
    np.add.at(rhs, var[free_nodes], inj[free_nodes] - leak[free_nodes] * const[free_nodes])
    matrix = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(m, m))
    guess = np.zeros(m)
    guess[var[free_nodes]] = v[free_nodes] - const[free_nodes]
    u = _solve_spd(matrix, rhs, guess)
    return np.where(var >= 0, u[np.maximum(var, 0)] if m else 0.0, 0.0) + const


def _solve_spd(matrix: sp.csc_matrix, rhs: np.ndarray, guess: np.ndarray) -> np.ndarray:
    """Solve a symmetric positive-definite sparse system to machine precision."""
    if len(rhs) <= DIRECT_LIMIT:
        return np.atleast_1d(spsolve(matrix, rhs)) if len(rhs) else guess
    jacobi = sp.diags(1.0 / matrix.diagonal())
    solution, info = cg(matrix, rhs, x0=guess, rtol=1e-14, atol=0.0, M=jacobi, maxiter=20 * len(rhs))
    return solution if info == 0 else np.atleast_1d(spsolve(matrix, rhs))


def _diode_currents(cc, conductance, v, inj, leak, forest):
    """Signed currents of the forest's diodes that restore KCL at every free group."""
    inflow = cc.incidence()[0] @ (conductance * (v[cc.res_a] - v[cc.res_b])) + inj - leak * v
    return forest_currents(cc, group_sums(cc, inflow[None, :])[0], forest)

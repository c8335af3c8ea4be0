"""Branch currents and the KKT residual of a candidate operating point.

Given node voltages, resistor and Shockley currents follow from Ohm's and Shockley's
laws; ideal-diode currents are the multipliers that best restore Kirchhoff's current law
(non-negative, zero on slack diodes); voltage-source currents then follow by walking the
tie forest from its leaves. What Kirchhoff's law cannot absorb is the residual.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import nnls
from scipy.sparse.linalg import spsolve

from ..compile.tables import CompiledCircuit
from ..model.physics import shockley_current
from ..model.topology import incidence_matrix


@dataclass
class Balance:
    """Currents (amperes) and KKT diagnostics of a batch of operating points.

    resistor (batch, n_res), ideal (batch, n_ideal), junction (batch, n_shockley) and tie
    (batch, n_tie_edges) currents; residual: largest KCL imbalance at a free group, amperes;
    diode_violation: largest v_anode - v_cathode - vf, volts (0 when all hold).
    """

    resistor: np.ndarray
    ideal: np.ndarray
    junction: np.ndarray
    tie: np.ndarray
    residual: float
    diode_violation: float


def balance(cc: CompiledCircuit, conductance: np.ndarray, v: np.ndarray, inj: np.ndarray,
            leak: np.ndarray, tight_tol: float) -> Balance:
    """Currents and residual for node voltages v (batch, n_all) in float64.

    conductance: (n_res,) siemens (`CircuitValues.conductance`).
    inj (batch, n_all) and leak (n_all,): current injections (A) and nudging conductances (S).
    tight_tol: slack (volts) under which an ideal diode counts as conducting.
    """
    m_res, m_ideal, m_junction = cc.incidence()
    resistor = conductance * (v[:, cc.res_a] - v[:, cc.res_b])
    junction = shockley_current(v[:, cc.shock_a] - v[:, cc.shock_c], cc.shock_is, cc.shock_nvt, gmin=0.0)
    inflow = resistor @ m_res.T + junction @ m_junction.T + inj - leak * v
    slack = cc.ideal_vf - (v[:, cc.ideal_a] - v[:, cc.ideal_c])
    ideal, residual = _diode_currents(cc, inflow, slack <= tight_tol)
    inflow = inflow + ideal @ m_ideal.T
    tie = _tie_currents(cc, inflow)
    return Balance(resistor, ideal, junction, tie, residual, _violation(slack))


def diode_violation(cc: CompiledCircuit, v: np.ndarray) -> float:
    """Largest violation of an ideal diode's law v_anode - v_cathode <= vf, volts (0 when
    all hold), for node voltages v (batch, n_all)."""
    return _violation(cc.ideal_vf - (v[:, cc.ideal_a] - v[:, cc.ideal_c]))


def _violation(slack: np.ndarray) -> float:
    return float(max(0.0, -slack.min())) if slack.size else 0.0


def group_sums(cc: CompiledCircuit, inflow: np.ndarray) -> np.ndarray:
    """Net inflow into each free group, shape (batch, n_groups)."""
    members = inflow[:, cc.grp_nodes]
    if members.shape[1] == 0:
        return np.zeros((inflow.shape[0], 0))
    return np.add.reduceat(members, cc.grp_ptr[:-1], axis=1) * (np.diff(cc.grp_ptr) > 0)


def _diode_currents(cc: CompiledCircuit, inflow: np.ndarray, tight: np.ndarray):
    """Non-negative ideal-diode currents restoring KCL at free groups; and the residual."""
    demand = group_sums(cc, inflow)  # must leave each group through its diodes
    currents = np.zeros((inflow.shape[0], len(cc.ideal_a)))
    if cc.n_groups == 0:
        return currents, 0.0
    if len(cc.pair_diodes):
        imbalance = _coupled_diode_currents(cc, demand, tight, currents)
    else:
        imbalance = _single_diode_currents(cc, demand, tight, currents)
    return currents, float(np.abs(imbalance).max())


def _single_diode_currents(cc, demand, tight, currents):
    """Each diode touches at most one free group: per group, one conducting diode of the
    right direction carries the group's demand. Fills `currents`; returns the imbalance."""
    ga, gc = cc.group_of[cc.ideal_a], cc.group_of[cc.ideal_c]
    group = np.where(ga >= 0, ga, gc)
    role = np.where(ga >= 0, 1.0, -1.0)
    live = (group >= 0) & (ga != gc)
    candidate = role * demand[:, np.maximum(group, 0)]
    eligible = tight & live & (candidate >= 0)
    n_diodes = len(group)
    first = np.full(demand.shape, n_diodes)
    position = np.where(eligible, np.arange(n_diodes), n_diodes)
    np.minimum.at(first, (slice(None), np.maximum(group, 0)), position)
    rows, groups = np.nonzero(first < n_diodes)
    chosen = first[rows, groups]
    currents[rows, chosen] = candidate[rows, chosen]
    return np.where(first < n_diodes, 0.0, demand)


def _coupled_diode_currents(cc, demand, tight, currents):
    """Diodes between free groups couple their currents. Per example, the conducting diodes
    that join distinct sets (a forest) carry the demand; where that needs a negative
    current, non-negative least squares over all conducting diodes of the groups involved
    decides. Fills `currents`; returns the imbalance."""
    imbalance = np.empty_like(demand)
    for b in range(demand.shape[0]):
        conducting = np.flatnonzero(tight[b])
        forest = diode_forest(cc, conducting)
        flow = forest_currents(cc, demand[b], forest)
        currents[b, forest] = flow
        if len(flow) and flow.min() < 0:
            _nonnegative_flows(cc, demand[b], conducting, forest[flow < 0], currents[b])
        imbalance[b] = demand[b] - _incidence_of(cc, np.arange(len(cc.ideal_a))) @ currents[b]
    return imbalance


def _nonnegative_flows(cc, demand, conducting, culprits, currents) -> None:
    """Re-solve, with currents >= 0, the groups linked to the culprit diodes by free-free
    conducting diodes (dense NNLS on that small set)."""
    group_a, group_c = cc.group_of[cc.ideal_a], cc.group_of[cc.ideal_c]
    groups = set(int(g) for d in culprits for g in (group_a[d], group_c[d]) if g >= 0)
    while True:
        touching = [d for d in conducting if group_a[d] in groups or group_c[d] in groups]
        grown = groups | {int(g) for d in touching for g in (group_a[d], group_c[d]) if g >= 0}
        if grown == groups:
            break
        groups = grown
    rows, cols = np.array(sorted(groups)), np.array(touching, dtype=np.int64)
    matrix = _incidence_of(cc, cols).toarray()[rows]
    scale = max(float(np.abs(demand[rows]).max(initial=0.0)), 1e-300)
    currents[cols] = nnls(matrix, demand[rows] / scale)[0] * scale


def diode_forest(cc: CompiledCircuit, diodes: np.ndarray) -> np.ndarray:
    """The diodes (in order) that each join two so far separate sets of groups.

    The fixed nodes count as one set. The result is a forest: its currents are unique.
    """
    parent = np.arange(cc.n_groups + 1)

    def find(g):
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    forest = []
    for d in diodes:
        ga, gc = (find(g if g >= 0 else cc.n_groups) for g in
                  (cc.group_of[cc.ideal_a[d]], cc.group_of[cc.ideal_c[d]]))
        if ga != gc:
            parent[ga] = gc
            forest.append(d)
    return np.array(forest, dtype=np.int64)


def _incidence_of(cc: CompiledCircuit, diodes: np.ndarray) -> sp.csc_matrix:
    """(n_groups, len(diodes)): +1 where a group holds the diode's anode, -1 its cathode
    (nothing for fixed terminals, or where both terminals are in one group)."""
    ga, gc = cc.group_of[cc.ideal_a[diodes]], cc.group_of[cc.ideal_c[diodes]]
    outside = cc.n_groups  # a row for fixed terminals and in-group diodes, dropped
    inert = (ga == gc)
    ga = np.where(inert | (ga < 0), outside, ga)
    gc = np.where(inert | (gc < 0), outside, gc)
    return (-incidence_matrix(ga, gc, outside + 1))[:outside].tocsc()


def forest_currents(cc: CompiledCircuit, demand: np.ndarray, forest: np.ndarray) -> np.ndarray:
    """Signed currents (amperes) of a diode forest that carry each free group's demand.

    demand: (n_groups,) net current into each group from everything but these diodes.
    Least squares through the normal equations (unique: a forest has full column rank).
    """
    if not len(forest):
        return np.zeros(0)
    incidence = _incidence_of(cc, forest)
    return np.atleast_1d(spsolve((incidence.T @ incidence).tocsc(), incidence.T @ demand))


def _tie_currents(cc: CompiledCircuit, inflow: np.ndarray) -> np.ndarray:
    """Currents of tie edges (SPICE sign), from the leaves of the tie forest inwards."""
    tree = cc.tree
    accumulated = inflow.copy()
    currents = np.zeros((inflow.shape[0], len(tree.child)))
    for level in reversed(tree.levels):
        child, parent = tree.child[level], tree.parent[level]
        currents[:, level] = tree.sign[level] * accumulated[:, child]
        np.add.at(accumulated, (slice(None), parent), accumulated[:, child])
    return currents

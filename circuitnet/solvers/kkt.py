"""Branch currents and the KKT residual of a candidate operating point.

Given node voltages, resistor and Shockley currents follow from Ohm's and Shockley's
laws; ideal-diode currents are the multipliers that best restore Kirchhoff's current law
(non-negative, zero on slack diodes); voltage-source currents then follow by walking the
tie forest from its leaves. What Kirchhoff's law cannot absorb is the residual.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from ..compiled import CompiledCircuit
from ..physics import shockley_current


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


def balance(cc: CompiledCircuit, v: np.ndarray, inj: np.ndarray, leak: np.ndarray,
            tight_tol: float) -> Balance:
    """Currents and residual for node voltages v (batch, n_all) in float64.

    inj (batch, n_all) and leak (n_all,): current injections (A) and nudging conductances (S).
    tight_tol: slack (volts) under which an ideal diode counts as conducting.
    """
    m_res, m_ideal, m_junction = cc.incidence()
    resistor = cc.conductance * (v[:, cc.res_a] - v[:, cc.res_b])
    junction = shockley_current(v[:, cc.shock_a] - v[:, cc.shock_c], cc.shock_is, cc.shock_nvt)
    inflow = resistor @ m_res.T + junction @ m_junction.T + inj - leak * v
    slack = cc.ideal_vf - (v[:, cc.ideal_a] - v[:, cc.ideal_c])
    ideal, residual = _diode_currents(cc, inflow, slack <= tight_tol)
    inflow = inflow + ideal @ m_ideal.T
    tie = _tie_currents(cc, inflow)
    violation = float(max(0.0, -slack.min())) if slack.size else 0.0
    return Balance(resistor, ideal, junction, tie, residual, violation)


def _group_sums(cc: CompiledCircuit, inflow: np.ndarray) -> np.ndarray:
    """Net inflow into each free group, shape (batch, n_groups)."""
    members = inflow[:, cc.grp_nodes]
    if members.shape[1] == 0:
        return np.zeros((inflow.shape[0], 0))
    return np.add.reduceat(members, cc.grp_ptr[:-1], axis=1) * (np.diff(cc.grp_ptr) > 0)


def _diode_incidence_by_group(cc: CompiledCircuit) -> np.ndarray:
    """(n_groups, n_ideal) matrix: +1 where the group holds the anode, -1 the cathode."""
    n_groups = cc.n_groups
    matrix = np.zeros((n_groups, len(cc.ideal_a)))
    ga, gc = cc.group_of[cc.ideal_a], cc.group_of[cc.ideal_c]
    across = ga != gc
    for groups, sign in ((ga, 1.0), (gc, -1.0)):
        keep = across & (groups >= 0)
        matrix[groups[keep], np.flatnonzero(keep)] += sign
    return matrix


def _diode_currents(cc: CompiledCircuit, inflow: np.ndarray, tight: np.ndarray):
    """Non-negative ideal-diode currents restoring KCL at free groups; and the residual."""
    demand = _group_sums(cc, inflow)  # must leave each group through its diodes
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
    """Diodes between free groups couple their currents: non-negative least squares per example."""
    incidence = _diode_incidence_by_group(cc)
    touches = incidence.any(axis=0)
    imbalance = np.empty_like(demand)
    for b in range(demand.shape[0]):
        cols = np.flatnonzero(tight[b] & touches)
        if cols.size:
            currents[b, cols] = _nonnegative_flow(incidence[:, cols], demand[b])
        imbalance[b] = demand[b] - incidence @ currents[b]
    return imbalance


def _nonnegative_flow(incidence: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Least-squares non-negative x with incidence @ x ~= demand, on the rows it touches."""
    rows = np.flatnonzero(incidence.any(axis=1))
    scale = max(float(np.abs(demand[rows]).max()), 1e-300)
    solution, _ = nnls(incidence[rows], demand[rows] / scale)
    return solution * scale


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

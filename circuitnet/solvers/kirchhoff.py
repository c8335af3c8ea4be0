"""Kirchhoff checks shared by the reference solvers (qp, spice): diode law, currents, KKT residual.

Everything here is written from the element declarations, never from compiled arrays, so
the reference solvers stay independent of the `cd` solver's array builder.
"""
from __future__ import annotations

import numpy as np

from ..compile.conditions import Conditions
from ..model.circuit import Circuit
from ..model.elements import Term
from ..model.topology import GROUND
from .solution import Solution


def kcl_imbalance(circuit: Circuit, solution: Solution, conditions: Conditions) -> np.ndarray:
    """Net current leaving each node through all elements (and the nudge), amperes.

    Returns shape (batch, len(solution.nodes)); clamped nodes are set to zero (a clamp
    supplies whatever current it needs). Every element's current flows from its first
    pin to its second (SPICE's sign), so it leaves nodes[0] and enters nodes[1].
    """
    index = {node: k for k, node in enumerate(solution.nodes)}
    imbalance = np.zeros((solution.batch, len(solution.nodes)))
    for element in circuit.elements.values():
        current = solution.currents[element.name]
        a, b = element.nodes[:2]
        if a != GROUND:
            imbalance[:, index[a]] += current
        if b != GROUND:
            imbalance[:, index[b]] -= current
    nudge = conditions.nudge
    if nudge is not None:
        targets = np.atleast_2d(nudge.targets)
        for k, node in enumerate(nudge.nodes):
            imbalance[:, index[node]] += nudge.beta * (solution.voltage(node) - targets[:, k])
    if conditions.clamp is not None:
        imbalance[:, [index[n] for n in conditions.clamp.nodes]] = 0.0
    return imbalance


def kkt_residual(circuit: Circuit, solution: Solution, conditions: Conditions) -> tuple[float, float]:
    """(residual, diode_violation) of a solution, as documented on `Solution`.

    residual: largest KCL imbalance at a node (amperes), or largest negative ideal-diode
    current, whichever is larger. diode_violation: largest v_anode - v_cathode - vf over
    ideal diodes (volts, 0 when none is violated).
    """
    residual = float(np.max(np.abs(kcl_imbalance(circuit, solution, conditions)), initial=0.0))
    violation = 0.0
    for diode in circuit.with_term(Term.IDEAL_LIMIT):
        model = circuit.models[diode.model]
        drop = solution.voltage(diode.nodes[0]) - solution.voltage(diode.nodes[1])
        violation = max(violation, float(np.max(drop - model.vf, initial=0.0)))
        residual = max(residual, float(np.max(-solution.currents[diode.name], initial=0.0)))
    return residual, violation


def edge_currents(circuit: Circuit, solution: Solution) -> dict[str, np.ndarray]:
    """Current (v_a - v_b) / value of every edge-conductance element (resistors), amperes,
    shape (batch,) each."""
    return {r.name: (solution.voltage(r.nodes[0]) - solution.voltage(r.nodes[1])) / r.value
            for r in circuit.with_term(Term.EDGE)}

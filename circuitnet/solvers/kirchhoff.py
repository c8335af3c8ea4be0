"""Kirchhoff checks shared by the reference solvers (qp, spice): diode law, currents, KKT residual.

Everything here is written from the element declarations, never from compiled arrays, so
the reference solvers stay independent of the `cd` solver's array builder.
"""
from __future__ import annotations

import numpy as np

from ..compile.conditions import Conditions
from ..errors import CircuitValidationError
from ..model.circuit import Circuit
from ..model.elements import Element, Term
from ..model.topology import GROUND
from .solution import Solution

#: terms whose element carries one current (amperes) from its first pin to its second and
#: draws none at any other pin (an E or G card's control pins draw none): what KCL sums.
BRANCH_TERMS = frozenset({Term.EDGE, Term.IDEAL_LIMIT, Term.JUNCTION, Term.TIE, Term.INJECTION,
                          Term.CONTROLLED, Term.TRANSCONDUCTANCE, Term.CURRENT_GAIN, Term.TRANSRESISTANCE})


def require_terms(circuit: Circuit, terms: frozenset[Term], who: str) -> None:
    """Raise CircuitValidationError, naming the element and its card, for the first element
    whose term is not in `terms` (one added to `model.elements` after `who`, e.g. "the qp
    reference", was written): refused rather than mis-solved."""
    for element in circuit.elements.values():
        term = circuit.term_of(element)
        if term not in terms:
            raise CircuitValidationError(
                f"{element.name}: {who} does not model a {element.kind.name} ({term.value}); "
                f"use solver 'newton' or 'auto'", element.location)


def branch_elements(circuit: Circuit) -> list[Element]:
    """The elements that carry a current, in card order; those whose term contributes
    nothing (Term.OPEN: a K card) are skipped. Raises CircuitValidationError for a term
    outside BRANCH_TERMS and OPEN, whose currents the Kirchhoff check cannot sum."""
    require_terms(circuit, BRANCH_TERMS | {Term.OPEN}, "the Kirchhoff check of the reference solvers")
    return [e for e in circuit.elements.values() if circuit.term_of(e) in BRANCH_TERMS]


def kcl_imbalance(circuit: Circuit, solution: Solution, conditions: Conditions) -> np.ndarray:
    """Net current leaving each node through all elements (and the nudge), amperes.

    Returns shape (batch, len(solution.nodes)); clamped nodes are set to zero (a clamp
    supplies whatever current it needs). Every element's current flows from its first
    pin to its second (SPICE's sign), so it leaves nodes[0] and enters nodes[1]; elements
    open at DC carry none (see `branch_elements`, which also says what raises).
    """
    index = {node: k for k, node in enumerate(solution.nodes)}
    imbalance = np.zeros((solution.batch, len(solution.nodes)))
    for element in branch_elements(circuit):
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

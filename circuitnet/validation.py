"""Checks that make a circuit solvable, with errors that name the card at fault."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .elements import DIODE, RESISTOR, VCVS, VOLTAGE_SOURCE, Element
from .errors import CircuitValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .circuit import Circuit


class UnionFind:
    """Disjoint sets over hashable items, with path halving."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, item):
        """Representative of the set holding `item` (created on first sight)."""
        parent = self.parent.setdefault(item, item)
        while parent != item:
            grand = self.parent[parent]
            self.parent[item] = grand
            item, parent = parent, self.parent[grand]
        return item

    def union(self, a, b) -> bool:
        """Merge the sets of a and b; False when they were already one set."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def validate_circuit(circuit: "Circuit") -> None:
    """Raise CircuitValidationError for the first problem found (see Circuit.validate)."""
    for element in circuit.elements.values():
        _check_element(circuit, element)
    _check_directives(circuit)
    _check_source_loops(circuit)
    _check_dc_paths(circuit)


def _check_element(circuit: "Circuit", element: Element) -> None:
    kind = element.kind
    if len(element.nodes) != len(kind.pins):
        raise CircuitValidationError(
            f"{element.name}: a {kind.name} has {len(kind.pins)} pins, got {len(element.nodes)}",
            element.location)
    if kind is DIODE:
        if element.model not in circuit.models:
            raise CircuitValidationError(f"{element.name}: unknown diode model {element.model!r}",
                                         element.location)
        return
    value = element.value
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CircuitValidationError(f"{element.name}: {kind.value} must be a finite number, got {value!r}",
                                     element.location)
    if kind is RESISTOR and value <= 0:
        raise CircuitValidationError(f"{element.name}: resistance must be positive, got {value} ohm",
                                     element.location)
    if kind in (VOLTAGE_SOURCE, VCVS) and element.nodes[0] == element.nodes[1]:
        raise CircuitValidationError(f"{element.name}: both terminals on node {element.nodes[0]!r}",
                                     element.location)


def _check_directives(circuit: "Circuit") -> None:
    spec = circuit.inputs
    if spec is not None:
        for name in spec.sources:
            element = circuit.elements.get(name)
            if element is None or element.kind is not VOLTAGE_SOURCE:
                raise CircuitValidationError(f"'*@ input' names {name!r}, which is not a voltage source",
                                             spec.location)
        if spec.mirror and len(spec.sources) % 2:
            raise CircuitValidationError("'*@ input ... mirror' needs an even number of sources",
                                         spec.location)
    known = set(circuit.nodes)
    for node in circuit.outputs:
        if node not in known:
            raise CircuitValidationError(f"'*@ output' names unknown node {node!r}")
    bounds = circuit.bounds
    if not 0 < bounds.gmin < bounds.gmax:
        raise CircuitValidationError(f"'*@ bounds' needs 0 < gmin < gmax, got gmin={bounds.gmin}, "
                                     f"gmax={bounds.gmax}")


def _check_source_loops(circuit: "Circuit") -> None:
    sets = UnionFind()
    for element in circuit.elements.values():
        if element.kind in (VOLTAGE_SOURCE, VCVS) and not sets.union(*element.nodes[:2]):
            raise CircuitValidationError(
                f"{element.name}: closes a loop of voltage sources (V/E elements) between nodes "
                f"{element.nodes[0]!r} and {element.nodes[1]!r}", element.location)


def _check_dc_paths(circuit: "Circuit") -> None:
    sets = UnionFind()
    sets.find("0")
    first_seen: dict[str, Element] = {}
    for element in circuit.elements.values():
        for node in element.nodes:
            first_seen.setdefault(node, element)
            sets.find(node)
        if circuit._conducts(element):
            sets.union(*element.nodes[:2])
    ground = sets.find("0")
    floating = [node for node in first_seen if sets.find(node) != ground]
    if floating:
        element = first_seen[floating[0]]
        shown = ", ".join(repr(n) for n in floating[:5]) + (" ..." if len(floating) > 5 else "")
        raise CircuitValidationError(
            f"node(s) {shown} have no DC path to ground (through resistors, voltage sources, "
            f"VCVS outputs or Shockley diodes; ideal diodes and current sources do not count); "
            f"first seen on {element.name}", element.location)

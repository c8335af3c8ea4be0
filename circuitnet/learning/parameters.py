"""Trainable parameters as arrays, mapped to element names, and their layer groups.

During training the conductances and bias currents live in a `Parameters` object; they are
written back into a Circuit (resistance = 1/g) only for solving (`circuit_with`, the one
place to change if `solve` learns to take overrides), checkpoints and exports.
"""
from __future__ import annotations

import copy
import re
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..errors import CircuitValidationError
from ..model.circuit import GROUND, Circuit

_LAYERED_NAME = re.compile(r"(?:r|ib)(\d+)_")


@dataclass
class Parameters:
    """Trainable conductances and bias currents.

    resistors: names of the trainable resistors; conductances: their conductances,
        siemens, shape (n_R,).
    sources: names of the trainable current sources; biases: their values, amperes,
        shape (n_I,) (SPICE sign: `I n+ n- b` drives b from n+ to n-, into node n-).
    """

    resistors: list[str]
    conductances: np.ndarray
    sources: list[str]
    biases: np.ndarray

    @classmethod
    def from_circuit(cls, circuit: Circuit) -> "Parameters":
        """The trainable elements of `circuit` (its `*@ trainable` patterns) and their values."""
        resistors = circuit.trainable_names("R")
        sources = circuit.trainable_names("I")
        if not resistors and not sources:
            raise CircuitValidationError(f"{circuit.source_file}: no trainable resistor or current source "
                                         f"matches '*@ trainable {' '.join(circuit.trainable)}'")
        g = np.array([1.0 / circuit.elements[name].value for name in resistors], dtype=float)
        b = np.array([circuit.elements[name].value for name in sources], dtype=float)
        return cls(resistors, g, sources, b)

    def copy(self) -> "Parameters":
        """An independent copy (arrays copied)."""
        return Parameters(list(self.resistors), self.conductances.copy(), list(self.sources), self.biases.copy())

    def layers(self, circuit: Circuit) -> tuple[np.ndarray, np.ndarray]:
        """Layer index (0-based) of each resistor and each bias source, for per-layer learning rates.

        Names of the form `r{l}_...` and `ib{l}_...` with l >= 1 (from `build_drn`) give layer l-1;
        otherwise the layer is the distance, in resistors, from the input sources' nodes.
        """
        names = self.resistors + self.sources
        matches = [_LAYERED_NAME.match(name) for name in names]
        if names and all(matches) and all(int(m.group(1)) >= 1 for m in matches):
            layer = np.array([int(m.group(1)) - 1 for m in matches])
        else:
            layer = _graph_layers(circuit, self)
        return layer[:len(self.resistors)], layer[len(self.resistors):]


def circuit_with(circuit: Circuit, params: Parameters) -> Circuit:
    """A copy of `circuit` whose trainable elements carry the values in `params`."""
    result = copy.copy(circuit)
    result.elements = dict(circuit.elements)
    for name, g in zip(params.resistors, params.conductances):
        result.elements[name] = copy.copy(circuit.elements[name])
        result.elements[name].value = float(1.0 / g)
    for name, b in zip(params.sources, params.biases):
        result.elements[name] = copy.copy(circuit.elements[name])
        result.elements[name].value = float(b)
    return result


def _graph_layers(circuit: Circuit, params: Parameters) -> np.ndarray:
    """Layer of each parameter: BFS distance (over resistors) of its farther node from the inputs."""
    neighbours: dict[str, list[str]] = {}
    for element in circuit.of_kind("R"):
        a, b = element.nodes
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    sources = circuit.inputs.sources if circuit.inputs else []
    start = {n for s in sources for n in circuit.elements[s].nodes if n != GROUND}
    distance = {n: 0 for n in start}
    queue = deque(start)
    while queue:
        node = queue.popleft()
        for other in neighbours.get(node, []):
            if other != GROUND and other not in distance:
                distance[other] = distance[node] + 1
                queue.append(other)
    far = max(distance.values(), default=1)

    def depth(name: str) -> int:
        nodes = [n for n in circuit.elements[name].nodes if n != GROUND]
        return max(distance.get(n, far) for n in nodes) if nodes else far

    return np.array([max(depth(name) - 1, 0) for name in params.resistors + params.sources])

"""Builders of trainable topologies: the deep resistive network (DRN, docs/design.md section 5).

Naming scheme of `build_drn` (the trainer and `drn_layers` recover the layers from it):

- input nodes `x0 .. x{2n-1}`, driven by sources `vx0 ..`: `vx{k}` is set to +gain*x_k and
  `vx{n+k}` to -gain*x_k (`*@ input ... gain=G mirror`);
- hidden layer l (1-based) nodes `h{l}_{j}`, each tied to ground by an ideal diode `dh{l}_{j}`
  of model `dideal`: the first half (excitatory) from ground to the node (v >= 0), the
  second half (inhibitory) from the node to ground (v <= 0);
- output nodes `out{k}`, linear;
- layer l's resistors `r{l}_{i}_{j}` join node i of layer l-1 to node j of layer l
  (layer 0 = the inputs, layer L = len(hidden)+1 = the outputs);
- bias sources `ib{l}_{j}`: `I 0 node` injects its value (amperes, initially 0) into node j
  of layer l;
- with `vcvs_gain=A`, each hidden node `h{l}_{j}` also drives a buffer node `a{l}_{j}`
  through `e{l}_{j}` (v(a) = A*v(h)), and layer l+1's resistors start at the buffer nodes
  instead: the layers then feed forward only (no backward current), as in the
  universal-approximation construction. Such a circuit is not reciprocal, so EP's
  gradient estimate is only approximate on it.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..errors import CircuitValidationError
from .circuit import GROUND, Bounds, Circuit, InputSpec
from .elements import CURRENT_SOURCE, DIODE, RESISTOR, VCVS, VOLTAGE_SOURCE, DiodeModel, Element

IDEAL_MODEL = "dideal"

_RESISTOR_NAME = re.compile(r"r(\d+)_(\d+)_(\d+)$")
_BIAS_NAME = re.compile(r"ib(\d+)_(\d+)$")


def default_input_gain(n_inputs: int, n_hidden_layers: int, buffered: bool = False) -> float:
    """The input gain (volts per unit feature) `build_drn` uses when given none:
    4 sqrt(n_inputs) 4^(n_hidden_layers - 1), or 4 sqrt(n_inputs) when VCVS buffers
    restore each layer's level (`buffered`).

    A hidden node settles at a conductance-weighted mean of the 2 n_inputs mirrored sources,
    whose +- copies nearly cancel under the random initial conductances: what is left
    shrinks as 1 / sqrt(n_inputs), and each further unbuffered layer of rectifying nodes
    divides it again (by about 4 at these sizes). The gain brings the output layer to the
    volt scale of the targets. Measured on digits (64 features) with `circuitnet train`'s
    defaults: one hidden layer of 64 units reaches 6.9 % test error at gain 8, 3.3 % at 32,
    none at 128; 256 units 2.8 % at 32; two layers of 64 at 128 3.1 % (23 % at 32). For
    MNIST (784 features, one layer) it gives 112, beside the reference's 100 for DRN-XS.
    """
    depth = 0 if buffered else max(0, n_hidden_layers - 1)
    return 4.0 * math.sqrt(n_inputs) * 4.0 ** depth


def build_drn(n_inputs: int, hidden: list[int], n_outputs: int, *, gain: float | None = None, seed: int = 0,
              vcvs_gain: float | None = None, gmin: float = 1e-6, gmax: float = 1.0) -> Circuit:
    """A deep resistive network with `n_inputs` features, hidden layer sizes `hidden`, `n_outputs` classes.

    gain: input gain G, volts per unit feature (sources at +-G*x); default
        `default_input_gain` (32 for 64 features and one hidden layer).
    seed: seed of the initial conductances.
    vcvs_gain: when given, hidden layers drive the next layer through VCVS buffers of this gain.
    gmin, gmax: the conductance bounds (siemens) written to `*@ bounds`. Initial
        conductances are drawn uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] and clipped
        to [gmin, gmax]: the reference clips at 0, but a resistor cannot have conductance 0
        (infinite resistance), so the negative draws become gmin instead.
    Returns the Circuit (title "drn N-H-...-K"), names as in the module docstring.
    """
    sizes = [n_inputs, *hidden, n_outputs]
    if any(int(s) != s or s < 1 for s in sizes):
        raise CircuitValidationError(f"layer sizes must be positive integers, got {sizes}")
    bounds = Bounds(gmin, gmax)
    bounds.check()
    circuit = Circuit(title=f"drn {'-'.join(map(str, sizes))}", trainable=["r*", "ib*"], bounds=bounds)
    circuit.add_model(DiodeModel(IDEAL_MODEL, ideal=True))
    rng = np.random.default_rng(seed)
    if gain is None:
        gain = default_input_gain(n_inputs, len(hidden), buffered=vcvs_gain is not None)
    previous = _add_inputs(circuit, n_inputs, gain)
    for layer, size in enumerate([*hidden, n_outputs], start=1):
        is_output = layer == len(hidden) + 1
        nodes = [f"out{j}" if is_output else f"h{layer}_{j}" for j in range(size)]
        _add_resistors(circuit, layer, previous, nodes, rng)
        for j, node in enumerate(nodes):
            if not is_output:
                _add_diode(circuit, node, excitatory=j < (size + 1) // 2)
            circuit.add(Element(f"ib{layer}_{j}", CURRENT_SOURCE, (GROUND, node), 0.0))
        previous = nodes if vcvs_gain is None or is_output else _add_buffers(circuit, layer, nodes, vcvs_gain)
    circuit.outputs = previous
    return circuit


def _add_inputs(circuit: Circuit, n_inputs: int, gain: float) -> list[str]:
    nodes = [f"x{k}" for k in range(2 * n_inputs)]
    for node in nodes:
        circuit.add(Element(f"v{node}", VOLTAGE_SOURCE, (node, GROUND), 0.0))
    circuit.inputs = InputSpec([f"v{node}" for node in nodes], gain=float(gain), mirror=True)
    return nodes


def _add_resistors(circuit: Circuit, layer: int, inputs: list[str], outputs: list[str],
                   rng: np.random.Generator) -> None:
    bound = 1.0 / np.sqrt(len(inputs))
    g = np.clip(rng.uniform(-bound, bound, (len(inputs), len(outputs))),
                circuit.bounds.gmin, circuit.bounds.gmax)
    for i, a in enumerate(inputs):
        for j, b in enumerate(outputs):
            circuit.add(Element(f"r{layer}_{i}_{j}", RESISTOR, (a, b), float(1.0 / g[i, j])))


def _add_diode(circuit: Circuit, node: str, excitatory: bool) -> None:
    pins = (GROUND, node) if excitatory else (node, GROUND)
    circuit.add(Element(f"d{node}", DIODE, pins, model=IDEAL_MODEL))


def _add_buffers(circuit: Circuit, layer: int, nodes: list[str], gain: float) -> list[str]:
    buffers = [f"a{layer}_{j}" for j in range(len(nodes))]
    for j, (node, buffer) in enumerate(zip(nodes, buffers)):
        circuit.add(Element(f"e{layer}_{j}", VCVS, (buffer, GROUND, node, GROUND), float(gain)))
    return buffers


@dataclass
class DrnLayers:
    """The layer structure of a DRN, recovered from element names.

    weights: per layer l = 1..L, conductances (siemens) of shape (n_{l-1}, n_l);
        `weights[l-1][i, j]` is resistor `r{l}_{i}_{j}`.
    biases: per layer, bias currents (amperes) of shape (n_l,); `biases[l-1][j]` is `ib{l}_{j}`.
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @property
    def sizes(self) -> list[int]:
        """Layer sizes, inputs (the mirrored sources: 2 per feature) to outputs."""
        return [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]


def drn_layers(circuit: Circuit) -> DrnLayers:
    """Recover the weight matrices and bias vectors of a circuit built by `build_drn`.

    Raises CircuitValidationError when the resistor names do not form complete layers.
    """
    entries: dict[int, dict[tuple[int, int], float]] = {}
    for element in circuit.of_kind("R"):
        match = _RESISTOR_NAME.match(element.name)
        if match is None:
            raise CircuitValidationError(f"resistor {element.name!r} is not named r<layer>_<i>_<j>: "
                                         "not a layered network built by build_drn")
        layer, i, j = map(int, match.groups())
        entries.setdefault(layer, {})[i, j] = 1.0 / element.value
    if sorted(entries) != list(range(1, len(entries) + 1)):
        raise CircuitValidationError(f"resistor layers {sorted(entries)} are not numbered 1..L")
    biases_by_layer: dict[int, dict[int, float]] = {}
    for element in circuit.of_kind("I"):
        match = _BIAS_NAME.match(element.name)
        if match:
            layer, j = map(int, match.groups())
            biases_by_layer.setdefault(layer, {})[j] = element.value
    weights, biases = [], []
    for layer in sorted(entries):
        weights.append(_dense(entries[layer], layer))
        vector = np.zeros(weights[-1].shape[1])
        for j, value in biases_by_layer.get(layer, {}).items():
            vector[j] = value
        biases.append(vector)
    return DrnLayers(weights, biases)


def _dense(entries: dict[tuple[int, int], float], layer: int) -> np.ndarray:
    shape = tuple(np.max(np.array(list(entries)), axis=0) + 1)
    if len(entries) != shape[0] * shape[1]:
        raise CircuitValidationError(f"layer {layer} has {len(entries)} resistors, "
                                     f"not all-to-all {shape[0]}x{shape[1]}")
    matrix = np.empty(shape)
    for (i, j), g in entries.items():
        matrix[i, j] = g
    return matrix

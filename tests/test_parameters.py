"""Tests of circuitnet.learning.parameters: trainable elements as arrays, writing them back
into a circuit, and their layer groups."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from circuitnet.errors import CircuitValidationError
from circuitnet.learning.parameters import Parameters, circuit_with
from circuitnet.model.networks import build_drn
from circuitnet.netlist import parse_netlist, parse_value

XOR = Path(__file__).resolve().parent.parent / "netlists" / "xor.cir"

CHAIN = """chain: in -ra- h -rb- o -rc- 0
*@ input v1
*@ trainable r* i*
V1 in 0 1
Ra in h 1k
Rb h o 2k
Rc o 0 4k
D1 h 0 dm
.model dm D (IS=1e-14)
Ib 0 o 1m
Ic 0 h -2.5m
.end
"""


def chain(text=CHAIN):
    return parse_netlist(text, "chain.cir")


def test_from_circuit_reads_the_xor_netlist():
    """The xor netlist's trainable elements, in card order, with g = 1/R read from the file's text."""
    cards = [line.split() for line in XOR.read_text().splitlines() if line[:4] in ("rih_", "rho_", "ib_h", "ib_o")]
    resistors = [(c[0], 1.0 / parse_value(c[3])) for c in cards if c[0].startswith("r")]
    sources = [(c[0], parse_value(c[-1])) for c in cards if c[0].startswith("ib")]
    params = Parameters.from_circuit(parse_netlist(XOR.read_text(), "xor.cir"))
    assert params.resistors == [name for name, _ in resistors]
    assert params.sources == [name for name, _ in sources]
    np.testing.assert_allclose(params.conductances, [g for _, g in resistors], rtol=1e-15)
    np.testing.assert_array_equal(params.biases, [b for _, b in sources])
    assert params.conductances.dtype == params.biases.dtype == np.float64


def test_from_circuit_follows_the_trainable_patterns():
    """Only elements matching `*@ trainable` are selected; values 1/R and I."""
    params = Parameters.from_circuit(chain(CHAIN.replace("*@ trainable r* i*", "*@ trainable rb ic")))
    assert (params.resistors, params.sources) == (["rb"], ["ic"])
    np.testing.assert_array_equal(params.conductances, [1 / 2000])
    np.testing.assert_array_equal(params.biases, [-2.5e-3])


def test_wildcard_selects_only_resistors_and_current_sources():
    """A pattern matching every name still leaves out voltage sources and diodes."""
    params = Parameters.from_circuit(chain(CHAIN.replace("*@ trainable r* i*", "*@ trainable *")))
    assert (params.resistors, params.sources) == (["ra", "rb", "rc"], ["ib", "ic"])


def test_no_trainable_element_is_an_error():
    """A pattern that matches nothing raises CircuitValidationError naming the file and the pattern."""
    with pytest.raises(CircuitValidationError,
                       match=r"chain\.cir: no trainable resistor or current source matches '\*@ trainable zz\* v1'"):
        Parameters.from_circuit(chain(CHAIN.replace("*@ trainable r* i*", "*@ trainable zz* v1")))


def test_copy_is_independent():
    """copy() duplicates the arrays and the name lists."""
    params = Parameters.from_circuit(chain())
    duplicate = params.copy()
    duplicate.conductances[0] = 123.0
    duplicate.biases[0] = 4.0
    duplicate.resistors.append("rz")
    assert params.conductances[0] == 1e-3 and params.biases[0] == 1e-3
    assert params.resistors == ["ra", "rb", "rc"]


def test_circuit_with_writes_values_into_a_copy():
    """circuit_with gives R = 1/g and I = b for the trainable elements of a new circuit and
    leaves the original circuit, and every other element, unchanged."""
    circuit = chain()
    params = Parameters.from_circuit(circuit)
    params.conductances[:] = [0.5, 0.25, 0.125]
    params.biases[:] = [7e-4, -3e-4]
    result = circuit_with(circuit, params)
    assert [result.elements[n].value for n in ("ra", "rb", "rc")] == [2.0, 4.0, 8.0]
    assert [result.elements[n].value for n in ("ib", "ic")] == [7e-4, -3e-4]
    assert isinstance(result.elements["ra"].value, float)
    assert [circuit.elements[n].value for n in ("ra", "rb", "rc", "ib", "ic")] == [1e3, 2e3, 4e3, 1e-3, -2.5e-3]
    assert result.elements["v1"].value == circuit.elements["v1"].value == 1.0
    assert list(result.elements) == list(circuit.elements)
    assert result.source_file == circuit.source_file and result.bounds == circuit.bounds


def test_circuit_with_round_trips_through_from_circuit():
    """Parameters read back from circuit_with's result are the ones written (to rounding of 1/(1/g))."""
    rng = np.random.default_rng(0)
    circuit = parse_netlist(XOR.read_text(), "xor.cir")
    params = Parameters.from_circuit(circuit)
    params.conductances[:] = rng.uniform(1e-6, 1e-2, params.conductances.size)
    params.biases[:] = rng.normal(scale=1e-4, size=params.biases.size)
    back = Parameters.from_circuit(circuit_with(circuit, params))
    assert back.resistors == params.resistors and back.sources == params.sources
    np.testing.assert_allclose(back.conductances, params.conductances, rtol=1e-15)
    np.testing.assert_array_equal(back.biases, params.biases)


def test_layers_of_a_drn_follow_its_layer_sizes():
    """For build_drn(3, [4, 2], 2): 6 inputs (mirrored) x 4, 4 x 2 and 2 x 2 resistors in layers
    0, 1, 2; 4, 2 and 2 bias sources in layers 0, 1, 2."""
    circuit = build_drn(3, [4, 2], 2, seed=0)
    params = Parameters.from_circuit(circuit)
    layers_g, layers_b = params.layers(circuit)
    assert layers_g.shape == (len(params.resistors),) and layers_b.shape == (len(params.sources),)
    np.testing.assert_array_equal(np.bincount(layers_g), [24, 8, 4])
    np.testing.assert_array_equal(np.bincount(layers_b), [4, 2, 2])
    # a layer-l resistor ends at a node of layer l: hidden layer l+1 or, for the last, an output
    for name, layer in zip(params.resistors, layers_g):
        far = circuit.elements[name].nodes[1]
        assert far.startswith(f"h{layer + 1}_") or (layer == 2 and far.startswith("out")), (name, far)


def test_layers_from_graph_distance():
    """Without layered names the layer is the resistor distance of the farther node from the
    input source's node, minus one: ra (in-h) 0, rb (h-o) 1, rc (o-0) 1; ib at o 1, ic at h 0."""
    circuit = chain()
    layers_g, layers_b = Parameters.from_circuit(circuit).layers(circuit)
    assert layers_g.tolist() == [0, 1, 1]
    assert layers_b.tolist() == [1, 0]


def test_layers_mixed_names_use_the_graph():
    """When only some names look layered, all layers come from the graph."""
    text = CHAIN.replace("Ra in h", "R1_a in h").replace("Rb h o", "R5_b h o")
    circuit = chain(text)
    layers_g, layers_b = Parameters.from_circuit(circuit).layers(circuit)
    assert layers_g.tolist() == [0, 1, 1] and layers_b.tolist() == [1, 0]


def test_layers_of_unreached_nodes_are_the_deepest():
    """A node not connected to the inputs through resistors counts as the farthest one."""
    text = CHAIN.replace("Ic 0 h -2.5m", "Ic 0 h -2.5m\nRz q 0 1k\nIz 0 q 1m")
    circuit = chain(text)
    params = Parameters.from_circuit(circuit)
    layers_g, layers_b = params.layers(circuit)
    assert dict(zip(params.resistors, layers_g.tolist())) == {"ra": 0, "rb": 1, "rc": 1, "rz": 1}
    assert dict(zip(params.sources, layers_b.tolist())) == {"ib": 1, "ic": 0, "iz": 1}


def test_layers_are_never_negative():
    """Layer indices are 0-based even for names r0_*, which build_drn never writes."""
    text = (CHAIN.replace("Ra in h", "R0_a in h").replace("Rb h o", "R1_b h o").replace("Rc o 0", "R1_c o 0")
            .replace("Ib 0 o", "Ib1_x 0 o").replace("Ic 0 h", "Ib0_y 0 h"))
    circuit = chain(text)
    layers_g, layers_b = Parameters.from_circuit(circuit).layers(circuit)
    assert layers_g.min() >= 0 and layers_b.min() >= 0

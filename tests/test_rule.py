"""Tests of circuitnet.learning.rule (the local rule: energy derivatives, pins, gradient
estimates) and circuitnet.learning.contrast (the states it compares)."""
from __future__ import annotations

import numpy as np
import pytest

from circuitnet.learning.contrast import Contrast
from circuitnet.learning.parameters import Parameters
from circuitnet.learning.rule import (
    Pins,
    energy_derivatives,
    estimate_bias_gradient,
    estimate_gradient,
    source_derivatives,
)
from circuitnet.netlist import parse_netlist

NETLIST = """rule test network
*@ input v1
*@ trainable r* i*
V1 in 0 1
R1 in a 1k
R2 a b 2k
R3 b 0 3k
R4 0 a 500
R5 b c 750
R6 c 0 1.2k
I1 0 a 1m
I2 a b 2m
I3 c 0 -1m
I4 b c 0.5m
.end
"""
#: columns of the states, deliberately not in order of first appearance
NODES = ["c", "in", "b", "a"]


@pytest.fixture
def circuit():
    return parse_netlist(NETLIST, "rule.cir")


@pytest.fixture
def params(circuit):
    return Parameters.from_circuit(circuit)


@pytest.fixture
def pins(circuit, params):
    return Pins.of(circuit, params, NODES)


def energy(circuit, g: dict[str, float], b: dict[str, float], voltages: np.ndarray) -> float:
    """E = 1/2 sum_k g_k (v_a - v_b)^2 - sum_n J_n v_n for one state, element by element;
    `I p m b` takes b out of node p and injects it into node m."""
    v = dict(zip(NODES, map(float, voltages)))
    v["0"] = 0.0
    total = 0.0
    for name, value in g.items():
        a, c = circuit.elements[name].nodes
        total += 0.5 * value * (v[a] - v[c]) ** 2
    for name, value in b.items():
        plus, minus = circuit.elements[name].nodes
        total -= value * v[minus] - value * v[plus]
    return total


def finite_difference(circuit, params, voltages, h=1e-3):
    """dE/dg and dE/db by central differences of `energy` around params."""
    g0 = dict(zip(params.resistors, params.conductances))
    b0 = dict(zip(params.sources, params.biases))
    dg, db = [], []
    for name in params.resistors:
        up, down = dict(g0), dict(g0)
        up[name] += h
        down[name] -= h
        dg.append((energy(circuit, up, b0, voltages) - energy(circuit, down, b0, voltages)) / (2 * h))
    for name in params.sources:
        up, down = dict(b0), dict(b0)
        up[name] += h
        down[name] -= h
        db.append((energy(circuit, g0, up, voltages) - energy(circuit, g0, down, voltages)) / (2 * h))
    return np.array(dg), np.array(db)


def test_pins_map_element_nodes_to_state_columns(circuit, params, pins):
    """Each pin index is the node's column in NODES; ground is column len(NODES)."""
    column = {n: k for k, n in enumerate(NODES)}
    column["0"] = len(NODES)
    assert pins.resistor_a.tolist() == [column[circuit.elements[r].nodes[0]] for r in params.resistors]
    assert pins.resistor_b.tolist() == [column[circuit.elements[r].nodes[1]] for r in params.resistors]
    assert pins.source_plus.tolist() == [column[circuit.elements[s].nodes[0]] for s in params.sources]
    assert pins.source_minus.tolist() == [column[circuit.elements[s].nodes[1]] for s in params.sources]
    assert pins.resistor_a.dtype == np.intp


def test_pins_reject_a_node_missing_from_the_columns(circuit, params):
    """A node that has no column is a KeyError naming it, not a silent wrong column."""
    with pytest.raises(KeyError, match="'a'"):
        Pins.of(circuit, params, ["c", "in", "b"])


def test_energy_derivatives_by_hand(circuit, params, pins):
    """One state worked by hand: R2 (a-b) gives 1/2 (2 - 0.5)^2, R4 (0-a) 1/2 * 2^2; I1 (0 -> a)
    gives v_0 - v_a = -2, I2 (a -> b) 1.5, I3 (c -> 0) v_c = -1."""
    state = np.array([[-1.0, 3.0, 0.5, 2.0]])  # c, in, b, a
    dg, db = energy_derivatives(pins, state)
    by_name = dict(zip(params.resistors, dg[0]))
    assert by_name["r1"] == 0.5 * (3.0 - 2.0) ** 2
    assert by_name["r2"] == 0.5 * (2.0 - 0.5) ** 2
    assert by_name["r3"] == 0.5 * 0.5 ** 2
    assert by_name["r4"] == 0.5 * 2.0 ** 2
    assert by_name["r6"] == 0.5 * 1.0 ** 2
    assert dict(zip(params.sources, db[0])) == {"i1": -2.0, "i2": 1.5, "i3": -1.0, "i4": 1.5}


def test_energy_derivatives_match_finite_differences_of_the_energy(circuit, params, pins):
    """For random states, dE/dg and dE/db equal central differences of the energy written
    out element by element (signs of the current sources included)."""
    rng = np.random.default_rng(0)
    states = rng.normal(size=(4, len(NODES)))
    dg, db = energy_derivatives(pins, states)
    assert dg.shape == (4, 6) and db.shape == (4, 4)
    for row, state in enumerate(states):
        fd_g, fd_b = finite_difference(circuit, params, state)
        np.testing.assert_allclose(dg[row], fd_g, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(db[row], fd_b, rtol=1e-8, atol=1e-12)


def test_source_derivatives_are_the_bias_part(pins):
    """source_derivatives equals the second output of energy_derivatives."""
    states = np.random.default_rng(1).normal(size=(3, len(NODES)))
    np.testing.assert_array_equal(source_derivatives(pins, states), energy_derivatives(pins, states)[1])


def test_state_is_not_modified(pins):
    """The rule reads the states without writing to them."""
    states = np.random.default_rng(2).normal(size=(3, len(NODES)))
    before = states.copy()
    energy_derivatives(pins, states)
    estimate_gradient(pins, Contrast(states, states * 0.5, 0.1))
    np.testing.assert_array_equal(states, before)


@pytest.mark.parametrize("batch", [1, 5])
def test_estimate_gradient_is_the_batch_mean_of_the_contrast(circuit, params, pins, batch):
    """estimate_gradient = mean over the batch of (dE(upper) - dE(lower)) / scale, with dE
    from finite differences of the energy."""
    rng = np.random.default_rng(batch)
    upper, lower = rng.normal(size=(batch, len(NODES))), rng.normal(size=(batch, len(NODES)))
    scale = 0.25
    grad_g, grad_b = estimate_gradient(pins, Contrast(upper, lower, scale))
    fd = [finite_difference(circuit, params, u) for u in upper], [finite_difference(circuit, params, w) for w in lower]
    expected_g = np.mean([u[0] - w[0] for u, w in zip(*fd)], axis=0) / scale
    expected_b = np.mean([u[1] - w[1] for u, w in zip(*fd)], axis=0) / scale
    np.testing.assert_allclose(grad_g, expected_g, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(grad_b, expected_b, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(estimate_bias_gradient(pins, Contrast(upper, lower, scale)), expected_b,
                               rtol=1e-7, atol=1e-10)


def test_identical_states_give_zero_gradient(pins):
    """When upper and lower agree there is nothing to learn: both gradients are exactly zero."""
    state = np.random.default_rng(3).normal(size=(4, len(NODES)))
    grad_g, grad_b = estimate_gradient(pins, Contrast(state, state.copy(), 0.01))
    assert not grad_g.any() and not grad_b.any()
    assert not estimate_bias_gradient(pins, Contrast(state, state.copy(), 0.01)).any()


def test_swapping_the_states_flips_the_sign(pins):
    """The estimate is antisymmetric in (upper, lower)."""
    rng = np.random.default_rng(4)
    upper, lower = rng.normal(size=(3, len(NODES))), rng.normal(size=(3, len(NODES)))
    forward = estimate_gradient(pins, Contrast(upper, lower, 0.5))
    backward = estimate_gradient(pins, Contrast(lower, upper, 0.5))
    np.testing.assert_allclose(forward[0], -backward[0], rtol=1e-14)
    np.testing.assert_allclose(forward[1], -backward[1], rtol=1e-14)


def test_float32_states_give_float64_estimates(pins):
    """Estimates from float32 states are float64 and agree with the float64 computation."""
    rng = np.random.default_rng(5)
    upper, lower = rng.normal(size=(3, len(NODES))), rng.normal(size=(3, len(NODES)))
    single = estimate_gradient(pins, Contrast(upper.astype(np.float32), lower.astype(np.float32), 0.5))
    double = estimate_gradient(pins, Contrast(upper.astype(np.float32).astype(float),
                                              lower.astype(np.float32).astype(float), 0.5))
    bias = estimate_bias_gradient(pins, Contrast(upper.astype(np.float32), lower.astype(np.float32), 0.5))
    assert single[0].dtype == single[1].dtype == bias.dtype == np.float64
    np.testing.assert_allclose(single[0], double[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(single[1], double[1], rtol=1e-5, atol=1e-6)


def test_rule_on_a_solved_linear_network_matches_the_cost_gradient(circuit, params, pins):
    """Equilibrium propagation on a linear network solved here with numpy: the estimate with
    nudging beta converges to dC/dg, dC/db (central differences of the cost C = 1/2 (v_c - 0.3)^2
    at the equilibrium)."""
    def equilibrium(g, b, beta=0.0, target=0.3):
        # node voltages minimizing E + beta C with v_in = 1 V: a linear solve over a, b, c
        free = ["a", "b", "c"]
        index = {n: k for k, n in enumerate(free)}
        lap, rhs = np.zeros((3, 3)), np.zeros(3)
        for name, value in zip(params.resistors, g):
            ends = circuit.elements[name].nodes
            for here, there in (ends, ends[::-1]):
                if here in index:
                    lap[index[here], index[here]] += value
                    if there in index:
                        lap[index[here], index[there]] -= value
                    elif there == "in":
                        rhs[index[here]] += value * 1.0
        for name, value in zip(params.sources, b):
            plus, minus = circuit.elements[name].nodes
            if minus in index:
                rhs[index[minus]] += value
            if plus in index:
                rhs[index[plus]] -= value
        lap[index["c"], index["c"]] += beta
        rhs[index["c"]] += beta * target
        v = dict(zip(free, np.linalg.solve(lap, rhs)))
        v["in"] = 1.0
        return np.array([[v[n] for n in NODES]])

    def cost(g, b):
        return 0.5 * (equilibrium(g, b)[0, NODES.index("c")] - 0.3) ** 2

    g, b = params.conductances, params.biases
    beta = 1e-7
    upper, lower = equilibrium(g, b, beta), equilibrium(g, b, 0.0)
    grad_g, grad_b = estimate_gradient(pins, Contrast(upper, lower, beta))
    fd_g = [(cost(g + h, b) - cost(g - h, b)) / (2 * 1e-8) for h in np.eye(len(g)) * 1e-8]
    fd_b = [(cost(g, b + h) - cost(g, b - h)) / (2 * 1e-8) for h in np.eye(len(b)) * 1e-8]
    np.testing.assert_allclose(grad_g, fd_g, rtol=1e-3, atol=1e-6 * np.abs(fd_g).max())
    np.testing.assert_allclose(grad_b, fd_b, rtol=1e-3, atol=1e-6 * np.abs(fd_b).max())


def test_contrast_holds_its_fields():
    """Contrast keeps the arrays it is given (no copy) and the scale."""
    upper, lower = np.zeros((2, 3)), np.ones((2, 3))
    contrast = Contrast(upper, lower, 0.5)
    assert contrast.upper is upper and contrast.lower is lower and contrast.scale == 0.5

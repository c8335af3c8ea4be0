"""Tests of circuitnet.learning.optimizer: SGD's update (momentum, decay, clipping), its state,
the layered fast path, and per-layer learning rates."""
from __future__ import annotations

import numpy as np
import pytest

from circuitnet.errors import CircuitValidationError
from circuitnet.learning.layered_rule import LowRank, WeightBlock
from circuitnet.learning.optimizer import SGD, per_layer
from circuitnet.learning.parameters import Parameters
from circuitnet.model.circuit import Bounds

BOUNDS = Bounds(gmin=1e-3, gmax=1.0)


def make_params(rng, n_r=6, n_i=3):
    return Parameters([f"r{k}" for k in range(n_r)], rng.uniform(0.2, 0.8, n_r),
                      [f"i{k}" for k in range(n_i)], rng.uniform(-1e-3, 1e-3, n_i))


def reference_sgd(g, b, steps, lr_g, lr_b, decay, momentum, gmin, gmax):
    """The documented update, one element at a time in plain Python floats."""
    g, b = [float(x) for x in g], [float(x) for x in b]
    vg, vb = [0.0] * len(g), [0.0] * len(b)
    for grad_g, grad_b, epoch in steps:
        factor = decay ** epoch
        for k in range(len(g)):
            vg[k] = momentum * vg[k] + float(grad_g[k])
            g[k] = min(max(g[k] - factor * float(lr_g[k]) * vg[k], gmin), gmax)
        for k in range(len(b)):
            vb[k] = momentum * vb[k] + float(grad_b[k])
            b[k] = b[k] - factor * float(lr_b[k]) * vb[k]
    return np.array(g), np.array(b), np.array(vg), np.array(vb)


def random_steps(rng, n_r, n_i, epochs, scale=1.0):
    return [(scale * rng.normal(size=n_r), 1e-3 * rng.normal(size=n_i), e) for e in epochs]


def test_one_plain_step():
    """Without momentum or decay a step is g - lr*grad and b - lr_b*grad_b."""
    params = Parameters(["r1", "r2"], np.array([0.5, 0.25]), ["i1"], np.array([1e-3]))
    sgd = SGD(np.array([0.1, 0.2]), np.array([0.5]), BOUNDS)
    sgd.step(params, np.array([1.0, -0.5]), np.array([2e-3]), epoch=0)
    np.testing.assert_allclose(params.conductances, [0.5 - 0.1 * 1.0, 0.25 + 0.2 * 0.5], rtol=1e-15)
    np.testing.assert_allclose(params.biases, [1e-3 - 0.5 * 2e-3], rtol=1e-15)


def test_learning_rate_decays_per_epoch():
    """At epoch e the step is scaled by decay**e: 0.5**3 = 1/8 at epoch 3."""
    params = Parameters(["r1"], np.array([0.5]), ["i1"], np.array([0.0]))
    sgd = SGD(np.array([0.8]), np.array([0.8]), BOUNDS, lr_decay=0.5)
    sgd.step(params, np.array([1.0]), np.array([1.0]), epoch=3)
    assert params.conductances[0] == pytest.approx(0.5 - 0.8 / 8, rel=1e-15)
    assert params.biases[0] == pytest.approx(-0.8 / 8, rel=1e-15)


def test_momentum_accumulates_velocity():
    """Heavy ball: with a constant gradient the steps are lr*grad*(1), (1 + m), (1 + m + m^2)."""
    params = Parameters(["r1"], np.array([0.5]), [], np.zeros(0))
    sgd = SGD(np.array([0.01]), np.zeros(0), BOUNDS, momentum=0.5)
    positions = [0.5]
    for _ in range(3):
        sgd.step(params, np.array([1.0]), np.zeros(0), epoch=0)
        positions.append(params.conductances[0])
    np.testing.assert_allclose(-np.diff(positions), [0.01, 0.01 * 1.5, 0.01 * 1.75], rtol=1e-12)
    np.testing.assert_allclose(sgd.velocity_g, [1.75], rtol=1e-15)


@pytest.mark.parametrize("momentum, decay", [(0.0, 1.0), (0.9, 1.0), (0.6, 0.7)])
def test_steps_match_reference(momentum, decay):
    """Several steps with per-parameter rates, momentum, decay and clipping match the
    element-by-element reference, including the clipped conductances."""
    rng = np.random.default_rng(11)
    params = make_params(rng)
    lr_g, lr_b = rng.uniform(0.05, 0.3, 6), rng.uniform(0.1, 1.0, 3)
    steps = random_steps(rng, 6, 3, [0, 0, 1, 1, 2, 3], scale=3.0)
    expected = reference_sgd(params.conductances, params.biases, steps, lr_g, lr_b, decay, momentum,
                             BOUNDS.gmin, BOUNDS.gmax)
    sgd = SGD(lr_g, lr_b, BOUNDS, lr_decay=decay, momentum=momentum)
    for grad_g, grad_b, epoch in steps:
        sgd.step(params, grad_g, grad_b, epoch)
    np.testing.assert_allclose(params.conductances, expected[0], rtol=1e-13, atol=0)
    np.testing.assert_allclose(params.biases, expected[1], rtol=1e-13, atol=1e-20)
    np.testing.assert_allclose(sgd.velocity_g, expected[2], rtol=1e-13)
    np.testing.assert_allclose(sgd.velocity_b, expected[3], rtol=1e-13)


def test_clipping_to_conductance_bounds_but_not_biases():
    """Conductances are clipped to [gmin, gmax] exactly; biases are not bounded."""
    params = Parameters(["r1", "r2", "r3"], np.array([0.5, 0.5, 0.5]), ["i1"], np.array([0.0]))
    sgd = SGD(np.full(3, 1.0), np.array([1.0]), BOUNDS)
    sgd.step(params, np.array([10.0, -10.0, 0.1]), np.array([-50.0]), epoch=0)
    np.testing.assert_array_equal(params.conductances, [BOUNDS.gmin, BOUNDS.gmax, 0.4])
    assert params.biases[0] == 50.0


def test_step_updates_arrays_in_place():
    """`step` writes into the existing arrays, so views of them see the update."""
    rng = np.random.default_rng(2)
    params = make_params(rng)
    g, b = params.conductances, params.biases
    before = g.copy()
    SGD(np.full(6, 0.1), np.full(3, 0.1), BOUNDS).step(params, np.ones(6), np.ones(3), epoch=0)
    assert params.conductances is g and params.biases is b
    np.testing.assert_allclose(g, before - 0.1, rtol=1e-14)


def test_state_round_trip_continues_exactly():
    """Saving the momentum buffers midway and loading them into a fresh SGD reproduces an
    uninterrupted run bit for bit."""
    rng = np.random.default_rng(5)
    start = make_params(rng)
    lr_g, lr_b = np.full(6, 0.05), np.full(3, 0.2)
    steps = random_steps(rng, 6, 3, [0, 0, 1, 1, 2])
    whole_params = start.copy()
    whole = SGD(lr_g, lr_b, BOUNDS, lr_decay=0.9, momentum=0.8)
    for grad_g, grad_b, epoch in steps:
        whole.step(whole_params, grad_g, grad_b, epoch)

    part_params = start.copy()
    first = SGD(lr_g, lr_b, BOUNDS, lr_decay=0.9, momentum=0.8)
    for grad_g, grad_b, epoch in steps[:2]:
        first.step(part_params, grad_g, grad_b, epoch)
    resumed = SGD(lr_g, lr_b, BOUNDS, lr_decay=0.9, momentum=0.8)
    resumed.load_state(first.state())
    for grad_g, grad_b, epoch in steps[2:]:
        resumed.step(part_params, grad_g, grad_b, epoch)
    np.testing.assert_array_equal(part_params.conductances, whole_params.conductances)
    np.testing.assert_array_equal(part_params.biases, whole_params.biases)
    np.testing.assert_array_equal(resumed.velocity_g, whole.velocity_g)


def test_state_is_a_copy_both_ways():
    """state() returns copies and load_state copies its input: later edits do not leak."""
    sgd = SGD(np.full(2, 0.1), np.full(1, 0.1), BOUNDS, momentum=0.5)
    sgd.step(Parameters(["a", "b"], np.array([0.5, 0.5]), ["i"], np.zeros(1)),
             np.array([1.0, 2.0]), np.array([3.0]), epoch=0)
    state = sgd.state()
    assert set(state) == {"velocity_g", "velocity_b"}
    state["velocity_g"][:] = 99.0
    np.testing.assert_array_equal(sgd.velocity_g, [1.0, 2.0])
    source = {"velocity_g": np.array([4.0, 5.0]), "velocity_b": np.array([6.0])}
    sgd.load_state(source)
    source["velocity_g"][:] = -1.0
    np.testing.assert_array_equal(sgd.velocity_g, [4.0, 5.0])
    np.testing.assert_array_equal(sgd.velocity_b, [6.0])


def test_fresh_optimizer_has_zero_velocity():
    """The momentum buffers start at zero, shaped like the learning rates."""
    sgd = SGD(np.full(4, 0.1), np.full(2, 0.1), BOUNDS, momentum=0.9)
    np.testing.assert_array_equal(sgd.velocity_g, np.zeros(4))
    np.testing.assert_array_equal(sgd.velocity_b, np.zeros(2))


# --- the layered fast path -------------------------------------------------------------------------

SHAPES = [(3, 4), (4, 2)]


def layered_setup(rng, dtype=np.float64, shapes=SHAPES):
    """A conductance array covered by weight blocks, random low-rank gradients and parameters
    whose conductances are a view of it."""
    blocks, start = [], 0
    for rows, cols in shapes:
        blocks.append(WeightBlock(slice(start, start + rows * cols), (rows, cols), slice(0, rows), slice(0, cols)))
        start += rows * cols
    conductance = rng.uniform(0.2, 0.8, start).astype(dtype)
    params = Parameters([f"r{k}" for k in range(start)], conductance[:start], ["i0", "i1"], np.zeros(2))
    return conductance, blocks, params


def random_grads(rng, dtype=np.float64, shapes=SHAPES, rank=3, size=1.0):
    return [LowRank(size * rng.normal(size=(rank, rows)).astype(dtype), rng.normal(size=(rank, cols)).astype(dtype),
                    float(rng.uniform(1, 4))) for rows, cols in shapes]


def dense_gradient(grads):
    """The flat conductance gradient: sum_k p[k, i] q[k, j] / scale per block, row-major."""
    return np.concatenate([np.einsum("ki,kj->ij", g.p.astype(float), g.q.astype(float)).ravel() / g.scale
                           for g in grads])


@pytest.mark.parametrize("momentum, decay, uniform", [(0.0, 1.0, True), (0.0, 0.8, True), (0.0, 1.0, False),
                                                      (0.7, 0.9, True), (0.5, 1.0, False)])
def test_step_layered_matches_step(momentum, decay, uniform):
    """step_layered with LowRank gradients gives what step gives with the same gradients written
    out densely: conductances (clipped), biases and momentum buffers, over several epochs."""
    rng = np.random.default_rng(21)
    conductance, blocks, params = layered_setup(rng)
    n = conductance.size
    lr_g = np.full(n, 0.2) if uniform else rng.uniform(0.05, 0.3, n)
    reference = params.copy()
    fast = SGD(lr_g, np.array([0.1, 0.3]), BOUNDS, lr_decay=decay, momentum=momentum)
    slow = SGD(lr_g.copy(), np.array([0.1, 0.3]), BOUNDS, lr_decay=decay, momentum=momentum)
    for epoch in [0, 1, 1, 2]:
        grads = random_grads(rng, size=3.0)
        grad_b = rng.normal(size=2)
        fast.step_layered(conductance, blocks, grads, params, grad_b, epoch)
        slow.step(reference, dense_gradient(grads), grad_b, epoch)
    np.testing.assert_allclose(conductance, reference.conductances, rtol=1e-12)
    np.testing.assert_allclose(params.conductances, reference.conductances, rtol=1e-12)
    np.testing.assert_allclose(params.biases, reference.biases, rtol=1e-12)
    if momentum:
        np.testing.assert_allclose(fast.velocity_g, slow.velocity_g, rtol=1e-12)
        np.testing.assert_allclose(fast.velocity_b, slow.velocity_b, rtol=1e-12)
    assert conductance.min() >= BOUNDS.gmin and conductance.max() <= BOUNDS.gmax
    assert np.any(conductance == BOUNDS.gmin) or np.any(conductance == BOUNDS.gmax)


def test_step_layered_returns_the_new_sums():
    """Without momentum every block's (block, row sums, column sums) of the updated matrix is returned."""
    rng = np.random.default_rng(3)
    conductance, blocks, params = layered_setup(rng)
    sgd = SGD(np.full(conductance.size, 0.05), np.full(2, 0.1), BOUNDS)
    sums = sgd.step_layered(conductance, blocks, random_grads(rng), params, np.zeros(2), epoch=0)
    assert [s[0] for s in sums] == blocks
    for block, rows, cols in sums:
        matrix = conductance[block.where].reshape(block.shape)
        np.testing.assert_allclose(rows, [sum(r) for r in matrix.tolist()], rtol=1e-13)
        np.testing.assert_allclose(cols, [sum(c) for c in matrix.T.tolist()], rtol=1e-13)


def test_step_layered_with_momentum_returns_only_correct_sums():
    """With momentum any returned sums still match the updated matrices."""
    rng = np.random.default_rng(4)
    conductance, blocks, params = layered_setup(rng)
    sgd = SGD(np.full(conductance.size, 0.05), np.full(2, 0.1), BOUNDS, momentum=0.5)
    for block, rows, cols in sgd.step_layered(conductance, blocks, random_grads(rng), params, np.zeros(2), 0):
        matrix = conductance[block.where].reshape(block.shape)
        np.testing.assert_allclose(rows, matrix.sum(axis=1), rtol=1e-13)
        np.testing.assert_allclose(cols, matrix.sum(axis=0), rtol=1e-13)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-5)])
def test_step_layered_large_block_kernel(dtype, rtol):
    """A block large enough for the threaded kernel (300 x 300) gets the clipped update
    clip(w - lr * p.T q / scale) and correct sums, in float64 and float32."""
    rng = np.random.default_rng(8)
    shapes = [(300, 300)]
    conductance, blocks, params = layered_setup(rng, dtype, shapes)
    before = conductance.astype(float).reshape(300, 300)
    grads = random_grads(rng, dtype, shapes, rank=4, size=2.0)
    sgd = SGD(np.full(conductance.size, 0.2), np.full(2, 0.1), BOUNDS)
    (block, rows, cols), = sgd.step_layered(conductance, blocks, grads, params, np.zeros(2), epoch=0)
    expected = np.clip(before - 0.2 * dense_gradient(grads).reshape(300, 300), BOUNDS.gmin, BOUNDS.gmax)
    got = conductance.reshape(300, 300)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * BOUNDS.gmax)
    np.testing.assert_allclose(rows, expected.sum(axis=1), rtol=10 * rtol)
    np.testing.assert_allclose(cols, expected.sum(axis=0), rtol=10 * rtol)
    assert np.any(got == dtype(BOUNDS.gmin)) and np.any(got == dtype(BOUNDS.gmax))


# --- per_layer --------------------------------------------------------------------------------------

def test_per_layer_scalar_rate_fills_every_parameter():
    """A scalar (or one-element) rate applies to every parameter."""
    layers = np.array([0, 0, 1, 2])
    np.testing.assert_array_equal(per_layer(0.3, layers, "weight"), [0.3] * 4)
    np.testing.assert_array_equal(per_layer([0.3], layers, "weight"), [0.3] * 4)


def test_per_layer_rates_follow_the_layer_index():
    """One rate per layer: parameter k gets rates[layers[k]]."""
    layers = np.array([1, 0, 2, 1, 0])
    rates = per_layer([0.1, 0.2, 0.3], layers, "weight")
    np.testing.assert_array_equal(rates, [0.2, 0.1, 0.3, 0.2, 0.1])


def test_per_layer_without_parameters():
    """No parameters: an empty array of rates."""
    assert per_layer(0.1, np.zeros(0, dtype=int), "bias").shape == (0,)


@pytest.mark.parametrize("rates, message", [
    ([0.1, 0.2, 0.3], "3 weight learning rates given for a network of 2 layers"),
    ([0.1, 0.2, 0.3, 0.4], "4 weight learning rates given for a network of 2 layers"),
])
def test_per_layer_rejects_a_wrong_count(rates, message):
    """A rate list whose length is neither 1 nor the number of layers is a CircuitValidationError."""
    with pytest.raises(CircuitValidationError, match=message):
        per_layer(rates, np.array([0, 1, 1]), "weight")

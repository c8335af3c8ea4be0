"""Dense blocks and kernel blocks execute one sweep plan: the same states, to rounding,
in fixed-sweep and in tolerance mode, on random layered networks."""
import numpy as np
import pytest
from random_circuits import random_circuit, randomised_drn

from circuitnet import Circuit
from circuitnet.compile.conditions import Clamp, Nudge
from circuitnet.errors import CircuitValidationError
from circuitnet.model.networks import build_drn
from circuitnet.solvers import solve


def random_layered(hidden, seed, features=5, classes=3, shuffle=False):
    """A compiled DRN with random conductances and biases (`randomised_drn`)."""
    circuit, rng = randomised_drn(hidden, seed, features, classes, shuffle)
    return circuit.compile(), rng


def case(hidden, seed, shuffle, kind, batch=4):
    """A random layered network, inputs (batch, 5) and the extra conditions of `kind`."""
    cc, rng = random_layered(hidden, seed, shuffle=shuffle)
    x = rng.random((batch, 5))
    return cc, x, conditions(kind, cc, rng, batch)


def conditions(kind, cc, rng, batch):
    outputs = cc.circuit.outputs
    if kind == "nudge":
        return {"nudge": Nudge(outputs, float(rng.choice([0.7, -0.02])), rng.random((batch, len(outputs))))}
    if kind == "clamp":
        return {"clamp": Clamp(outputs, rng.random((batch, len(outputs))))}
    return {}


CASES = [(hidden, seed, shuffle) for hidden in ([6], [7, 5], [5, 4, 3]) for seed in range(3)
         for shuffle in (False, True)]


@pytest.mark.parametrize("hidden,seed,shuffle", CASES)
@pytest.mark.parametrize("kind", ["free", "nudge", "clamp"])
def test_dense_equals_kernel_in_fixed_sweep_mode(hidden, seed, shuffle, kind):
    cc, x, extra = case(hidden, seed, shuffle, kind)
    warm = solve(cc, x, sweeps=2, layered=False).voltages
    for sweeps in (1, 3, 7):
        dense = solve(cc, x, sweeps=sweeps, layered=True, warm_start=warm, **extra)
        kernel = solve(cc, x, sweeps=sweeps, layered=False, warm_start=warm, **extra)
        np.testing.assert_allclose(dense.voltages, kernel.voltages, rtol=0, atol=1e-12)
        assert dense.sweeps == kernel.sweeps == sweeps
        assert dense.residual == pytest.approx(kernel.residual, rel=1e-6, abs=1e-13)


@pytest.mark.parametrize("hidden,seed,shuffle", CASES)
@pytest.mark.parametrize("kind", ["free", "nudge", "clamp"])
def test_dense_equals_kernel_in_tolerance_mode(hidden, seed, shuffle, kind):
    cc, x, extra = case(hidden, seed, shuffle, kind)
    dense = solve(cc, x, layered=True, **extra)
    kernel = solve(cc, x, layered=False, **extra)
    np.testing.assert_allclose(dense.voltages, kernel.voltages, rtol=0, atol=1e-12)
    for solution in (dense, kernel):  # both certified exact, by the same KKT quantities
        assert solution.residual < 1e-12
        assert solution.diode_violation < 1e-12


def test_dense_blocks_in_float32_follow_float64():
    cc, rng = random_layered([6, 4], 1)
    x = rng.random((3, 5))
    single = solve(cc, x, sweeps=5, layered=True, dtype=np.float32).voltages
    double = solve(cc, x, sweeps=5, layered=False).voltages
    np.testing.assert_allclose(single, double, atol=2e-5)


def test_layered_true_on_a_general_circuit_is_refused():
    with pytest.raises(CircuitValidationError, match="not a layered network"):
        solve(random_circuit(0, ideal=3), layered=True)


def test_default_chooses_either_and_agrees():
    cc, rng = random_layered([6], 4)
    x = rng.random((2, 5))
    chosen = solve(cc, x)
    np.testing.assert_allclose(chosen.voltages, solve(cc, x, layered=False).voltages, atol=1e-12)

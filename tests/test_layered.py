"""The layered fast path gives the states of the general coordinate-descent kernel."""
import numpy as np
import pytest

from circuitnet.conditions import Clamp, Nudge
from circuitnet.networks import build_drn
from circuitnet.solvers import solve
from random_circuits import random_circuit


def general(cc):
    """Force the general kernel on a compiled circuit (and on its clamped variants)."""
    cc._variants["layers"] = None
    return cc


@pytest.mark.parametrize("hidden", [[6], [8, 6], [5, 4, 3]])
def test_drn_is_detected_with_zero_copy_weights(hidden):
    plan = build_drn(5, hidden, 3, seed=1).compile().layer_plan()
    assert [len(layer) for layer in plan.layers] == [*hidden, 3]
    assert all(c.view is not None for c in plan.couplings)


def test_general_circuit_is_not_layered():
    assert random_circuit(0, ideal=3).compile().layer_plan() is None


@pytest.mark.parametrize("hidden", [[6], [8, 6], [5, 4, 3]])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_state_as_general_kernel(hidden, dtype):
    circuit = build_drn(5, hidden, 3, gain=2.0, seed=2)
    x = np.random.default_rng(0).random((6, 5))
    fast = solve(circuit.compile(), x, dtype=dtype)
    slow = solve(general(circuit.compile()), x, dtype=dtype)
    atol = 1e-8 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(fast.voltages, slow.voltages, atol=atol)
    if dtype == np.float64:  # amperes; these networks have node conductances of a few siemens
        assert fast.residual < 1e-7


def test_nudged_and_clamped_states_match_general_kernel():
    circuit = build_drn(4, [6, 5], 2, gain=2.0, seed=3)
    x = np.random.default_rng(1).random((3, 4))
    targets = np.random.default_rng(2).random((3, 2))
    for extra in ({"nudge": Nudge(circuit.outputs, 0.5, targets)},
                  {"clamp": Clamp(circuit.outputs, targets)}):
        fast = solve(circuit.compile(), x, **extra)
        slow = solve(general(circuit.compile()), x, **extra)
        np.testing.assert_allclose(fast.voltages, slow.voltages, atol=1e-8)


def test_fixed_sweeps_mode_runs_exactly_that_many():
    circuit = build_drn(4, [6], 2, gain=2.0, seed=3)
    solution = solve(circuit.compile(), np.ones((2, 4)), sweeps=3)
    assert solution.sweeps == 3

"""The active-set polish: exact steady states from coordinate descent's conducting set."""
import numpy as np
import pytest
from random_circuits import random_circuit

from circuitnet.compile.conditions import make_conditions
from circuitnet.errors import InfeasibleCircuitError
from circuitnet.solvers import solve
from circuitnet.solvers.active_set import can_polish, polish
from circuitnet.solvers.coordinate_descent import State


@pytest.mark.parametrize("seed", range(25))
def test_polished_cd_matches_qp_to_rounding(seed):
    circuit = random_circuit(seed, n_nodes=20, ideal=10, currents=2)
    try:
        expected = solve(circuit, solver="qp")
    except InfeasibleCircuitError:
        return
    got = solve(circuit)
    assert "fallback" not in got.info  # stalls are resolved by the polish, not by qp
    np.testing.assert_allclose(got.voltages, expected.voltages, atol=1e-11)
    assert got.residual < 1e-13


@pytest.mark.parametrize("seed", range(10))
def test_polish_corrects_a_wrong_active_set(seed):
    """Start from the unsolved point (every diode's state guessed from zero voltages)."""
    circuit = random_circuit(seed, n_nodes=15, ideal=8)
    cc = circuit.compile()
    assert can_polish(cc)
    try:
        expected = solve(circuit, solver="qp").voltages
    except InfeasibleCircuitError:
        return
    state = State.prepare(cc, make_conditions(circuit), None, np.float64)
    v = state.v.copy()
    assert polish(cc, cc.netlist_conductance, v, state.off, state.inj, state.leak, 1e-9)
    np.testing.assert_allclose(v[:, :cc.n_user], expected, atol=1e-10)


def test_shockley_and_vcvs_circuits_are_not_polished():
    assert not can_polish(random_circuit(1, shockley=2).compile())
    assert not can_polish(random_circuit(1, vcvs=1).compile())

"""The cd solver against hand-derived values and against the independent qp solver."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from random_circuits import random_circuit

from circuitnet import Circuit, DiodeModel, Element
from circuitnet.compile.conditions import Clamp, Nudge
from circuitnet.errors import ConvergenceError, InfeasibleCircuitError
from circuitnet.model.elements import CURRENT_SOURCE, DIODE, RESISTOR, VCVS, VOLTAGE_SOURCE
from circuitnet.model.physics import thermal_voltage
from circuitnet.solvers import solve

SEEDS = st.integers(min_value=0, max_value=10_000)
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def build(*cards, models=()) -> Circuit:
    """A circuit from (letter, name, nodes, value-or-model) tuples."""
    kinds = {"R": RESISTOR, "D": DIODE, "V": VOLTAGE_SOURCE, "I": CURRENT_SOURCE, "E": VCVS}
    circuit = Circuit()
    for model in models:
        circuit.add_model(model)
    for letter, name, nodes, value in cards:
        if letter == "D":
            circuit.add(Element(name, kinds[letter], nodes, model=value))
        else:
            circuit.add(Element(name, kinds[letter], nodes, value))
    return circuit


def assert_agree(circuit, atol, **kwargs):
    """cd and qp give the same voltages, or both call the circuit infeasible."""
    try:
        expected = solve(circuit, solver="qp", **kwargs)
    except InfeasibleCircuitError:
        with pytest.raises(InfeasibleCircuitError):
            solve(circuit, solver="cd", **kwargs)
        return None
    got = solve(circuit, solver="cd", **kwargs)
    np.testing.assert_allclose(got.voltages, expected.voltages, atol=atol, rtol=0)
    return got


def test_divider_by_hand():
    circuit = build(("V", "v1", ("in", "0"), 9.0), ("R", "r1", ("in", "out"), 2e3),
                    ("R", "r2", ("out", "0"), 1e3))
    solution = solve(circuit)
    assert solution.voltage("out")[0] == pytest.approx(3.0, abs=1e-12)
    assert solution.current("r1")[0] == pytest.approx(3e-3, abs=1e-15)
    assert solution.current("v1")[0] == pytest.approx(-3e-3, abs=1e-15)


def test_ideal_clipper_by_hand():
    ideal = DiodeModel("dz", ideal=True, vf=0.5)
    circuit = build(("V", "v1", ("in", "0"), 5.0), ("R", "r1", ("in", "out"), 1e3),
                    ("D", "d1", ("out", "0"), "dz"), ("R", "r2", ("out", "0"), 1e3), models=[ideal])
    solution = solve(circuit)
    assert solution.voltage("out")[0] == pytest.approx(0.5, abs=1e-12)
    # 4.5 mA arrive through r1, 0.5 mA leave through r2, the diode carries the rest.
    assert solution.current("d1")[0] == pytest.approx(4e-3, abs=1e-12)
    below = solve(circuit, {"v1": 0.6})
    assert below.voltage("out")[0] == pytest.approx(0.3, abs=1e-12)
    assert below.current("d1")[0] == 0.0


def test_diode_bridge_by_hand():
    """A full-wave bridge of ideal diodes: the load sees |vin| whatever its sign."""
    ideal = DiodeModel("dz", ideal=True)
    cards = [("V", "vin", ("a", "b"), 3.0), ("R", "rb", ("b", "0"), 1e3),
             ("D", "d1", ("a", "p"), "dz"), ("D", "d2", ("b", "p"), "dz"),
             ("D", "d3", ("m", "a"), "dz"), ("D", "d4", ("m", "b"), "dz"),
             ("R", "rload", ("p", "m"), 1e3), ("R", "rm", ("m", "0"), 1e6)]
    circuit = build(*cards, models=[ideal])
    for vin in (3.0, -3.0):
        solution = solve(circuit, {"vin": vin})
        drop = solution.voltage("p") - solution.voltage("m")
        assert drop[0] == pytest.approx(abs(vin), abs=1e-9)


def test_vcvs_chain_by_hand():
    """Two amplifier stages: out2 = 3 * (-2) * (divider of 1 V) = -3 V."""
    circuit = build(("V", "v1", ("in", "0"), 1.0), ("R", "r1", ("in", "x"), 1e3),
                    ("R", "r2", ("x", "0"), 1e3), ("E", "e1", ("y", "0", "x", "0"), -2.0),
                    ("R", "ry", ("y", "0"), 1e3), ("E", "e2", ("out2", "0", "y", "0"), 3.0),
                    ("R", "rl", ("out2", "0"), 1e3))
    solution = solve(circuit)
    assert solution.voltage("y")[0] == pytest.approx(-1.0, abs=1e-12)
    assert solution.voltage("out2")[0] == pytest.approx(-3.0, abs=1e-12)
    assert solution.current("e2")[0] == pytest.approx(3e-3, abs=1e-12)


def test_shockley_diode_by_hand():
    """KCL of a resistor feeding a diode, solved in the test by bisection."""
    from scipy.optimize import brentq

    model = DiodeModel("d", params={"is": 1e-14, "n": 1.0})
    circuit = build(("V", "v1", ("in", "0"), 5.0), ("R", "r1", ("in", "a"), 1e3),
                    ("D", "d1", ("a", "0"), "d"), models=[model])
    vt = thermal_voltage()
    kcl = lambda va: (5.0 - va) / 1e3 - 1e-14 * np.expm1(va / vt) - 1e-12 * va
    expected = brentq(kcl, 0.0, 1.0, xtol=1e-15)
    assert solve(circuit).voltage("a")[0] == pytest.approx(expected, abs=1e-12)


def test_diode_between_free_nodes_does_not_stall():
    """Naive coordinate descent stops at a corner here: each node alone is pinned by the
    conducting diode, but the optimum moves both together."""
    ideal = DiodeModel("dz", ideal=True)
    circuit = build(("V", "v1", ("s", "0"), 2.0), ("R", "r1", ("s", "a"), 1e3),
                    ("R", "r2", ("a", "0"), 1e3), ("D", "d1", ("a", "b"), "dz"),
                    ("R", "r3", ("b", "0"), 1e3), ("R", "r4", ("s", "b"), 4e3), models=[ideal])
    solution = assert_agree(circuit, 1e-9)
    assert not solution.info
    assert solution.residual < 1e-12


def test_chain_of_conducting_diodes_moves_as_one_block():
    ideal = DiodeModel("dz", ideal=True)
    circuit = build(("V", "v1", ("s", "0"), 5.0), ("R", "r1", ("s", "a"), 1e3),
                    ("D", "d1", ("a", "b"), "dz"), ("D", "d2", ("b", "c"), "dz"),
                    ("D", "d3", ("e", "c"), "dz"), ("R", "ra", ("a", "0"), 5e3),
                    ("R", "rc", ("c", "0"), 1e3), ("R", "rb", ("b", "0"), 3e3),
                    ("R", "re", ("s", "e"), 2e3), models=[ideal])
    solution = assert_agree(circuit, 1e-9)
    assert not solution.info


@SETTINGS
@given(SEEDS)
def test_ideal_diode_circuits_match_qp(seed):
    assert_agree(random_circuit(seed, ideal=4), 1e-8)


@SETTINGS
@given(SEEDS)
def test_diodes_to_sources_match_qp(seed):
    assert_agree(random_circuit(seed, ideal=4, free_diodes=False, currents=2), 1e-8)


@SETTINGS
@given(SEEDS)
def test_shockley_circuits_match_qp(seed):
    assert_agree(random_circuit(seed, ideal=0, shockley=3), 1e-7)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(SEEDS)
def test_feed_forward_vcvs_match_qp(seed):
    assert_agree(random_circuit(seed, ideal=2, shockley=1, vcvs=2), 1e-7)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(SEEDS)
def test_kkt_certificate(seed):
    """Residual below tolerance, diode currents non-negative and complementary to their slack."""
    circuit = random_circuit(seed, n_nodes=12, ideal=6)
    try:
        solution = solve(circuit)
    except InfeasibleCircuitError:
        return
    assert solution.residual < 1e-9
    assert solution.diode_violation < 1e-9
    for diode in circuit.of_kind("D"):
        current = solution.current(diode.name)
        slack = (circuit.models[diode.model].vf - solution.voltage(diode.nodes[0])
                 + solution.voltage(diode.nodes[1]))
        assert current.min() >= 0
        assert (current * slack).max() < 1e-12


def test_batched_equals_one_by_one():
    circuit = random_circuit(3, ideal=3, shockley=2, vcvs=1)
    values = np.linspace(-4, 4, 7)
    batched = solve(circuit, {"v" + k: values for k in []} or {_source(circuit): values})
    for b, value in enumerate(values):
        single = solve(circuit, {_source(circuit): value})
        np.testing.assert_allclose(batched.voltages[b], single.voltages[0], atol=1e-10)


def _source(circuit):
    return next(circuit.of_kind("V")).name


def test_float32_close_to_float64():
    circuit = random_circuit(5, ideal=3)
    exact = solve(circuit)
    single = solve(circuit, dtype=np.float32)
    assert single.voltages.dtype == np.float32
    np.testing.assert_allclose(single.voltages, exact.voltages, atol=1e-4)


def test_warm_start_from_solution_needs_one_sweep():
    circuit = random_circuit(7, ideal=3)
    first = solve(circuit)
    again = solve(circuit, warm_start=first.voltages)
    assert again.sweeps <= 2
    np.testing.assert_allclose(again.voltages, first.voltages, atol=1e-9)


def test_nudge_and_clamp_match_qp():
    circuit = random_circuit(11, ideal=3)
    nodes = ["n1", "n2"]
    targets = np.array([[0.5, -0.25]])
    assert_agree(circuit, 1e-8, nudge=Nudge(nodes, 0.01, targets))
    assert_agree(circuit, 1e-8, clamp=Clamp(nodes, targets))


def test_infeasible_diodes_raise():
    ideal = DiodeModel("dz", ideal=True)
    circuit = build(("V", "v1", ("hi", "0"), 1.0), ("R", "r1", ("x", "0"), 1e3),
                    ("D", "d1", ("hi", "x"), "dz"), ("D", "d2", ("x", "0"), "dz"), models=[ideal])
    with pytest.raises(InfeasibleCircuitError, match="cannot all hold"):
        solve(circuit)


def test_diverging_vcvs_loop_raises_and_auto_hands_over():
    """Loop gain 1.5: cd's block iteration diverges and says so; the nodal equations still
    have their one solution, v(x) = (1 + 3 v(x)) / 2 = -1 V, which auto finds."""
    circuit = build(("V", "v1", ("in", "0"), 1.0), ("R", "r1", ("in", "x"), 1e3),
                    ("R", "r2", ("x", "y"), 1e3), ("E", "e1", ("y", "0", "x", "0"), 3.0))
    with pytest.raises(ConvergenceError, match="VCVS"):
        solve(circuit, solver="cd")
    solution = solve(circuit)
    assert solution.info["method"] == "newton"
    np.testing.assert_allclose(solution.voltage("x"), -1.0, atol=1e-12)
    np.testing.assert_allclose(solution.voltage("y"), -3.0, atol=1e-12)


def test_max_sweeps_raises_with_tolerance_in_message():
    circuit = random_circuit(2, n_nodes=30, ideal=0, shockley=2)  # no exact linear polish
    with pytest.raises(ConvergenceError, match="did not converge in 2 sweeps"):
        solve(circuit, max_sweeps=2, solver="cd")


def test_fixed_sweeps_report_residual():
    circuit = random_circuit(2, n_nodes=30, ideal=0)
    solution = solve(circuit, sweeps=2)
    assert solution.sweeps == 2 and solution.residual > 0

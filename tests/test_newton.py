"""The newton solver against ngspice's operating point and against hand-derived answers."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ngspice_util import spice_test
from random_circuits import random_circuit, random_real_circuit

from circuitnet import Circuit, DiodeModel, Element, parse_netlist
from circuitnet.errors import CircuitValidationError, ConvergenceError
from circuitnet.model.elements import DIODE, RESISTOR, VOLTAGE_SOURCE
from circuitnet.model.junction import junction_current, junction_of
from circuitnet.model.physics import thermal_voltage
from circuitnet.solvers import solve
from circuitnet.solvers.kirchhoff import kcl_imbalance
from circuitnet.solvers.newton import limit_junctions
from circuitnet.compile.conditions import make_conditions


def assert_close(solution, reference, rel=1e-6, floor=1e-6):
    """Node voltages equal to `rel` of their size (`floor` volts at least)."""
    assert solution.nodes == reference.nodes
    scale = np.maximum(np.abs(reference.voltages), floor)
    worst = float(np.max(np.abs(solution.voltages - reference.voltages) / scale))
    assert worst <= rel, (worst, solution.voltages, reference.voltages)


@spice_test
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 25), stiff=st.booleans())
def test_random_real_circuits_match_ngspice(seed, n_nodes, stiff):
    """Shockley diodes with RS and breakdown, op-amp stages, 1 ohm next to 1 Mohm."""
    circuit = random_real_circuit(seed, n_nodes, stiff=stiff)
    try:
        reference = solve(circuit, solver="spice")
    except ConvergenceError:
        return  # no operating point for ngspice either: nothing to compare
    solution = solve(circuit, solver="newton")
    assert_close(solution, reference)
    for name in circuit.elements:
        np.testing.assert_allclose(solution.currents[name], reference.currents[name],
                                   rtol=1e-5, atol=1e-9 * max(1.0, float(np.abs(reference.currents[name]).max())))


@spice_test
@pytest.mark.parametrize("seed", range(6))
def test_batches_match_one_solve_each(seed):
    circuit = random_real_circuit(seed, 12)
    sources = [e.name for e in circuit.elements.values() if e.kind is VOLTAGE_SOURCE]
    values = np.random.default_rng(seed).uniform(-8, 8, (5, len(sources)))
    batch = solve(circuit, {name: values[:, k] for k, name in enumerate(sources)}, solver="newton")
    for row in range(5):
        one = solve(circuit, {name: values[row, k] for k, name in enumerate(sources)}, solver="newton")
        np.testing.assert_allclose(batch.voltages[row], one.voltages[0], rtol=1e-12, atol=1e-12)
    conditions = make_conditions(circuit, {name: values[:, k] for k, name in enumerate(sources)})
    assert np.abs(kcl_imbalance(circuit, batch, conditions)).max() < 1e-12


@pytest.mark.parametrize("seed", range(8))
def test_newton_equals_qp_on_forward_and_mildly_reversed_diodes(seed):
    """qp minimises the co-content of the plain exponential, which agrees with ngspice's
    law where no junction is reversed past -3 N VT: compare where the reverse tail adds
    at most IS * (largest resistance) of difference."""
    circuit = random_circuit(seed, n_nodes=12, ideal=0, shockley=3)
    newton, qp = solve(circuit, solver="newton"), solve(circuit, solver="qp")
    np.testing.assert_allclose(newton.voltages, qp.voltages, atol=1e-7)


def test_zener_regulator_by_hand():
    """12 V through 470 ohm into a 5.1 V zener (IBV 1 mA at BV) and 1 kohm: in breakdown,
    the zener current satisfies the exponential breakdown law exactly."""
    text = """zener
v1 in 0 12
r1 in out 470
d1 0 out dz
rl out 0 1k
.model dz D(is=1e-14 n=1 bv=5.1 ibv=1m)
.end
"""
    circuit = parse_netlist(text)
    solution = solve(circuit)
    assert solution.info["method"] == "newton"
    out = float(solution.voltage("out")[0])
    law = junction_of({"is": 1e-14, "n": 1.0, "bv": 5.1, "ibv": 1e-3}, {}, 27.0, 27.0)
    zener = (12 - out) / 470 - out / 1000  # amperes into the cathode
    assert zener == pytest.approx(law.saturation * math.exp((out - law.breakdown) / law.nbv_vt), rel=1e-6)
    assert 5.0 < out < 5.3


def test_temperature_scales_the_saturation_current():
    """IS(T) = IS (T/Tnom)^(XTI/N) exp((T/Tnom - 1) EG / (N VT(T))), and N*VT grows with T."""
    cold = junction_of({"is": 1e-14, "n": 1.5}, {}, 27.0, 27.0)
    hot = junction_of({"is": 1e-14, "n": 1.5}, {}, 100.0, 27.0)
    t, tnom = 373.15, 300.15
    expected = 1e-14 * (t / tnom) ** (3.0 / 1.5) * math.exp((t / tnom - 1) * 1.11 / (1.5 * thermal_voltage(t)))
    assert hot.saturation == pytest.approx(expected, rel=1e-12)
    assert hot.nvt == pytest.approx(1.5 * thermal_voltage(t)) and cold.saturation == pytest.approx(1e-14)
    instance = junction_of({"is": 1e-14, "n": 1.5}, {"temp": 100.0}, 27.0, 27.0)
    assert instance == hot
    scaled = junction_of({"is": 1e-14, "rs": 10.0}, {"area": 3.0, "m": 2.0}, 27.0, 27.0)
    assert scaled.saturation == pytest.approx(6e-14) and scaled.series == pytest.approx(10.0 / 6.0)


def test_the_law_is_continuous_and_its_slope_is_its_derivative():
    sat, nvt, bv, nbvt = 1e-12, 0.04, 5.0, 0.03
    vd = np.concatenate([np.linspace(-6, 1.2, 4001), [-3 * nvt]])  # (-bv is a kink of ngspice's law)
    current, slope = junction_current(vd, sat, nvt, bv, nbvt, 0.0)
    step = 1e-7
    up, _ = junction_current(vd + step, sat, nvt, bv, nbvt, 0.0)
    down, _ = junction_current(vd - step, sat, nvt, bv, nbvt, 0.0)
    np.testing.assert_allclose(slope, (up - down) / (2 * step), rtol=1e-4, atol=1e-15)
    assert np.all(np.diff(current[:4001]) > 0)  # monotone: the co-content is convex
    for edge in (-3 * nvt, -bv):
        left, _ = junction_current(edge - 1e-12, sat, nvt, bv, nbvt, 0.0)
        right, _ = junction_current(edge + 1e-12, sat, nvt, bv, nbvt, 0.0)
        assert abs(left - right) < 1e-3 * sat


def test_knee_current_halves_the_current_where_it_equals_ikf():
    """IKF: I -> I / (1 + sqrt(I / IKF)); at I = IKF the current is halved."""
    sat, nvt = 1e-14, 0.025865
    vd = nvt * math.log(1e-3 / sat + 1)  # plain current 1 mA
    current, _ = junction_current(np.array([vd]), sat, nvt, math.inf, nvt, 1e-3)
    assert current[0] == pytest.approx(0.5e-3, rel=1e-9)


def test_limiting_keeps_forward_steps_logarithmic():
    nvt, vcrit = np.array([0.026]), np.array([0.6])
    new, limited = limit_junctions(np.array([[5.0]]), np.array([[0.7]]), nvt, vcrit, np.array([np.inf]),
                                   np.array([0.026]))
    assert limited and 0.7 < new[0, 0] < 0.7 + 0.026 * math.log(1 + 4.3 / 0.026) + 1e-12
    same, limited = limit_junctions(np.array([[0.3]]), np.array([[0.29]]), nvt, vcrit, np.array([np.inf]),
                                    np.array([0.026]))
    assert not limited and same[0, 0] == 0.3


def test_every_node_fixed_gets_its_answer():
    """Two sources fix every node: no unknown voltage, the source currents still follow."""
    circuit = Circuit()
    circuit.add(Element("v1", VOLTAGE_SOURCE, ("a", "0"), 2.0))
    circuit.add(Element("v2", VOLTAGE_SOURCE, ("b", "a"), 1.0))
    circuit.add(Element("r1", RESISTOR, ("b", "0"), 100.0))
    solution = solve(circuit)
    np.testing.assert_allclose(solution.voltages, [[2.0, 3.0]])
    np.testing.assert_allclose(solution.currents["v2"], [-0.03])  # 30 mA out of its + pin
    np.testing.assert_allclose(solution.currents["v1"], [-0.03])


def test_ideal_diodes_are_refused_with_a_pointer():
    with pytest.raises(CircuitValidationError, match="ideal diodes"):
        solve(random_circuit(0, ideal=2), solver="newton")


def test_auto_says_what_ran_and_why():
    shockley = solve(random_circuit(1, ideal=0, shockley=2))
    assert shockley.info["method"] == "newton" and "Shockley" in shockley.info["reason"]
    ideal = solve(random_circuit(1, ideal=2))
    assert ideal.info["method"] == "cd" and "ideal" in ideal.info["reason"]


def test_breakdown_is_refused_by_cd_and_qp():
    circuit = Circuit()
    circuit.add_model(DiodeModel("dz", params={"bv": 5.0}))
    circuit.add(Element("v1", VOLTAGE_SOURCE, ("in", "0"), 9.0))
    circuit.add(Element("r1", RESISTOR, ("in", "out"), 1e3))
    circuit.add(Element("d1", DIODE, ("0", "out"), model="dz"))
    for solver in ("cd", "qp"):
        with pytest.raises(CircuitValidationError, match="newton"):
            solve(circuit, solver=solver)
    assert solve(circuit).info["method"] == "newton"

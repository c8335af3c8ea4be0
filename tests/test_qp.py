"""The qp reference solver against circuits solved by hand (and one KCL root found by brentq)."""
from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.optimize import brentq

from circuitnet import (ELEMENT_KINDS, Circuit, CircuitValidationError, ConvergenceError, DiodeModel, Element,
                        InfeasibleCircuitError)
from circuitnet.compile.conditions import Clamp, Nudge
from circuitnet.model.elements import Term
from circuitnet.model.physics import GMIN, THERMAL_VOLTAGE
from circuitnet.netlist import parse_netlist
from circuitnet.solvers import kirchhoff, solve


def build(*cards: str, models: tuple[DiodeModel, ...] = ()) -> Circuit:
    """A circuit from compact cards "R1 a b 1000", "D1 a b dmod", "E1 o 0 c 0 2" (SI values)."""
    circuit = Circuit()
    for model in models:
        circuit.add_model(model)
    for card in cards:
        name, *fields = card.lower().split()
        kind = ELEMENT_KINDS[name[0].upper()]
        pins = tuple(fields[:len(kind.pins)])
        rest = fields[len(kind.pins)]
        if kind.takes_model:
            circuit.add(Element(name, kind, pins, model=rest))
        else:
            circuit.add(Element(name, kind, pins, float(rest)))
    return circuit


IDEAL = DiodeModel("dideal", ideal=True)


def test_divider_voltages_currents_and_source_sign():
    sol = solve(build("V1 in 0 3", "R1 in mid 1000", "R2 mid 0 2000"), solver="qp")
    assert sol.solver == "qp"
    assert sol.voltage("mid")[0] == pytest.approx(2.0, abs=1e-10)
    assert sol.current("r1")[0] == pytest.approx(1e-3, abs=1e-13)
    # the source delivers power: SPICE current (n+ -> through source -> n-) is negative
    assert sol.current("v1")[0] == pytest.approx(-1e-3, abs=1e-13)
    assert sol.residual < 1e-15


def test_current_source_into_resistor_uses_spice_sign():
    # I1 0 a: 1 mA flows from 0 through the source into node a
    sol = solve(build("I1 0 a 1e-3", "R1 a 0 2000"), solver="qp")
    assert sol.voltage("a")[0] == pytest.approx(2.0, abs=1e-10)
    assert sol.current("i1")[0] == 1e-3
    sol = solve(build("I1 a 0 1e-3", "R1 a 0 2000"), solver="qp")
    assert sol.voltage("a")[0] == pytest.approx(-2.0, abs=1e-10)


def test_ideal_diode_clipper_over_a_batch():
    clip = DiodeModel("dclip", ideal=True, vf=0.3)
    circuit = build("V1 in 0 1", "R1 in out 1000", "D1 out 0 dclip", "R2 out 0 1000", models=(clip,))
    sol = solve(circuit, {"v1": np.array([2.0, 0.4, -2.0])}, solver="qp")
    np.testing.assert_allclose(sol.voltage("out"), [0.3, 0.2, -1.0], atol=1e-9)
    np.testing.assert_allclose(sol.current("d1"), [(2 - 0.3) / 1000 - 0.3 / 1000, 0, 0], atol=1e-12)
    assert sol.diode_violation < 1e-9 and sol.residual < 1e-12


def test_ideal_diode_between_two_free_nodes():
    circuit = build("V1 in 0 2", "R1 in a 1000", "R3 a 0 1000", "D1 a b dideal", "R2 b 0 1000",
                    models=(IDEAL,))
    sol = solve(circuit, {"v1": np.array([2.0, -2.0])}, solver="qp")
    # conducting: a = b, (2 - v)/1k = 2 v/1k -> v = 2/3; blocking: a = -1, b = 0
    np.testing.assert_allclose(sol.voltage("a"), [2 / 3, -1.0], atol=1e-9)
    np.testing.assert_allclose(sol.voltage("b"), [2 / 3, 0.0], atol=1e-9)
    np.testing.assert_allclose(sol.current("d1"), [2 / 3 / 1000, 0.0], atol=1e-12)


def test_shockley_diode_with_series_resistance_matches_brentq():
    model = DiodeModel("dm", {"is": 1e-14, "n": 1.5, "rs": 10.0})
    circuit = build("V1 in 0 5", "R1 in a 1000", "D1 a 0 dm", models=(model,))
    sol = solve(circuit, solver="qp")
    nvt = 1.5 * THERMAL_VOLTAGE

    def junction_current(vj):
        return 1e-14 * np.expm1(vj / nvt) + GMIN * vj

    vj = brentq(lambda vj: (5 - vj - 10 * junction_current(vj)) / 1000 - junction_current(vj), 0, 2,
                xtol=1e-15)
    assert sol.voltage("a")[0] == pytest.approx(vj + 10 * junction_current(vj), abs=1e-10)
    assert sol.current("d1")[0] == pytest.approx(junction_current(vj), rel=1e-9)
    assert sol.residual < 1e-14


def test_thermal_voltage_is_ngspice_27_celsius():
    # ngspice 39: CODATA 2014 k and q at 300.15 K
    assert THERMAL_VOLTAGE == pytest.approx(1.38064852e-23 * 300.15 / 1.6021766208e-19, rel=1e-15)
    assert THERMAL_VOLTAGE == pytest.approx(0.0258649170, abs=1e-10)


def test_vcvs_amplifier_chain_by_hand():
    circuit = build("V1 in 0 1", "R1 in a 1000", "R2 a 0 1000", "E1 b 0 a 0 4",
                    "R3 b c 1000", "R4 c 0 3000", "E2 d 0 c 0 -2", "R5 d 0 1000")
    sol = solve(circuit, solver="qp")
    # a = 0.5, b = 4 a = 2, c = 3/4 b = 1.5, d = -2 c = -3
    for node, volts in {"a": 0.5, "b": 2.0, "c": 1.5, "d": -3.0}.items():
        assert sol.voltage(node)[0] == pytest.approx(volts, abs=1e-10)
    assert sol.current("e1")[0] == pytest.approx(-0.5e-3, abs=1e-13)  # delivers 0.5 mA into R3
    assert sol.current("e2")[0] == pytest.approx(3e-3, abs=1e-13)  # sinks R5's -3 mA
    assert sol.info["vcvs_passes"] <= 4


def test_vcvs_feedback_loop_that_gauss_seidel_cannot_settle_raises():
    circuit = build("V1 in 0 1", "R3 in a 1000", "R1 b a 1000", "R2 a 0 1000", "E1 b 0 a 0 4")
    with pytest.raises(ConvergenceError, match="VCVS loop diverges"):
        solve(circuit, solver="qp")


def test_clamp_and_positive_nudge():
    circuit = build("V1 in 0 1", "R1 in a 1000", "R2 a 0 1000")
    clamped = solve(circuit, solver="qp", clamp=Clamp(["a"], np.array([[0.2], [0.7]])))
    np.testing.assert_allclose(clamped.voltage("a"), [0.2, 0.7], atol=1e-10)
    beta, target = 1e-3, 0.9
    nudged = solve(circuit, solver="qp", nudge=Nudge(["a"], beta, np.array([[target]])))
    # a conductance beta to a source at the target
    expected = (1e-3 + beta * target) / (2e-3 + beta)
    assert nudged.voltage("a")[0] == pytest.approx(expected, abs=1e-10)
    assert nudged.residual < 1e-14


@pytest.mark.parametrize("beta", [-1e-4, -1.5e-3])
def test_negative_nudge_solves_the_stationarity_conditions(beta):
    circuit = build("V1 in 0 1", "R1 in a 1000", "R2 a 0 1000")
    sol = solve(circuit, solver="qp", nudge=Nudge(["a"], beta, np.array([[0.9]])))
    assert sol.voltage("a")[0] == pytest.approx((1e-3 + beta * 0.9) / (2e-3 + beta), abs=1e-9)


def test_negative_nudge_that_makes_the_energy_non_convex_is_refused():
    circuit = build("V1 in 0 1", "R1 in a 1000", "R2 a 0 1000")
    with pytest.raises(CircuitValidationError, match="non-convex"):
        solve(circuit, solver="qp", nudge=Nudge(["a"], -3e-3, np.array([[0.9]])))


def test_infeasible_ideal_diodes_raise():
    circuit = build("V1 a 0 1", "V2 b 0 0", "D1 a b dideal", models=(IDEAL,))
    with pytest.raises(InfeasibleCircuitError, match="cannot all"):
        solve(circuit, solver="qp")


def test_floating_node_is_rejected_by_validation():
    circuit = build("V1 a 0 1", "R1 a b 1000", "I1 0 c 1e-3", "D1 c b dideal", models=(IDEAL,))
    with pytest.raises(CircuitValidationError, match="no DC path"):
        solve(circuit, solver="qp")


# -- terms the program does not model ------------------------------------------------------
@pytest.mark.parametrize("card, what", [
    ("G1 0 b a 0 1m", "voltage-controlled current source (transconductance)"),
    ("F1 0 b V1 2", "current-controlled current source (current gain)"),
    ("H1 b 0 V1 1k", "current-controlled voltage source (transresistance)")])
def test_an_element_whose_term_qp_does_not_model_is_refused_by_name(card, what):
    circuit = parse_netlist(f"t\nV1 in 0 1\nR1 in a 1k\nR2 a 0 1k\n{card}\nR3 b 0 1k\n", "t.cir")
    name = card.split()[0].lower()
    with pytest.raises(CircuitValidationError, match=rf"t\.cir:5: .*{name}: the qp reference does not model a "
                                                     rf"{re.escape(what)}; use solver 'newton' or 'auto'"):
        solve(circuit, solver="qp")
    assert solve(circuit, solver="newton").residual < 1e-12  # as the message says


#: a VCVS amplifier whose term (CONTROLLED) the test below takes away from the Kirchhoff check
AMPLIFIER = ("V1 in 0 1", "R1 in a 1000", "R2 a 0 1000", "E1 b 0 a 0 4", "R3 b 0 1000")


def test_the_kirchhoff_check_refuses_a_term_it_cannot_sum(monkeypatch):
    monkeypatch.setattr(kirchhoff, "BRANCH_TERMS", kirchhoff.BRANCH_TERMS - {Term.CONTROLLED})
    with pytest.raises(CircuitValidationError, match=r"e1: the Kirchhoff check of the reference solvers does not "
                                                     r"model a voltage-controlled voltage source"):
        solve(build(*AMPLIFIER), solver="qp")


def test_a_high_gain_vcvs_loop_is_a_convergence_error_not_an_infeasible_diode_claim():
    # an inverting op-amp (gain 1e5) with Shockley clamps: no ideal diode anywhere
    deck = ("t\nV1 in 0 1\nR1 in m 1k\nR2 m out 10k\nE1 out 0 0 m 1e5\nD1 out c dd\nVc c 0 2\n"
            ".model dd D (is=1e-14)\n.end\n")
    with pytest.raises(ConvergenceError, match="without ideal diodes is a numerical failure.*'newton' or 'auto'"):
        solve(parse_netlist(deck), solver="qp")
    assert solve(parse_netlist(deck)).voltage("out")[0] == pytest.approx(-10.0, rel=1e-3)

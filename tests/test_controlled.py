"""Linear controlled sources G (VCCS), F (CCCS), H (CCVS) beside E: the newton solver against
closed forms and ngspice's operating point; cd and qp refuse them by name."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ngspice_util import run_ngspice_op, spice_test
from random_circuits import random_real_circuit

from circuitnet import CircuitValidationError, parse_netlist
from circuitnet.compile.conditions import make_conditions
from circuitnet.errors import ConvergenceError
from circuitnet.netlist import write_netlist
from circuitnet.solvers import solve
from circuitnet.solvers.kirchhoff import kcl_imbalance

#: every controlled kind with a hand-solved answer: v(in) = 1 V, 1 mA through vs.
DECK = """controlled sources
V1 in 0 1
R1 in a 1k
Vs a 0 0
G1 0 b in 0 1m
R2 b 0 2k
F1 0 c Vs 3
R3 c 0 1k
H1 d 0 Vs 500
R4 d 0 1k
E1 e 0 b 0 2
R5 e 0 1k
.end
"""


def test_each_kind_against_its_closed_form():
    solution = solve(parse_netlist(DECK))
    volts = dict(zip(solution.nodes, solution.voltages[0]))
    # G: 1 mS * 1 V into 2 kohm; F: 3 * 1 mA into 1 kohm; H: 500 ohm * 1 mA; E: 2 * v(b)
    assert volts == pytest.approx({"in": 1.0, "a": 0.0, "b": 2.0, "c": 3.0, "d": 0.5, "e": 4.0}, abs=1e-12)
    currents = {name: float(solution.current(name)[0]) for name in ("g1", "f1", "h1", "e1", "vs")}
    # SPICE's sign: from n+ through the element to n- (ngspice's @g1[i], @f1[i], i(h1))
    assert currents == pytest.approx({"g1": 1e-3, "f1": 3e-3, "h1": -5e-4, "e1": -4e-3, "vs": 1e-3}, abs=1e-15)
    assert solution.info["method"] == "newton" and "controlled sources" in solution.info["reason"]


@pytest.mark.parametrize("solver", ["cd", "qp"])
def test_energy_solvers_refuse_them_by_name(solver):
    with pytest.raises(CircuitValidationError, match=r"g1|f1|h1"):
        solve(parse_netlist(DECK), solver=solver)


def test_an_h_card_can_sense_an_inductor_or_a_vcvs():
    deck = "t\nV1 in 0 2\nL1 in a 1u\nR1 a 0 1k\nH1 b 0 L1 1k\nR2 b 0 1k\nE1 c 0 a 0 1\nR3 c 0 500\nF1 0 d E1 1\nR4 d 0 1k\n.end\n"
    solution = solve(parse_netlist(deck))
    # L1 carries 2 mA; E1 drives 2 V into 500 ohm, its SPICE current is -4 mA, so F1 pulls 4 mA out of d
    assert float(solution.voltage("b")[0]) == pytest.approx(2.0, abs=1e-12)
    assert float(solution.voltage("d")[0]) == pytest.approx(-4.0, abs=1e-12)


@pytest.mark.parametrize("card, match", [
    ("F1 b 0 R1 2", r"f1: names 'r1', which is a resistor; a current-controlled current source needs an "
                    r"element with a branch current \(V, E, H or L card\)"),
    ("H1 b 0 vnone 2", r"h1: names 'vnone', which is no element"),
    ("F1 b 0 I1 2\nI1 0 b 1m", r"f1: names 'i1', which is a current source"),
    ("H1 in 0 V1 2", r"closes a loop of voltage sources \(V, E, H and L elements"),
])
def test_bad_references_name_the_card(card, match):
    with pytest.raises(CircuitValidationError, match=match) as info:
        parse_netlist(f"t\nV1 in 0 1\nR1 in 0 1k\nR2 b 0 1k\n{card}\n.end\n", "t.cir").validate()
    assert info.value.location.line in (5, 6)


def test_the_writer_keeps_them_for_ngspice():
    circuit = parse_netlist(DECK)
    again = parse_netlist(write_netlist(circuit))
    assert [(e.name, e.nodes, e.value, e.spec) for e in again.elements.values()] == \
        [(e.name, e.nodes, e.value, e.spec) for e in circuit.elements.values()]


def test_a_singular_feedback_loop_is_an_error_not_an_answer():
    # G1 feeds b with exactly the current that R2 takes: the loop gain is 1, no unique point
    deck = "t\nV1 in 0 1\nR1 in 0 1k\nG1 0 b b 0 1m\nR2 b 0 1k\n.end\n"
    with pytest.raises(ConvergenceError, match="newton found no operating point"):
        solve(parse_netlist(deck))


@spice_test
def test_the_closed_form_deck_matches_ngspice():
    reference = run_ngspice_op(DECK.replace(".end", ".op\n.end"))
    solution = solve(parse_netlist(DECK))
    for node in solution.nodes:
        assert float(solution.voltage(node)[0]) == pytest.approx(reference[node], abs=1e-12)


@spice_test
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_nodes=st.integers(2, 20), stiff=st.booleans(),
       controlled=st.integers(1, 6))
def test_random_circuits_with_controlled_sources_match_ngspice(seed, n_nodes, stiff, controlled):
    """Shockley diodes (RS, breakdown), op-amp stages, G/F/H stages, C and L, 1 ohm next to 1 Mohm."""
    circuit = random_real_circuit(seed, n_nodes, stiff=stiff, controlled=controlled, reactive=True)
    try:
        reference = solve(circuit, solver="spice")
    except ConvergenceError:
        return  # no operating point for ngspice either: nothing to compare
    solution = solve(circuit)
    scale = np.maximum(np.abs(reference.voltages), 1e-6)
    assert float(np.max(np.abs(solution.voltages - reference.voltages) / scale)) <= 1e-6
    for name in circuit.elements:
        np.testing.assert_allclose(solution.currents[name], reference.currents[name], rtol=1e-5,
                                   atol=1e-9 * max(1.0, float(np.abs(reference.currents[name]).max())))


@pytest.mark.parametrize("seed", range(5))
def test_batches_balance_kirchhoff(seed):
    circuit = random_real_circuit(seed, 10, controlled=4)
    sources = [e.name for e in circuit.elements.values() if e.kind.letter == "V" and e.value]
    values = np.random.default_rng(seed).uniform(-5, 5, (4, len(sources)))
    inputs = {name: values[:, k] for k, name in enumerate(sources)}
    batch = solve(circuit, inputs)
    for row in range(4):
        one = solve(circuit, {name: values[row, k] for k, name in enumerate(sources)})
        np.testing.assert_allclose(batch.voltages[row], one.voltages[0], rtol=1e-10, atol=1e-10)
    assert np.abs(kcl_imbalance(circuit, batch, make_conditions(circuit, inputs))).max() < 1e-9

"""One contract for every solver: kernel blocks, dense blocks, qp and spice.

The same battery of circuits and the same assertions run for each solver:

- hand-derived operating points of small circuits;
- on random circuits (random layered networks for every solver; general circuits with
  ideal and Shockley diodes, current sources and VCVS for all but the dense blocks, which
  only run layered networks), the independent Kirchhoff check (`solvers.kirchhoff`,
  written from the element declarations, not from the compiled arrays) finds the KCL
  residual and the ideal-diode law violation within the solver's bound, and the voltages
  agree with the qp reference;
- an edit of the compiled circuit's values (a conductance, a bias current) reaches the
  solver.
"""
from __future__ import annotations

import numpy as np
import pytest
from random_circuits import random_circuit

from circuitnet import Circuit, DiodeModel, Element
from circuitnet.compile.conditions import make_conditions
from circuitnet.errors import SolverUnavailableError
from circuitnet.model.elements import CURRENT_SOURCE, DIODE, RESISTOR, VOLTAGE_SOURCE
from circuitnet.model.networks import build_drn
from circuitnet.solvers import solve
from circuitnet.solvers.kirchhoff import kkt_residual

SOLVERS = {
    "kernel": {"solver": "cd", "layered": False},
    "dense": {"solver": "cd", "layered": True},
    "qp": {"solver": "qp"},
    "spice": {"solver": "spice"},
}
#: volts within which an exact solver reproduces an operating point, and amperes of KCL
#: residual per siemens of the circuit's largest conductance (cd's tolerance is 1e-9 V
#: relative to the largest source voltage; its certificate allows 100 times that)
EXACT = {"kernel": (1e-9, 1e-8), "dense": (1e-9, 1e-8), "qp": (1e-7, 1e-7)}


def bounds(name: str, circuit: Circuit, exact) -> tuple[float, float]:
    """(volts, amperes) the named solver must meet on `circuit`. ngspice has no ideal diode:
    its bound is the near-ideal stand-in model's documented one (`agreement_tolerance`,
    from the exact solution `exact`)."""
    if name == "spice":
        from circuitnet.solvers.spice import agreement_tolerance

        return agreement_tolerance(circuit, exact)
    largest = max(1.0 / e.value for e in circuit.of_kind("R"))
    volts, per_siemens = EXACT[name]
    return volts, per_siemens * largest


def run(name: str, circuit, inputs=None, **kwargs):
    """Solve with the named solver; skip where spice is not installed."""
    try:
        return solve(circuit, inputs, **SOLVERS[name], **kwargs)
    except SolverUnavailableError as error:
        pytest.skip(str(error))


def circuit_of(*cards, models=()) -> Circuit:
    kinds = {"R": RESISTOR, "D": DIODE, "V": VOLTAGE_SOURCE, "I": CURRENT_SOURCE}
    circuit = Circuit()
    for model in models:
        circuit.add_model(model)
    for letter, name, nodes, value in cards:
        model = value if letter == "D" else None
        circuit.add(Element(name, kinds[letter], nodes, None if model else value, model))
    return circuit


def clipper(vin: float) -> Circuit:
    """A source through 1 kohm into an ideal diode (vf 0.3 V) to ground and a 3 kohm load:
    below 0.4 V the diode is off and v(out) = 0.75 vin; above it out sits at 0.3 V."""
    return circuit_of(("V", "v1", ("in", "0"), vin), ("R", "r1", ("in", "out"), 1000.0),
                      ("R", "r2", ("out", "0"), 3000.0), ("D", "d1", ("out", "0"), "ideal"),
                      models=[DiodeModel("ideal", ideal=True, vf=0.3)])


def layered_network(seed: int) -> Circuit:
    """A small deep resistive network (4-5-3-2) with random conductances and biases."""
    rng = np.random.default_rng(seed)
    circuit = build_drn(4, [5, 3], 2, gain=2.0, seed=seed)
    for element in circuit.elements.values():
        if element.kind is RESISTOR:
            element.value = float(rng.uniform(1.0, 20.0))
        elif element.kind is CURRENT_SOURCE:
            element.value = float(rng.normal(0.0, 0.05))
    return circuit


def general_circuit(seed: int) -> Circuit:
    kinds = [{"ideal": 3}, {"ideal": 2, "shockley": 2}, {"ideal": 0, "shockley": 1, "vcvs": 1},
             {"ideal": 3, "free_diodes": False, "currents": 2}]
    return random_circuit(seed, **kinds[seed % len(kinds)])


def assert_solution(name: str, circuit: Circuit, solution, inputs=None) -> None:
    """The independent Kirchhoff check holds within the solver's bound, and the voltages
    agree with the qp reference."""
    reference = solve(circuit, inputs, solver="qp", tol=1e-12)
    volts, amperes = bounds(name, circuit, reference)
    residual, violation = kkt_residual(circuit, solution, make_conditions(circuit, inputs))
    assert residual <= amperes, f"KCL residual {residual:.3g} A"
    assert violation <= volts, f"diode law violated by {violation:.3g} V"
    np.testing.assert_allclose(solution.voltages, reference.voltages, rtol=0, atol=volts + 1e-7)


def assert_voltage(name: str, circuit: Circuit, solution, node: str, expected: float) -> None:
    volts = bounds(name, circuit, solve(circuit, solver="qp", tol=1e-12))[0]
    assert solution.voltage(node)[0] == pytest.approx(expected, abs=volts)


@pytest.mark.parametrize("name", SOLVERS)
def test_divider_and_clipper_by_hand(name):
    if name == "dense":
        pytest.skip("the dense blocks run layered networks only (see test_layered_network_by_hand)")
    divider = circuit_of(("V", "v1", ("in", "0"), 5.0), ("R", "r1", ("in", "mid"), 1000.0),
                         ("R", "r2", ("mid", "0"), 4000.0))
    assert_voltage(name, divider, run(name, divider), "mid", 4.0)
    for vin, expected in ((0.2, 0.15), (2.0, 0.3), (-1.0, -0.75)):
        circuit = clipper(vin)
        assert_voltage(name, circuit, run(name, circuit), "out", expected)


@pytest.mark.parametrize("name", SOLVERS)
def test_layered_network_by_hand(name):
    """An input x through 2 S to a hidden node h, h through 1 S to ground and through 1 S to
    the output o, 0.1 A injected into o, an ideal diode (vf 0) from h to ground. Diode off:
    KCL at o gives o = h + 0.1, at h 2 (x - h) - h + 0.1 = 0, so h = (2x + 0.1) / 3; for
    x = -1, h = -0.6333 V, o = -0.5333 V. For x = 1 the diode holds h at 0 V, o at 0.1 V."""
    circuit = circuit_of(("V", "vx0", ("x", "0"), -1.0), ("R", "r1", ("x", "h"), 0.5),
                         ("R", "r2", ("h", "0"), 1.0), ("R", "r3", ("h", "o"), 1.0),
                         ("I", "i1", ("0", "o"), 0.1), ("D", "d1", ("h", "0"), "ideal"),
                         models=[DiodeModel("ideal", ideal=True)])
    solution = run(name, circuit)
    assert_voltage(name, circuit, solution, "h", -1.9 / 3)
    assert_voltage(name, circuit, solution, "o", -1.9 / 3 + 0.1)
    circuit.elements["vx0"].value = 1.0
    on = run(name, circuit)
    assert_voltage(name, circuit, on, "h", 0.0)
    assert_voltage(name, circuit, on, "o", 0.1)


@pytest.mark.parametrize("name", SOLVERS)
@pytest.mark.parametrize("seed", range(4))
def test_random_layered_networks(name, seed):
    circuit = layered_network(seed)
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, (3, 4))
    assert_solution(name, circuit, run(name, circuit, x), x)


@pytest.mark.parametrize("name", ["kernel", "qp", "spice"])
@pytest.mark.parametrize("seed", range(8))
def test_random_general_circuits(name, seed):
    circuit = general_circuit(seed)
    assert_solution(name, circuit, run(name, circuit))


@pytest.mark.parametrize("name", SOLVERS)
def test_edits_of_the_values_reach_the_solver(name):
    """A conductance and a bias current changed in the caller's values: every solver
    solves the edited circuit (compared with a fresh compile of the edited netlist)."""
    circuit = layered_network(7)
    cc = circuit.compile()
    values = cc.values()
    bias = cc.sources.column["ib1_0"]
    values.set_sources(0.3, bias)
    values.set_conductances(values.conductance[:3] * 2.0, slice(0, 3))
    edited = cc.circuit_with(values)
    assert edited.elements["ib1_0"].value == 0.3
    assert circuit.elements["ib1_0"].value != 0.3  # the circuit itself is not changed
    x = np.random.default_rng(1).uniform(-1.0, 1.0, (2, 4))
    assert_solution(name, edited, run(name, cc, x, values=values), x)
    before = solve(circuit, x, solver="qp").voltages
    assert not np.allclose(solve(edited, x, solver="qp").voltages, before, atol=1e-3)

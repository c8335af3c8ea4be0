"""The cd and qp solvers against ngspice's stored operating points (spice_ref/*.json).

The default tests need no ngspice; the `spice` test re-runs ngspice and checks that the
stored files still say what ngspice says.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from circuitnet.netlist import read_netlist
from circuitnet.solvers import solve
from circuitnet.solvers.spice import agreement_tolerance

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = sorted((ROOT / "spice_ref").glob("*.json"))


def _generator():
    spec = importlib.util.spec_from_file_location("spice_ref_generate", ROOT / "spice_ref" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(params=["qp", "cd", "newton"])
def solver(request) -> str:
    return request.param


def test_every_netlist_and_random_circuit_has_a_reference():
    names = {p.stem for p in REFERENCES}
    assert {p.stem for p in (ROOT / "netlists").glob("*.cir")} <= names
    assert len([n for n in names if n.startswith("random_")]) >= 20


@pytest.mark.parametrize("reference", REFERENCES, ids=lambda p: p.stem)
def test_solver_matches_the_ngspice_reference(reference: Path, solver: str):
    record = _record(reference)
    circuit = read_netlist(ROOT / record["netlist"])
    compiled = circuit.compile()
    if solver in ("qp", "cd") and compiled.nonsymmetric:
        pytest.skip("G, F and H cards are the newton solver's alone")
    if solver == "newton" and len(compiled.ideal_a):
        pytest.skip("ideal diodes are not the newton solver's")
    exact = solve(circuit, solver="newton" if compiled.nonsymmetric else "qp")
    volts, amperes = agreement_tolerance(circuit, exact)
    solution = solve(circuit, solver=solver)
    for node, expected in record["nodes"].items():
        assert abs(solution.voltage(node)[0] - expected) <= volts, (node, expected, volts)
    for name, expected in record["currents"].items():
        assert abs(solution.current(name)[0] - expected) <= amperes, (name, expected, amperes)


def test_shockley_references_are_held_to_a_microvolt():
    record = _record(ROOT / "spice_ref" / "random_00.json")
    circuit = read_netlist(ROOT / record["netlist"])
    assert agreement_tolerance(circuit, solve(circuit, solver="qp"))[0] == 1e-6
    solution = solve(circuit, solver="qp")
    worst = max(abs(solution.voltage(n)[0] - v) for n, v in record["nodes"].items())
    assert worst < 1e-9  # in fact ngspice and qp agree far better than the tolerance


@pytest.mark.spice
@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice is not installed")
def test_references_are_what_ngspice_says_today():
    generate = _generator()
    inputs = generate.reference_inputs()
    for reference in REFERENCES:
        record = _record(reference)
        fresh = generate.run_ngspice(inputs[reference.stem].read_text(), options=record["options"])
        for key in ("nodes", "currents"):
            assert fresh[key].keys() == record[key].keys()
            np.testing.assert_allclose([fresh[key][k] for k in record[key]], list(record[key].values()),
                                       rtol=1e-9, atol=1e-12, err_msg=f"{reference.stem} {key}")

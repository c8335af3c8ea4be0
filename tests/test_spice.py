"""The spice solver (ngspice in-process) against the exact solvers on random circuits."""
from __future__ import annotations

import sys

import numpy as np
import pytest
from ngspice_util import assert_same_voltages, run_ngspice_op, spice_test
from random_circuits import random_circuit

from circuitnet import SolverUnavailableError
from circuitnet.compile.conditions import Clamp, Nudge
from circuitnet.netlist import parse_netlist
from circuitnet.solvers import solve, spice as spice_module
from circuitnet.solvers.spice import agreement_tolerance

try:
    import circuitnet.solvers.coordinate_descent  # noqa: F401
    EXACT = "cd"
except ImportError:  # pragma: no cover - while the cd solver is being written
    EXACT = "qp"


def _batch_inputs(circuit, seed: int, batch: int = 4) -> dict[str, np.ndarray]:
    """Random values for every V source (volts) and I source (amperes), shape (batch,) each."""
    rng = np.random.default_rng(seed)
    values = {}
    for element in circuit.elements.values():
        if element.kind.letter == "V":
            values[element.name] = rng.uniform(-5, 5, batch)
        elif element.kind.letter == "I":
            values[element.name] = rng.uniform(-1e-3, 1e-3, batch)
    return values


def _assert_agree(circuit, exact, spice, volts, amperes):
    np.testing.assert_allclose(spice.voltages, exact.voltages, rtol=0, atol=volts)
    for name, current in exact.currents.items():
        np.testing.assert_allclose(spice.currents[name], current, rtol=0, atol=amperes, err_msg=name)


@pytest.mark.spice
@pytest.mark.parametrize("seed", range(8))
def test_shockley_current_sources_and_vcvs_agree_to_a_microvolt(ngspice, seed):
    circuit = random_circuit(seed, n_nodes=6 + seed % 4, ideal=0, shockley=3, currents=2, vcvs=1)
    inputs = _batch_inputs(circuit, seed)
    exact = solve(circuit, inputs, solver=EXACT)
    spice = solve(circuit, inputs, solver="spice")
    assert spice.solver == "spice" and spice.batch == 4
    volts, amperes = agreement_tolerance(circuit, exact)
    assert volts == 1e-6
    _assert_agree(circuit, exact, spice, volts, amperes)
    assert spice.residual < 1e-9


@pytest.mark.spice
@pytest.mark.parametrize("seed", range(6))
def test_ideal_diodes_agree_within_the_documented_bound(ngspice, seed):
    circuit = random_circuit(100 + seed, ideal=3, shockley=1, currents=1, vcvs=seed % 2)
    inputs = _batch_inputs(circuit, seed)
    exact = solve(circuit, inputs, solver="qp")
    spice = solve(circuit, inputs, solver="spice")
    volts, amperes = agreement_tolerance(circuit, exact)
    if not any(m.vf for m in circuit.models.values() if m.ideal):
        assert volts < 1e-3
    _assert_agree(circuit, exact, spice, volts, amperes)


@pytest.mark.spice
def test_nudge_and_clamp_become_elements(ngspice):
    circuit = random_circuit(7, ideal=0, shockley=2, currents=1)
    targets = np.array([[0.3, -0.2], [0.1, 0.4]])
    for kwargs in ({"nudge": Nudge(["n1", "n2"], 1e-3, targets)},
                   {"nudge": Nudge(["n1", "n2"], -1e-5, targets)},
                   {"clamp": Clamp(["n1", "n2"], targets)}):
        exact = solve(circuit, solver="qp", **kwargs)
        spice = solve(circuit, solver="spice", **kwargs)
        np.testing.assert_allclose(spice.voltages, exact.voltages, rtol=0, atol=1e-6)
    assert not any(name.startswith(("vnudge", "vclamp")) for name in circuit.elements)


@pytest.mark.spice
def test_repeated_batches_reuse_one_session_and_free_the_circuit(ngspice):
    circuit = random_circuit(3, ideal=0, shockley=1)
    for _ in range(3):
        solve(circuit, _batch_inputs(circuit, 0, batch=2), solver="spice")
    from circuitnet import ConvergenceError

    with pytest.raises(ConvergenceError, match="no circuit loaded"):
        ngspice.command("listing")  # remcirc freed the circuit
    assert not any(p.startswith("op") for p in ngspice._ng.plot_names)  # and every plot


def test_missing_pyspice_raises_one_actionable_error(monkeypatch):
    monkeypatch.setattr(spice_module, "_SESSION", None)
    monkeypatch.setitem(sys.modules, "PySpice.Spice.NgSpice.Shared", None)
    circuit = random_circuit(0, ideal=0)
    with pytest.raises(SolverUnavailableError, match="apt-get install ngspice.*pip install PySpice"):
        solve(circuit, solver="spice")


#: a reverse-biased diode (b, about -5 V: only IS and GMIN flow) and a forward-biased one (d)
JUNCTIONS = ("junctions\nV1 a 0 -5\nR1 a b 1Meg\nD1 b 0 dm\nV2 c 0 5\nR2 c d 10k\nD2 d 0 dm\n"
             ".model dm D (IS=1e-14 N=1.05)\n")
#: ngspice's tolerances for answers exact to ~1e-12 V, without gmin (the deck's own or ngspice's 1e-12 S)
TIGHT = ".options reltol=1e-9 abstol=1e-15 vntol=1e-12\n"


@spice_test
@pytest.mark.parametrize("options, option, value", [(".options gmin=1e-6\n", "gmin", 1e-6),
                                                     (".temp 75\n", "temp", 75.0),
                                                     (".options temp=75 tnom=50\n", "tnom", 50.0)])
def test_the_decks_gmin_and_temperatures_reach_ngspice(ngspice, options, option, value):
    reference = run_ngspice_op(JUNCTIONS + options + TIGHT + ".op\n.end\n")  # the deck as it stands
    default = run_ngspice_op(JUNCTIONS + TIGHT + ".op\n.end\n")
    assert max(abs(reference[n] - default[n]) for n in ("b", "d")) > 1e-2  # the option matters
    circuit = parse_netlist(JUNCTIONS + options, "junctions.cir")
    for solver in ("spice", "newton"):
        solution = solve(circuit, solver=solver)
        assert_same_voltages({n: float(solution.voltage(n)[0]) for n in reference}, reference, rel=1e-9)
    spice = solve(circuit, solver="spice")
    assert spice.info["options"][option] == value and spice.info["options"]["reltol"] == 1e-9
    if option == "gmin":  # KCL at b: (V1 - vb)/R1 = -IS + gmin vb, to ~1e-20 V in reverse bias
        assert spice.voltage("b")[0] == pytest.approx((-5.0 / 1e6 + 1e-14) / (1.0 / 1e6 + 1e-6), abs=1e-9)

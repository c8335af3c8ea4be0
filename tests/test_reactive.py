"""C, L and K cards at DC: a capacitor is open, an inductor a 0 V tie whose current is
reported like a voltage source's, a mutual inductance nothing; all kept for export."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
from ngspice_util import NGSPICE, assert_same_voltages, run_ngspice_op, spice_test

from circuitnet import CircuitValidationError
from circuitnet.cli import main
from circuitnet.model.elements import CAPACITOR, INDUCTOR, MUTUAL_INDUCTANCE, Term
from circuitnet.netlist import parse_netlist, write_netlist
from circuitnet.solvers import qp, solve

#: L1 and L2 short, C1 and C2 open: b = c, R2 || R3 = 2k, KCL at b: (10 - vb)/1k + 1 mA = vb/2k.
DECK = """RLC network at DC
V1 in 0 DC 10
L1 in a 1m IC=0
R1 a b 1k
C1 b 0 1u IC=5
R2 b 0 4k
L2 b c 2u
R3 c 0 4k
C2 in c 10n
I1 0 c 1m
"""
VB = 22.0 / 3.0
HAND_VOLTAGES = {"in": 10.0, "a": 10.0, "b": VB, "c": VB}
HAND_CURRENTS = {"l1": (10.0 - VB) / 1e3, "l2": VB / 4e3 - 1e-3, "v1": -(10.0 - VB) / 1e3,
                 "c1": 0.0, "c2": 0.0, "r2": VB / 4e3, "i1": 1e-3}
#: ngspice options for answers exact to ~1e-12 V (its default RELTOL is 1e-3)
TIGHT = ".options reltol=1e-9 abstol=1e-15 vntol=1e-12\n"


def parse(text: str):
    return parse_netlist(text, "t.cir")


def test_cards_read_into_the_declared_kinds():
    circuit = parse(DECK + "K1 L1 l2 0.5\n")
    l1, c1, k1 = (circuit.elements[n] for n in ("l1", "c1", "k1"))
    assert (l1.kind, l1.nodes, l1.value, l1.params) == (INDUCTOR, ("in", "a"), 1e-3, {"ic": 0.0})
    assert (c1.kind, c1.nodes, c1.value, c1.params) == (CAPACITOR, ("b", "0"), 1e-6, {"ic": 5.0})
    assert (k1.kind, k1.nodes, k1.value, k1.spec) == (MUTUAL_INDUCTANCE, (), 0.5, "l1 l2")
    assert [circuit.term_of(e) for e in (l1, c1, k1)] == [Term.TIE, Term.INJECTION, Term.OPEN]
    circuit.validate()
    assert parse(write_netlist(circuit)) == circuit
    assert "k1 l1 l2 0.5" in write_netlist(circuit) and "l1 in a 0.001 ic=0.0" in write_netlist(circuit)
    assert circuit.graph().number_of_edges() == len(circuit.elements) - 1  # K joins no nodes


def _coupled_subcircuit():
    return parse("t\n.subckt xf p s\nLp p m 1m\nRp m 0 1k\nLs s 0 4m\nK1 Lp Ls 0.99\n.ends\n"
                 "X1 a b xf\nV1 a 0 1\nR1 b 0 1k\n")


def test_k_in_a_subcircuit_names_the_flattened_inductors():
    circuit = _coupled_subcircuit()
    assert circuit.elements["k.x1.k1"].spec == "l.x1.lp l.x1.ls"
    circuit.validate()


@spice_test
def test_ngspice_runs_the_flattened_coupling():
    circuit = _coupled_subcircuit()
    assert "k.x1.k1 l.x1.lp l.x1.ls 0.99" in write_netlist(circuit)
    assert run_ngspice_op(write_netlist(circuit)) == pytest.approx({"a": 1.0, "x1.m": 1.0, "b": 0.0})


@pytest.mark.parametrize("solver", ["cd", "qp", "newton", "auto"])
def test_inductors_short_and_capacitors_open_by_hand(solver):
    solution = solve(parse(DECK), solver=solver)
    for node, volts in HAND_VOLTAGES.items():
        assert solution.voltage(node)[0] == pytest.approx(volts, abs=1e-9), node
    for name, amperes in HAND_CURRENTS.items():
        assert solution.current(name)[0] == pytest.approx(amperes, abs=1e-12), name


@pytest.mark.spice
def test_the_spice_solver_agrees_on_voltages_and_the_inductor_currents(ngspice):
    circuit = parse(DECK)
    spice, exact = solve(circuit, solver="spice"), solve(circuit, solver="cd")
    np.testing.assert_allclose(spice.voltages, exact.voltages, atol=1e-9)
    for name in ("l1", "l2", "v1", "c1"):
        assert spice.current(name)[0] == pytest.approx(exact.current(name)[0], abs=1e-12), name


@spice_test
def test_ngspice_reads_the_original_and_the_written_deck_alike():
    reference = run_ngspice_op(DECK + TIGHT + ".op\n.end\n")
    assert_same_voltages(reference, HAND_VOLTAGES, rel=1e-9)
    circuit = parse(DECK + "K1 L1 L2 0.5\n")
    written = write_netlist(circuit).replace(".op", TIGHT + ".op")
    assert_same_voltages(run_ngspice_op(written), reference, rel=1e-9)  # K and the inductances kept
    solution = solve(circuit, solver="cd")
    assert_same_voltages({n: float(solution.voltage(n)[0]) for n in circuit.nodes}, reference, rel=1e-9)


@pytest.mark.parametrize("solver", ["cd", "newton", "auto"])
def test_a_coupling_changes_nothing_at_dc(solver):
    plain, coupled = solve(parse(DECK), solver=solver), solve(parse(DECK + "K1 L1 L2 0.5\n"), solver=solver)
    np.testing.assert_array_equal(plain.voltages, coupled.voltages)


COUPLED_DECKS = {"rlc": DECK + "K1 L1 L2 0.5\n",
                 "subckt": "t\n.subckt xf p s\nLp p m 1m\nRp m 0 1k\nLs s 0 4m\nK1 Lp Ls 0.99\n.ends\n"
                           "X1 a b xf\nV1 a 0 DC 10\nR1 b 0 1k\n"}


@spice_test
@pytest.mark.parametrize("deck", sorted(COUPLED_DECKS))
@pytest.mark.parametrize("solver", ["qp", "spice"])
def test_reference_solvers_on_a_coupled_deck(request, solver, deck):
    if solver == "spice":
        request.getfixturevalue("ngspice")  # skips without PySpice
    text = COUPLED_DECKS[deck]
    volts = np.array([10.0, -3.0])
    solution = solve(parse(text), {"v1": volts}, solver=solver)
    assert "k1" not in solution.currents and "k.x1.k1" not in solution.currents  # a K card carries none
    assert solution.residual < 1e-12
    for b, v1 in enumerate(volts):  # ngspice on the deck as written, not as circuitnet writes it
        reference = run_ngspice_op(text.replace(" DC 10\n", f" DC {float(v1)!r}\n") + TIGHT + ".op\n.end\n")
        assert_same_voltages({n: float(solution.voltage(n)[b]) for n in reference}, reference, rel=1e-9)
    if deck == "rlc":
        assert solution.voltage("b")[0] == pytest.approx(VB, abs=1e-9)
        for name, amperes in HAND_CURRENTS.items():
            assert solution.current(name)[0] == pytest.approx(amperes, abs=1e-12), name
    else:  # Lp and Ls short: V1 / Rp through Lp; Ls holds b at 0 V, so R1 and Ls carry none
        np.testing.assert_allclose(solution.current("l.x1.lp"), volts / 1e3, rtol=1e-9)
        np.testing.assert_allclose(solution.current("l.x1.ls"), 0.0, atol=1e-15)


def test_compiled_values_keep_the_inductance_and_capacitance():
    compiled = parse(DECK).compile()
    assert compiled.sources.fixed == {"l1", "l2", "c1", "c2"}
    assert [compiled.sources.defaults[compiled.sources.column[n]] for n in ("l1", "c1", "v1")] == [0.0, 0.0, 10.0]
    values = compiled.values()
    values.set_sources(np.array([7.0]), np.array([compiled.sources.column["v1"]]))
    circuit = compiled.circuit_with(values)
    assert (circuit.elements["l1"].value, circuit.elements["c1"].value, circuit.elements["v1"].value) == (1e-3, 1e-6, 7.0)


@pytest.mark.parametrize("name", ["l1", "c1"])
def test_an_inductor_or_capacitor_is_not_an_input(name):
    with pytest.raises(CircuitValidationError, match=f"cannot set {name}: not a source"):
        solve(parse(DECK), {name: 1.0}, solver="cd")
    with pytest.raises(CircuitValidationError, match=f"'\\*@ input' names '{name}', which is not a voltage source"):
        parse(f"t\n*@ input {name}\n" + DECK.split("\n", 1)[1]).validate()


# -- validation --------------------------------------------------------------------------------
@pytest.mark.parametrize("body, line, match", [
    ("V1 a 0 1\nR1 a 0 1k\nC1 a b 1u\nR2 b c 1k\n", 4,
     r"node\(s\) 'b', 'c' have no DC path to ground .*capacitors do not count\); first seen on c1"),
    ("V1 a 0 1\nL1 a 0 1u\n", 3, r"l1: closes a loop of voltage sources \(V, E, H and L elements; an inductor "
                                 r"is a 0 V source at DC\)"),
    ("V1 a 0 1\nL1 a a 1u\nR1 a 0 1\n", 3, "l1: both terminals on node 'a'"),
    ("V1 a 0 1\nL1 a 0 1u\nR1 a 0 1\n", 3, "closes a loop"),
    ("V1 a 0 1\nR1 a 0 1\nL1 a b 1m\nR2 b 0 1\nK1 L1 R1 0.5\n", 6,
     r"k1: names 'r1', which is a resistor; a mutual inductance needs an inductor \(L card\) and an inductor"),
    ("V1 a 0 1\nL1 a b 1m\nR2 b 0 1\nK1 L1 L9 0.5\n", 5, "k1: names 'l9', which is no element"),
    ("V1 a 0 1\nL1 a b 1m\nR2 b 0 1\nK1 L1 L1 0.5\n", 5, "k1: names 'l1' twice"),
])
def test_validation_names_the_card(body, line, match):
    with pytest.raises(CircuitValidationError, match=rf"t\.cir:{line}: .*{match}") as info:
        parse("t\n" + body).validate()
    assert info.value.location.line == line


@spice_test
def test_ngspice_also_finds_no_dc_path_through_the_capacitor(tmp_path):
    deck = tmp_path / "floating.cir"
    deck.write_text("t\nV1 a 0 1\nR1 a 0 1k\nC1 a b 1u\nR2 b c 1k\n.op\n.end\n")
    done = subprocess.run([NGSPICE, "-b", str(deck)], capture_output=True, text=True, timeout=60)
    assert "singular matrix:  check node b" in done.stdout + done.stderr  # then it gmin-steps to a guess


# -- circuitnet check ------------------------------------------------------------------------
def test_check_compares_the_inductor_currents(tmp_path, monkeypatch, capsys):
    deck = tmp_path / "rlc.cir"
    deck.write_text(DECK + ".end\n")
    assert main(["check", str(deck), "--solvers", "cd,qp,newton"]) == 0, capsys.readouterr().out
    capsys.readouterr()
    honest = qp.solve_conditions

    def wrong_inductor_current(*args, **kwargs):
        solution = honest(*args, **kwargs)
        solution.currents["l2"] = solution.currents["l2"] + 1e-6
        return solution

    monkeypatch.setattr(qp, "solve_conditions", wrong_inductor_current)
    assert main(["check", str(deck), "--solvers", "cd,qp"]) == 1
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("cd vs qp"))
    assert "l2" in row and "FAIL" in row

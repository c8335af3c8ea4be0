"""`circuitnet check`: the comparison table, its tolerances and its exit status."""
from __future__ import annotations

from pathlib import Path

import pytest

from circuitnet.cli import main
from circuitnet.solvers import qp

ROOT = Path(__file__).resolve().parent.parent


def test_exact_solvers_agree_on_an_input_netlist(capsys):
    status = main(["check", str(ROOT / "netlists" / "xor.cir"), "--solvers", "cd,qp", "--samples", "3"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "cd vs qp" in out and "3 random input vector(s), seed 0" in out
    assert "all solvers agree" in out and "1e-06 V" in out


@pytest.mark.spice
@pytest.mark.parametrize("netlist", sorted((ROOT / "netlists").glob("*.cir")), ids=lambda p: p.name)
def test_every_example_netlist_passes_check(ngspice, capsys, netlist):
    status = main(["check", str(netlist), "--samples", "2"])
    assert status == 0, capsys.readouterr().out


@pytest.mark.spice
def test_all_three_solvers_on_an_ideal_diode_network(ngspice, capsys):
    status = main(["check", str(ROOT / "netlists" / "xor.cir"), "--samples", "4", "--seed", "3"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "cd vs spice" in out and "qp vs spice" in out


def test_a_wrong_answer_fails_with_a_clear_table(monkeypatch, capsys):
    honest = qp.solve_conditions

    def off_by_a_millivolt(*args, **kwargs):
        solution = honest(*args, **kwargs)
        solution.voltages[:, -1] += 1e-3
        return solution

    monkeypatch.setattr(qp, "solve_conditions", off_by_a_millivolt)
    status = main(["check", str(ROOT / "netlists" / "divider.cir"), "--solvers", "cd,qp"])
    out = capsys.readouterr().out
    assert status == 1
    row = next(line for line in out.splitlines() if line.startswith("cd vs qp"))
    assert "1.000e-03" in row and "FAIL" in row
    assert "FAILED: cd vs qp differ by more than the tolerance" in out


def test_a_solver_that_finds_no_answer_fails_the_check_and_the_others_are_compared(monkeypatch, capsys):
    from circuitnet.errors import ConvergenceError
    from circuitnet.solvers import newton

    def no_answer(*args, **kwargs):
        raise ConvergenceError("newton found no operating point (test)")

    monkeypatch.setattr(newton, "solve_conditions", no_answer)
    status = main(["check", str(ROOT / "netlists" / "divider.cir"), "--solvers", "cd,newton,qp"])
    out = capsys.readouterr().out
    assert status == 1
    assert "cd vs qp" in out and "newton vs" not in out
    assert "FAILED: newton found no operating point: newton found no operating point (test)" in out
    assert "all solvers agree" not in out


def test_unknown_solver_is_a_usage_error(capsys):
    status = main(["check", str(ROOT / "netlists" / "divider.cir"), "--solvers", "cd,magic"])
    assert status == 2
    assert "--solvers needs two or more of auto, cd, newton, qp, spice" in capsys.readouterr().err


@pytest.fixture
def coupled_supply(tmp_path) -> Path:
    """netlists/lc_supply.cir (C, L, a Shockley clamp) with its two inductors coupled by a K card."""
    deck = tmp_path / "coupled_supply.cir"
    deck.write_text((ROOT / "netlists" / "lc_supply.cir").read_text().replace(".op\n", "Kfl Lfilt Lload 0.3\n.op\n"))
    return deck


@pytest.mark.spice
def test_a_deck_with_capacitors_inductors_and_a_coupling(ngspice, capsys, coupled_supply):
    assert main(["check", str(coupled_supply)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert all(pair in out for pair in ("cd vs newton", "cd vs qp", "newton vs spice", "qp vs spice"))
    assert "not compared, no current at DC: kfl" in out and "all solvers agree" in out


@pytest.mark.spice
def test_by_default_a_solver_that_refuses_the_netlist_is_skipped_by_name(ngspice, capsys):
    netlist = str(ROOT / "netlists" / "sensor_amp.cir")  # G, F and H cards: newton and spice only
    assert main(["check", netlist]) == 0
    out = capsys.readouterr().out
    assert ": newton, spice on the netlist's source values" in out and "newton vs spice" in out
    assert "skipped cd, which does not model the netlist: controlled sources G, F and H" in out
    assert "skipped qp, which does not model the netlist: " in out and "hti: the qp reference does not model" in out
    assert main(["check", netlist, "--solvers", "qp,spice"]) == 2  # named solvers must all run
    assert "hti: the qp reference does not model a current-controlled voltage source" in capsys.readouterr().err


def test_a_circuit_error_is_not_taken_for_a_refusal(tmp_path, capsys):
    deck = tmp_path / "floating.cir"
    deck.write_text("t\nV1 a 0 1\nR1 a 0 1k\nC1 a b 1u\nR2 b c 1k\n.end\n")
    assert main(["check", str(deck)]) == 2
    err = capsys.readouterr().err
    assert "no DC path to ground" in err and "fewer than two solvers" not in err  # not four refusals


def test_without_pyspice_the_other_solvers_are_compared_and_spice_is_named(monkeypatch, capsys):
    """PySpice missing (its import fails): check compares cd, newton and qp where they model the
    netlist, says spice was skipped and what to install, and exits 0."""
    import sys

    from circuitnet.solvers import spice

    monkeypatch.setattr(spice, "_SESSION", None)
    monkeypatch.setitem(sys.modules, "PySpice.Spice.NgSpice.Shared", None)  # import fails
    assert main(["check", str(ROOT / "netlists" / "clipper.cir")]) == 0
    out = capsys.readouterr().out
    assert "spice" not in out.splitlines()[0] and "cd vs qp" in out and "all solvers agree" in out
    skipped = next(line for line in out.splitlines() if line.startswith("skipped spice"))
    assert "not installed" in skipped and "pip install PySpice" in skipped and "apt-get install ngspice" in skipped
    assert main(["check", str(ROOT / "netlists" / "clipper.cir"), "--solvers", "cd,spice"]) == 2  # named: must run
    assert "pip install PySpice" in capsys.readouterr().err


@pytest.mark.parametrize("option, message", [(["--samples", "0"], "--samples must be an integer >= 1, got 0"),
                                             (["--samples", "-3"], "--samples must be an integer >= 1, got -3"),
                                             (["--seed", "-1"], "--seed must be an integer >= 0, got -1")])
def test_bad_counts_are_one_line_errors(capsys, option, message):
    assert main(["check", str(ROOT / "netlists" / "xor.cir"), "--solvers", "cd,qp", *option]) == 2
    err = capsys.readouterr().err
    assert err == f"circuitnet check: error: {message}\n"

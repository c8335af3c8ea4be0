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


def test_unknown_solver_is_a_usage_error(capsys):
    status = main(["check", str(ROOT / "netlists" / "divider.cir"), "--solvers", "cd,magic"])
    assert status == 2
    assert "--solvers needs two or more of auto, cd, newton, qp, spice" in capsys.readouterr().err

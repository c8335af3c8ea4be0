"""EP's gradient estimates against the true gradient (docs/design.md section 4: the central test)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from circuitnet.learning.gradcheck import (estimate, finite_difference_gradient, gradient_check,
                                           implicit_gradient, relative_error)
from circuitnet.learning.parameters import Parameters
from circuitnet.model.networks import build_drn

BETAS = [0.01, 0.005, 0.0025, 0.00125]


def problem(seed: int, hidden: int = 5):
    """A small random layered network (4 inputs, one hidden layer, 2 outputs) and a batch."""
    circuit = build_drn(4, [hidden], 2, gain=2.0, seed=seed)
    rng = np.random.default_rng(seed)
    params = Parameters.from_circuit(circuit)
    params.biases[:] = rng.normal(0.0, 0.01, params.biases.shape)
    x = rng.uniform(size=(3, 4))
    targets = np.eye(2)[rng.integers(0, 2, 3)]
    return circuit, params, x, targets


def slope(betas, errors) -> float:
    return float(np.polyfit(np.log(betas), np.log(errors), 1)[0])


@pytest.mark.parametrize("seed", [0, 1])
def test_implicit_matches_finite_differences(seed):
    circuit, params, x, targets = problem(seed)
    implicit = implicit_gradient(circuit, params, x, targets)
    fd = finite_difference_gradient(circuit, params, x, targets)
    assert relative_error(fd, implicit) < 1e-4


@pytest.mark.parametrize("seed, hidden", [(0, 4), (1, 5), (2, 6)])
def test_ep_convergence_orders(seed, hidden):
    circuit, params, x, targets = problem(seed, hidden)
    true = implicit_gradient(circuit, params, x, targets)
    errors = {a: [relative_error(estimate(circuit, params, x, targets, a, b), true) for b in BETAS]
              for a in ("cep", "pep", "nep")}
    assert 1.7 < slope(BETAS, errors["cep"]) < 2.3
    assert 0.8 < slope(BETAS, errors["pep"]) < 1.2
    assert 0.8 < slope(BETAS, errors["nep"]) < 1.2
    assert relative_error(estimate(circuit, params, x, targets, "cep", 1e-3), true) < 1e-4


def test_gradient_check_report():
    circuit, params, x, targets = problem(0)
    report = gradient_check(circuit, x, targets, [0.01, 0.001], params=params)
    assert report.method == "implicit differentiation"
    assert set(report.errors) == {"pep", "nep", "cep", "cl", "pcpl", "ncpl", "ccpl", "agnostic-ep",
                                  "continual-ep"}
    assert report.errors["cep"][1] < report.errors["cep"][0] < 1e-2
    assert "cep" in report.table()


def test_finite_differences_with_vcvs():
    circuit = build_drn(2, [2], 1, gain=1.0, seed=0, vcvs_gain=1.0)
    params = Parameters.from_circuit(circuit)
    x, targets = np.array([[0.3, 0.8]]), np.array([[1.0]])
    report = gradient_check(circuit, x, targets, [0.01], algorithms=["cep"], params=params)
    assert report.method == "finite differences"
    assert np.isfinite(report.errors["cep"][0])


def test_gradcheck_cli(tmp_path, capsys):
    from circuitnet.cli import main
    from circuitnet.netlist import write_netlist

    netlist = tmp_path / "drn.cir"
    netlist.write_text(write_netlist(build_drn(64, [16], 10, gain=1.0, seed=0)))
    assert main(["gradcheck", str(netlist), "--data", "digits", "--beta", "0.01", "--samples", "2"]) == 0
    out = capsys.readouterr().out
    assert "implicit differentiation" in out and "cep" in out and "ccpl" in out
    cep = [float(v) for v in next(line for line in out.splitlines() if line.startswith("cep")).split()[1:]]
    assert cep[2] < cep[0] < 1e-2


def test_gradcheck_cli_class_mismatch(tmp_path, capsys):
    from circuitnet.cli import main
    from circuitnet.netlist import write_netlist

    netlist = tmp_path / "drn.cir"
    netlist.write_text(write_netlist(build_drn(64, [6], 3, seed=0)))
    assert main(["gradcheck", str(netlist), "--data", "digits"]) == 2
    assert "10 classes but" in capsys.readouterr().err


def test_gradcheck_cli_json(tmp_path, capsys):
    from circuitnet.cli import main
    from circuitnet.learning.algorithms import ALGORITHMS
    from circuitnet.netlist import write_netlist

    netlist = tmp_path / "drn.cir"
    netlist.write_text(write_netlist(build_drn(64, [8], 10, gain=1.0, seed=0)))
    assert main(["gradcheck", str(netlist), "--data", "digits", "--beta", "0.01", "--samples", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == list(ALGORITHMS)
    assert all(list(errors) == ["0.01", "0.001", "0.0001"] for errors in report.values())
    for name in ("cep", "agnostic-ep"):
        assert report[name]["0.001"] < 0.1 * report[name]["0.01"]  # beta^2


def test_physical_procedures_on_the_bundled_digits_network():
    """netlists/digits_drn.cir, the examples `circuitnet gradcheck` picks: at beta = 1e-3 both
    procedures' estimates (at the default rate) are within 1e-2 of the true gradient."""
    from pathlib import Path

    from circuitnet.datasets import load_dataset
    from circuitnet.netlist import read_netlist

    circuit = read_netlist(Path(__file__).resolve().parents[1] / "netlists" / "digits_drn.cir")
    data = load_dataset("digits")
    pick = np.random.default_rng(0).choice(len(data.x_train), size=4, replace=False)
    report = gradient_check(circuit, data.x_train[pick], np.eye(10)[data.y_train[pick]], [1e-3],
                            algorithms=["agnostic-ep", "continual-ep"])
    assert report.errors["agnostic-ep"][0] < 1e-2 and report.errors["continual-ep"][0] < 1e-2


@pytest.fixture
def single_output(tmp_path):
    """A 2-3-1 network (one output: a binary classifier, as `train` takes it) and a 30-row CSV of
    two features and a 0/1 label."""
    from circuitnet.netlist import write_netlist

    netlist = tmp_path / "one.cir"
    write_netlist(build_drn(2, [3], 1, gain=2.0, seed=0), netlist)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(30, 2))
    data = tmp_path / "and.csv"
    np.savetxt(data, np.c_[x, (x[:, 0] > 0.5) & (x[:, 1] > 0.5)], delimiter=",", fmt="%.4f")
    return netlist, f"csv:{data}"


def test_gradcheck_cli_on_a_single_output_network(single_output, capsys):
    """Its targets are the labels themselves (0 V or 1 V), as the Trainer sets them."""
    from circuitnet.cli import main

    netlist, data = single_output
    assert main(["gradcheck", str(netlist), "--data", data, "--beta", "0.01", "--samples", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cep"]["0.0001"] < 0.1 * report["cep"]["0.01"]  # beta^2: the gradient of the right loss


def test_sample_batch_targets_are_the_trainers(single_output):
    from circuitnet.datasets import load_dataset
    from circuitnet.learning.gradcheck import sample_batch
    from circuitnet.learning.trainer import Trainer
    from circuitnet.netlist import read_netlist

    netlist, data = single_output
    circuit, dataset = read_netlist(netlist), load_dataset(data)
    x, targets = sample_batch(circuit, dataset, 5, seed=1)
    rows = [int(np.flatnonzero((dataset.x_train == row).all(axis=1))[0]) for row in x]
    np.testing.assert_array_equal(targets, Trainer(circuit).targets(dataset.y_train[rows]))
    assert targets.shape == (5, 1)


@pytest.mark.parametrize("options, message", [
    (["--beta", "inf"], "beta must be a finite number > 0, got inf"),
    (["--beta", "nan"], "beta must be a finite number > 0, got nan"),
    (["--beta", "0"], "beta must be a finite number > 0, got 0.0"),
    (["--beta", "-0.1"], "beta must be a finite number > 0, got -0.1"),
    (["--rate", "0"], "rate must be a finite number > 0, got 0.0"),
    (["--rate", "inf"], "rate must be a finite number > 0, got inf"),
    (["--samples", "0"], "samples must be an integer from 1 to the 24 training examples of and, got 0"),
    (["--samples", "25"], "samples must be an integer from 1 to the 24 training examples of and, got 25"),
    (["--seed", "-1"], "seed must be an integer >= 0, got -1"),
])
def test_gradcheck_cli_bad_options_are_one_line_errors(single_output, capsys, options, message):
    from circuitnet.cli import main

    netlist, data = single_output
    assert main(["gradcheck", str(netlist), "--data", data, *options]) == 2
    assert capsys.readouterr().err == f"circuitnet gradcheck: error: {message}\n"

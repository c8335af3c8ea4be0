"""Continual EP (learning/continual.py): one update per sweep, the limit eta -> 0 (EP's
estimate), the layered fast path, options, checkpoints and the command line."""
from __future__ import annotations

import numpy as np
import pytest

from circuitnet.cli import build_parser
from circuitnet.cli.train import training_config
from circuitnet.errors import CircuitValidationError
from circuitnet.learning.gradcheck import estimate, implicit_gradient, relative_error
from circuitnet.learning.parameters import Parameters, circuit_with
from circuitnet.learning.trainer import Trainer
from circuitnet.learning.updater import Updater
from circuitnet.model.networks import build_drn
from test_gradients import problem as gradient_problem, slope


def data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 4))
    return x, (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)


def trainer(hidden=(6,), **settings) -> Trainer:
    """A 4-6-2 network, continual EP, two epochs of batches of 8, tolerance mode."""
    return Trainer(build_drn(4, list(hidden), 2, gain=4.0, seed=1),
                   **{"algorithm": "continual-ep", "beta": 0.05, "lr": 0.01, "epochs": 2, "batch_size": 8,
                      "tol": 1e-10, "rule": "general", **settings})


def test_one_update_per_sweep(monkeypatch):
    applied = []
    original = Updater.apply
    monkeypatch.setattr(Updater, "apply", lambda self, contrast, epoch: (applied.append(contrast),
                                                                         original(self, contrast, epoch)))
    run = trainer(sweeps=7, epochs=1, momentum=0.9)
    x, y = data(8)
    run.fit(x, y)
    assert len(applied) == 7 and run.optimizer_.momentum == 0.0
    for before, after in zip(applied, applied[1:]):  # consecutive sweeps: state t+1 against state t
        assert after.lower is before.upper and after.scale == 0.05


def problem(seed: int):
    """test_gradients' random 4-5-2 network with random biases, a batch of 3, and the true gradient."""
    circuit, params, x, targets = gradient_problem(seed)
    return circuit, params, x, targets, implicit_gradient(circuit, params, x, targets)


@pytest.mark.parametrize("mode, ep", [("positive", "pep"), ("negative", "nep")])
@pytest.mark.parametrize("seed", [0, 1])
def test_approaches_ep_as_eta_falls(seed, mode, ep):
    """The summed change over -eta tends to EP's estimate like eta / beta, and so to the
    true gradient with EP's error of order beta."""
    circuit, params, x, targets, true = problem(seed)
    beta, rates = 1e-3, [1e-4, 1e-5, 1e-6]  # eta = rate * beta
    limit = estimate(circuit, params, x, targets, ep, beta)
    continual = [estimate(circuit, params, x, targets, "continual-ep", beta, rate=r, mode=mode) for r in rates]
    distances = [relative_error(c, limit) for c in continual]
    assert 0.9 < slope(rates, distances) < 1.1, distances
    assert distances[-1] < 1e-4
    assert relative_error(continual[-1], true) == pytest.approx(relative_error(limit, true), rel=0.05)


@pytest.mark.parametrize("settings", [
    dict(),
    dict(mode="negative", beta=0.02, sweeps=12, lr=0.002),
    dict(sweeps=6, hidden=(6, 5), lr=[0.01, 0.02, 0.005]),
])
def test_layered_fast_path_equals_general(settings):
    x, y = data()
    fast, general = (trainer(rule=rule, **settings).fit(x, y) for rule in ("auto", "general"))
    assert fast.fast_rule_ is not None and general.fast_rule_ is None
    initial = trainer(**settings).conductances_
    assert not np.allclose(fast.conductances_, initial)
    np.testing.assert_allclose(fast.conductances_, general.conductances_, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(fast.biases_, general.biases_, rtol=1e-9, atol=1e-15)


def test_fixed_sweeps_at_small_eta_step_like_pep():
    """In fixed-sweep mode the sweeps telescope to pep's K-sweep nudged state (away from the
    bounds: a clip after every sweep is not the clip of the sum)."""
    circuit = build_drn(4, [6], 2, gain=4.0, seed=1)
    params = Parameters.from_circuit(circuit)
    params.conductances[:] = np.random.default_rng(0).uniform(0.05, 0.5, params.conductances.shape)
    circuit = circuit_with(circuit, params)
    x, y = data(8)
    settings = dict(beta=0.05, sweeps=5, lr=1e-8, epochs=1, batch_size=8, momentum=0.0)
    continual = Trainer(circuit, algorithm="continual-ep", **settings).fit(x, y)
    positive = Trainer(circuit, algorithm="pep", **settings).fit(x, y)
    change = positive.conductances_ - params.conductances
    np.testing.assert_allclose(continual.conductances_ - params.conductances, change, rtol=0,
                               atol=1e-4 * np.abs(change).max())


def test_checkpoint_and_resume_from_the_command_line(tmp_path):
    """A run of two epochs equals one epoch, then --resume --epochs 2 (last.npz)."""
    from circuitnet.cli import main
    from circuitnet.learning.checkpoint import load_checkpoint
    from circuitnet.netlist import write_netlist

    netlist = tmp_path / "drn.cir"
    netlist.write_text(write_netlist(build_drn(64, [4], 10, gain=8.0, seed=0)))
    options = ["--data", "digits", "--algorithm", "continual-ep", "--beta", "0.1", "--lr", "0.002",
               "--batch-size", "128", "--sweeps", "4", "--quiet"]
    assert main(["train", str(netlist), "--out", str(tmp_path / "whole"), "--epochs", "2", *options]) == 0
    assert main(["train", str(netlist), "--out", str(tmp_path / "cut"), "--epochs", "1", *options]) == 0
    assert main(["train", str(netlist), "--out", str(tmp_path / "cut"), "--resume", "--epochs", "2", "--quiet"]) == 0
    whole, resumed = (load_checkpoint(tmp_path / run / "last.npz").state for run in ("whole", "cut"))
    assert int(resumed["epoch"]) == 2
    for key in ("conductances", "biases"):
        np.testing.assert_array_equal(whole[key], resumed[key])


def test_needs_the_cd_solver():
    with pytest.raises(CircuitValidationError, match="continual-ep changes the parameters after every sweep"):
        trainer(solver="qp")


def test_command_line_options():
    args = build_parser().parse_args(["train", "n.cir", "--out", "r", "--algorithm", "continual-ep", "--mode",
                                      "negative", "--quiet"])
    assert (training_config(args).algorithm, training_config(args).mode) == ("continual-ep", "negative")


def test_learns_a_small_task():
    """A 4-6-2 network separating x0 + x1 from x2 + x3: continual EP learns it as pep does."""
    x, y = data(200)
    run = trainer(epochs=20, beta=0.2, sweeps=6)
    loss0 = run.evaluate(x, y)[0]
    run.fit(x, y)
    loss, error = run.evaluate(x, y)
    assert loss < 0.5 * loss0 and error < 0.2

"""Tests of the Trainer and `circuitnet train`: resume after SIGKILL, reproducibility, bad input, export."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from circuitnet.cli import main
from circuitnet.errors import DataError
from circuitnet.learning.checkpoint import load_checkpoint
from circuitnet.learning.config import TrainingConfig
from circuitnet.learning.export import is_trained_run, snap_circuit, trained_circuit
from circuitnet.learning.trainer import Trainer
from circuitnet.model.networks import build_drn
from circuitnet.netlist import parse_netlist, read_netlist, write_netlist


def small_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 4))
    return x, (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)


def small_trainer(**kwargs):
    return Trainer(build_drn(4, [6], 2, gain=4.0, seed=1), **{"beta": 0.01, "lr": 0.05, "epochs": 2,
                                                              "batch_size": 8, **kwargs})


def train_cli(*args, check=True):
    return subprocess.run([sys.executable, "-m", "circuitnet", "train", *map(str, args)], check=check,
                          capture_output=True, text=True)


def test_reproducible_bit_for_bit():
    x, y = small_data()
    a = small_trainer(seed=3, momentum=0.5).fit(x, y)
    b = small_trainer(seed=3, momentum=0.5).fit(x, y)
    np.testing.assert_array_equal(a.conductances_, b.conductances_)
    np.testing.assert_array_equal(a.biases_, b.biases_)
    c = small_trainer(seed=4, momentum=0.5).fit(x, y)
    assert not np.array_equal(a.conductances_, c.conductances_)


def test_conductances_stay_in_bounds():
    x, y = small_data()
    trainer = small_trainer(lr=5.0).fit(x, y)
    bounds = trainer.circuit.bounds
    assert trainer.conductances_.min() >= bounds.gmin and trainer.conductances_.max() <= bounds.gmax


def test_state_round_trip_continues_exactly():
    x, y = small_data()
    whole = small_trainer(epochs=3, momentum=0.9).fit(x, y)
    first = small_trainer(epochs=1, momentum=0.9).fit(x, y)
    rest = small_trainer(epochs=3, momentum=0.9)
    rest.load_state(first.state())
    rest.fit(x, y)
    np.testing.assert_array_equal(whole.conductances_, rest.conductances_)
    assert [r.train_loss for r in whole.history_] == [r.train_loss for r in rest.history_]


def test_per_layer_learning_rates():
    x, y = small_data()
    frozen = small_trainer(lr=[0.0, 0.05], bias_lr=[0.0, 0.05])
    before = frozen.params_.copy()
    frozen.fit(x, y)
    first = np.array([name.startswith("r1_") for name in before.resistors])
    np.testing.assert_array_equal(frozen.conductances_[first], before.conductances[first])
    assert not np.array_equal(frozen.conductances_[~first], before.conductances[~first])
    with pytest.raises(Exception, match="3 weight learning rates given for a network of 2 layers"):
        small_trainer(lr=[0.1, 0.1, 0.1])


@pytest.mark.parametrize("mutate, message", [
    (lambda x, y: (x[:, :3], y), r"shape \(60, 3\).*takes 4 features"),
    (lambda x, y: (x, y + 1), "labels range over 1..2"),
    (lambda x, y: (np.where(x > 0.9, np.nan, x), y), "NaN"),
    (lambda x, y: (x, y[:10]), r"labels have shape \(10,\)"),
])
def test_bad_data(mutate, message):
    trainer = small_trainer()
    with pytest.raises(DataError, match=message):
        trainer.fit(*mutate(*small_data()))


def test_netlist_without_directives():
    circuit = build_drn(2, [2], 2)
    circuit.inputs = None
    with pytest.raises(DataError, match=r"no '\*@ input' directive"):
        Trainer(circuit)
    circuit = build_drn(2, [2], 2)
    circuit.outputs = []
    with pytest.raises(DataError, match=r"no '\*@ output' directive"):
        Trainer(circuit)


@pytest.fixture(scope="module")
def netlist(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "digits.cir"
    path.write_text(write_netlist(build_drn(64, [16], 10, gain=16.0, seed=0)))
    return path


def test_resume_after_sigkill_equals_uninterrupted(netlist, tmp_path):
    options = ["--data", "digits", "--epochs", "3", "--batch-size", "2", "--beta", "0.2", "--lr", "0.02",
               "--seed", "5", "--quiet"]
    train_cli(netlist, "--out", tmp_path / "whole", *options)
    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "circuitnet", "train", str(netlist), "--out", str(killed),
                                *options], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (killed / "last.npz").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)  # into the second epoch
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert load_checkpoint(killed / "last.npz").epoch < 3
    result = train_cli(netlist, "--out", killed, "--resume", "--quiet")
    assert "resuming" in result.stdout
    whole, resumed = load_checkpoint(tmp_path / "whole" / "last.npz"), load_checkpoint(killed / "last.npz")
    np.testing.assert_array_equal(whole.state["conductances"], resumed.state["conductances"])
    np.testing.assert_array_equal(whole.state["biases"], resumed.state["biases"])
    lines = (killed / "metrics.csv").read_text().splitlines()
    assert lines[0] == "epoch,train_loss,train_error,test_error,seconds" and len(lines) == 4
    assert (killed / "trained.cir").exists() and (killed / "curves.png").exists()


def test_run_directory_and_export(netlist, tmp_path):
    run = tmp_path / "run"
    result = train_cli(netlist, "--data", "digits", "--out", run, "--epochs", "1", "--beta", "0.2", "--lr", "0.02",
                       "--quiet")
    assert "test error" in result.stdout
    config = json.loads((run / "config.json").read_text())
    assert set(config["settings"]) == set(TrainingConfig.names()) and "numpy" in config["versions"]
    assert TrainingConfig.from_dict(config["settings"]) == TrainingConfig(epochs=1, beta=0.2, lr=0.02)
    again = train_cli(netlist, "--data", "digits", "--out", run, check=False)
    assert again.returncode == 2 and "already holds a run" in again.stderr
    extended = train_cli(netlist, "--out", run, "--resume", "--epochs", "2", "--quiet")
    assert "resuming" in extended.stdout and "epoch 2/2" in extended.stdout
    assert load_checkpoint(run / "last.npz").epoch == 2
    resumed = json.loads((run / "config.json").read_text())  # the settings the run now uses
    assert resumed["settings"] == {**config["settings"], "epochs": 2, "progress": False}
    assert {key: resumed[key] for key in config} == {**config, "settings": resumed["settings"]}
    assert is_trained_run(run) and is_trained_run(run / "best.npz") and not is_trained_run(netlist)

    from circuitnet.datasets import load_dataset

    x = load_dataset("digits").x_test[:50]
    checkpoint = load_checkpoint(run / "last.npz")
    trainer = Trainer(read_netlist(netlist), beta=0.2)
    trainer.load_state(checkpoint.state)
    expected = trainer.predict(x)
    reparsed = Trainer(read_netlist(run / "trained.cir"), beta=0.2)
    np.testing.assert_array_equal(reparsed.predict(x), expected)
    np.testing.assert_array_equal(Trainer(trained_circuit(run), beta=0.2).predict(x), expected)

    out, bom = tmp_path / "snapped.cir", tmp_path / "snapped.bom.csv"
    assert main(["export", str(run), "-o", str(out), "--snap", "E24"]) == 0
    assert "r1_0_0,resistor" in bom.read_text()
    snapped = parse_netlist(out.read_text(), str(out))
    assert Trainer(snapped, beta=0.2).score(x, expected) > 0.9


@pytest.mark.parametrize("snap", ["E24", "E96", "levels=16"])
def test_snap(snap):
    circuit = build_drn(4, [6], 2, seed=1)
    snapped, exact = snap_circuit(circuit, snap)
    ratio = np.array([snapped.elements[n].value / v for n, v in exact.items()])
    limit = {"E24": 0.06, "E96": 0.015}.get(snap)
    if limit:
        assert np.abs(ratio - 1).max() < limit
    else:
        assert len({snapped.elements[n].value for n in exact}) <= 16


def test_bad_snap():
    with pytest.raises(DataError, match="unknown --snap"):
        snap_circuit(build_drn(2, [2], 1), "E7")
    with pytest.raises(DataError, match="levels=N needs"):
        snap_circuit(build_drn(2, [2], 1), "levels=1")


@pytest.mark.spice
def test_trained_circuit_with_spice(netlist):
    pytest.importorskip("PySpice")
    from circuitnet.datasets import load_dataset

    x = load_dataset("digits").x_test[:5]
    circuit = read_netlist(netlist)
    expected = Trainer(circuit).predict(x)
    np.testing.assert_array_equal(Trainer(circuit, solver="spice").predict(x), expected)


@pytest.mark.parametrize("options", [dict(sweeps=4), dict(dtype="float32"), dict(algorithm="ccpl", beta=0.5)])
def test_solver_modes_learn(options):
    x, y = small_data()
    trainer = small_trainer(**{"epochs": 4, **options})
    loss0 = trainer.evaluate(x, y)[0]
    trainer.fit(x, y)
    assert trainer.evaluate(x, y)[0] < loss0

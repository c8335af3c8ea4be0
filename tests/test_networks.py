"""Tests of circuitnet.model.networks (build_drn, drn_layers) and `circuitnet build`."""
from __future__ import annotations

import numpy as np
import pytest

from circuitnet.errors import CircuitValidationError
from circuitnet.cli import main
from circuitnet.model.networks import build_drn, default_input_gain, drn_layers
from circuitnet.netlist import parse_netlist, read_netlist, write_netlist
from circuitnet.solvers import solve


def test_drn_structure():
    circuit = build_drn(3, [4, 2], 2, gain=5.0, seed=3)
    assert circuit.inputs.sources == [f"vx{k}" for k in range(6)]
    assert circuit.inputs.mirror and circuit.inputs.gain == 5.0
    assert circuit.outputs == ["out0", "out1"]
    assert circuit.trainable_names("R") == [e.name for e in circuit.of_kind("R")]
    assert len(circuit.trainable_names("I")) == 4 + 2 + 2
    assert circuit.models["dideal"].ideal
    # excitatory first half: ground -> node; inhibitory second half: node -> ground
    assert circuit.elements["dh1_0"].nodes == ("0", "h1_0")
    assert circuit.elements["dh1_1"].nodes == ("0", "h1_1")
    assert circuit.elements["dh1_2"].nodes == ("h1_2", "0")
    assert circuit.elements["ib2_1"].nodes == ("0", "h2_1") and circuit.elements["ib2_1"].value == 0.0
    assert not any(e.nodes[1] == "out0" for e in circuit.of_kind("D"))
    circuit.validate()


def test_drn_initial_conductances():
    circuit = build_drn(50, [40], 3, seed=0, gmin=1e-6, gmax=1.0)
    layers = drn_layers(circuit)
    assert layers.sizes == [100, 40, 3]
    first = layers.weights[0]
    assert first.min() == pytest.approx(1e-6)  # the negative draws, clipped to gmin
    assert first.max() <= 1.0 / np.sqrt(100)
    assert 0.4 < np.mean(first == 1e-6) < 0.6
    assert all(np.all(b == 0) for b in layers.biases)
    again = drn_layers(build_drn(50, [40], 3, seed=0))
    np.testing.assert_array_equal(first, again.weights[0])
    assert not np.array_equal(first, drn_layers(build_drn(50, [40], 3, seed=1)).weights[0])


def test_drn_layers_round_trip():
    circuit = build_drn(4, [6], 2, seed=2)
    parsed = parse_netlist(write_netlist(circuit), "drn.cir")
    for a, b in zip(drn_layers(circuit).weights, drn_layers(parsed).weights):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_drn_diodes_hold():
    circuit = build_drn(4, [6], 2, gain=3.0, seed=4)
    x = np.random.default_rng(0).uniform(size=(5, 4))
    solution = solve(circuit, x, solver="qp")
    v = {n: solution.voltage(n) for n in circuit.nodes}
    assert np.all(np.stack([v[f"h1_{j}"] for j in range(3)]) >= -1e-7)
    assert np.all(np.stack([v[f"h1_{j}"] for j in range(3, 6)]) <= 1e-7)
    np.testing.assert_allclose(v["x4"], -3.0 * x[:, 0])


def test_drn_vcvs_buffers():
    circuit = build_drn(2, [2, 2], 1, vcvs_gain=2.0)
    assert circuit.elements["e1_0"].nodes == ("a1_0", "0", "h1_0", "0")
    assert circuit.elements["r2_0_1"].nodes == ("a1_0", "h2_1")
    assert circuit.elements["r3_1_0"].nodes == ("a2_1", "out0")
    assert [w.shape for w in drn_layers(circuit).weights] == [(4, 2), (2, 2), (2, 1)]


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_inputs=0, hidden=[2], n_outputs=1), "positive integers"),
    (dict(n_inputs=2, hidden=[2], n_outputs=1, gmin=0.5, gmax=0.1), "gmin < gmax"),
])
def test_drn_bad_arguments(kwargs, message):
    with pytest.raises(CircuitValidationError, match=message):
        build_drn(**kwargs)


def test_drn_layers_rejects_other_circuits():
    circuit = build_drn(2, [2], 1)
    circuit.elements["r1_0_0"].name = "rfoo"
    circuit.elements["rfoo"] = circuit.elements.pop("r1_0_0")
    with pytest.raises(CircuitValidationError, match="'rfoo' is not named"):
        drn_layers(circuit)
    del circuit.elements["rfoo"]
    with pytest.raises(CircuitValidationError, match="not all-to-all"):
        drn_layers(circuit)


def test_build_cli(tmp_path, capsys):
    from circuitnet.cli import main

    out = tmp_path / "sub" / "net.cir"
    assert main(["build", "drn", "--inputs", "3", "--hidden", "4,2", "--outputs", "2",
                 "--gain", "4", "--seed", "7", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    circuit = read_netlist(out)
    assert circuit.inputs.gain == 4.0 and circuit.outputs == ["out0", "out1"]
    expected = drn_layers(build_drn(3, [4, 2], 2, gain=4.0, seed=7))
    np.testing.assert_allclose(drn_layers(circuit).weights[1], expected.weights[1], rtol=1e-12)


def test_default_gain_follows_inputs_and_depth():
    assert default_input_gain(64, 1) == 32.0
    assert default_input_gain(16, 1) == 16.0
    assert default_input_gain(64, 2) == 4 * default_input_gain(64, 1)
    assert default_input_gain(64, 3, buffered=True) == default_input_gain(64, 1)
    assert build_drn(64, [8], 10).inputs.gain == 32.0
    assert build_drn(64, [8, 8], 10).inputs.gain == 128.0
    assert build_drn(64, [8], 10, gain=2.5).inputs.gain == 2.5


@pytest.mark.slow
@pytest.mark.parametrize("hidden", ["32", "64", "128", "256", "64,64"])
def test_default_builds_learn_digits(tmp_path, hidden):
    """`circuitnet build drn` and `circuitnet train` with nothing but their defaults: at most
    5 % test error on digits at the last epoch."""
    netlist = tmp_path / "net.cir"
    assert main(["build", "drn", "--inputs", "64", "--hidden", hidden, "--outputs", "10", "-o", str(netlist)]) == 0
    assert main(["train", str(netlist), "--data", "digits", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    last = (tmp_path / "run" / "metrics.csv").read_text().strip().splitlines()[-1].split(",")
    assert float(last[3]) <= 0.05

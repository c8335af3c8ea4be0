"""The layered fast rule (rank-batch products, parameters living in the compiled array)
against the general per-resistor rule."""
from __future__ import annotations

import numpy as np
import pytest

from circuitnet.learning.algorithms import ALGORITHMS
from circuitnet.learning.layered_rule import LayeredRule
from circuitnet.learning.rule import Pins, estimate_gradient
from circuitnet.learning.trainer import Trainer
from circuitnet.model.networks import build_drn


def data(n=48, features=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, features))
    return x, rng.integers(0, classes, size=n)


@pytest.mark.parametrize("hidden", [[8], [8, 6]])
@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_fast_rule_equals_general_rule(hidden, algorithm):
    circuit = build_drn(5, hidden, 3, gain=3.0, seed=2)
    trainer = Trainer(circuit, algorithm=algorithm, beta=0.05, sweeps=None, tol=1e-10)
    rule = trainer.fast_rule_
    assert rule is not None and len(rule.blocks) == len(hidden) + 1
    x, labels = data()
    sim = trainer.simulator
    sim.set_parameters(trainer.params_)
    free = sim.free(x[:7])
    contrast = trainer.algorithm.contrast(sim, x[:7], trainer.targets(labels[:7]), free, 0.05)
    general, _ = estimate_gradient(Pins.of(circuit, trainer.params_, sim.nodes), contrast)
    fast = np.concatenate([g.dense().ravel() for g in rule.gradients(contrast, np.float64)])
    scale = np.abs(general).max()
    assert scale > 0
    np.testing.assert_allclose(fast, general, rtol=0, atol=1e-12 * max(scale, 1.0))


@pytest.mark.parametrize("options", [
    {"algorithm": "cep", "hidden": [8], "momentum": 0.0},  # the rank-batch update in place
    {"algorithm": "pcpl", "hidden": [8, 6]},  # the default momentum, 0.5
    {"algorithm": "nep", "hidden": [8, 6], "lr": [0.02, 0.05, 0.1], "momentum": 0.0},
])
def test_training_fast_equals_general(options):
    options = dict(options)
    hidden = options.pop("hidden")
    x, y = data()
    runs = {}
    for rule in ("auto", "general"):
        trainer = Trainer(build_drn(5, hidden, 3, gain=3.0, seed=2), beta=0.05, epochs=2, batch_size=4,
                          sweeps=30, rule=rule, **{"lr": 0.05, **options})
        assert (trainer.fast_rule_ is not None) == (rule == "auto")
        runs[rule] = trainer.fit(x, y)
    fast, general = runs["auto"], runs["general"]
    assert not np.allclose(fast.conductances_, build_drn_initial(hidden))  # it trained
    np.testing.assert_allclose(fast.conductances_, general.conductances_, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fast.biases_, general.biases_, rtol=1e-10, atol=1e-13)


def build_drn_initial(hidden):
    return Trainer(build_drn(5, hidden, 3, gain=3.0, seed=2)).conductances_.copy()


def test_parameters_are_the_simulator_values():
    trainer = Trainer(build_drn(5, [8], 3, gain=3.0, seed=2), dtype="float32", batch_size=4, epochs=1, beta=0.05,
                      sweeps=8)
    values = trainer.simulator.values
    assert np.shares_memory(trainer.params_.conductances, values.conductance)
    assert values.conductance.dtype == np.float32 and not values.conductance.flags.writeable
    version = values.version
    x, y = data(8)
    trainer.fit(x, y)
    assert values.version > version and not values.conductance.flags.writeable
    with pytest.raises(ValueError):
        trainer.params_.conductances[0] = 1.0


def test_general_circuits_keep_the_per_resistor_rule():
    # a resistor skipping a layer: not layered, so no fast rule
    from circuitnet.model.elements import RESISTOR, Element

    circuit = build_drn(3, [4], 2, gain=2.0)
    circuit.add(Element("r9_0_0", RESISTOR, ("x0", "out0"), 10.0))
    trainer = Trainer(circuit, beta=0.05)
    assert trainer.fast_rule_ is None
    assert LayeredRule.of(trainer.simulator.compiled, len(trainer.params_.resistors)) is None

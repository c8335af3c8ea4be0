"""Each of the seven algorithms trains a small network: the loss and the error go down."""
from __future__ import annotations

import pathlib

import numpy as np
import pytest

from circuitnet.datasets import load_dataset
from circuitnet.errors import ConvergenceError
from circuitnet.learning.config import TrainingConfig
from circuitnet.learning.trainer import Trainer
from circuitnet.model.networks import build_drn
from circuitnet.netlist import read_netlist

XOR_NETLIST = pathlib.Path(__file__).parents[1] / "netlists" / "xor_drn.cir"

#: The schedule the per-algorithm settings below were tuned with: plain SGD, no decay.
PLAIN_SGD = TrainingConfig(momentum=0.0, lr_decay=1.0, epochs=5, batch_size=10)
#: algorithm -> (beta, learning rate) for the three-class digits task below.
SETTINGS = {"cep": (0.01, 0.02), "pep": (0.2, 0.02), "nep": (0.01, 0.02), "cl": (1.0, 0.01),
            "pcpl": (0.5, 0.05), "ncpl": (0.5, 0.05), "ccpl": (0.5, 0.05)}


@pytest.fixture(scope="module")
def three_digits():
    """150 training images of the digits 0, 1 and 2."""
    data = load_dataset("digits")
    keep = data.y_train < 3
    return data.x_train[keep][:150], data.y_train[keep][:150]


@pytest.mark.parametrize("algorithm", list(SETTINGS))
def test_algorithm_learns(algorithm, three_digits):
    x, y = three_digits
    beta, lr = SETTINGS[algorithm]
    trainer = Trainer(build_drn(64, [8], 3, gain=16.0, seed=0), PLAIN_SGD, algorithm=algorithm, beta=beta, lr=lr)
    loss0, error0 = trainer.evaluate(x, y)
    trainer.fit(x, y)
    loss, error = trainer.evaluate(x, y)
    assert loss < 0.75 * loss0
    # contrastive learning's clamped state is a large perturbation: a cruder estimate, slower
    assert error < (0.4 if algorithm == "cl" else 0.15) < error0


#: (beta or eta, learning rate) per algorithm that learn XOR within 60 epochs
XOR_SETTINGS = {"cep": (0.1, 0.01), "pep": (0.05, 0.01), "nep": (0.1, 0.01), "cl": (0.1, 0.003),
                "pcpl": (0.5, 0.01), "ncpl": (0.1, 0.01), "ccpl": (0.5, 0.01)}


@pytest.mark.parametrize("algorithm", sorted(XOR_SETTINGS))
def test_xor_netlist_is_learned(algorithm):
    """netlists/xor_drn.cir: every algorithm at least halves the loss; centered EP solves XOR."""
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    beta, lr = XOR_SETTINGS[algorithm]
    trainer = Trainer(read_netlist(XOR_NETLIST), PLAIN_SGD, algorithm=algorithm, beta=beta, lr=lr, epochs=60,
                      batch_size=4)
    loss0 = trainer.evaluate(x, y)[0]
    trainer.fit(np.repeat(x, 8, axis=0), np.repeat(y, 8))
    assert trainer.evaluate(x, y)[0] < 0.6 * loss0
    if algorithm == "cep":
        assert trainer.score(x, y) == 1.0


def test_default_config_learns(three_digits):
    """TrainingConfig's defaults (centered EP, beta 0.2 S, lr 0.01, momentum 0.5, decay 0.95)
    train a 64-16-3 network within 3 epochs."""
    x, y = three_digits
    trainer = Trainer(build_drn(64, [16], 3, gain=16.0, seed=0), epochs=3)
    assert trainer.config == TrainingConfig(epochs=3)
    loss0, error0 = trainer.evaluate(x, y)
    trainer.fit(x, y)
    loss, error = trainer.evaluate(x, y)
    assert loss < 0.5 * loss0 and error < 0.1 < error0


def test_negative_beta_too_large_is_explained(three_digits):
    x, y = three_digits
    trainer = Trainer(build_drn(64, [8], 3, gain=16.0, seed=0), algorithm="nep", beta=5.0, epochs=1)
    with pytest.raises(ConvergenceError, match="negative nudging beta=-5 S exceeds"):
        trainer.fit(x, y)

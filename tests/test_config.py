"""TrainingConfig: the one set of training defaults (shared with `circuitnet train`), its
validation, and the Trainer's overrides."""
from __future__ import annotations

import json
import re
from dataclasses import FrozenInstanceError

import pytest

from circuitnet.cli import build_parser
from circuitnet.cli.train import training_config
from circuitnet.errors import CircuitValidationError
from circuitnet.learning.algorithms import ALGORITHMS
from circuitnet.learning.config import TrainingConfig
from circuitnet.learning.trainer import Trainer
from circuitnet.model.networks import build_drn

REQUIRED = ["train", "net.cir", "--out", "run"]

#: every option of `circuitnet train` that sets a field, with a value other than the default
GIVEN = {"--algorithm": ("pcpl", "algorithm", "pcpl"), "--beta": ("0.5", "beta", 0.5),
         "--lr": ("0.02,0.03", "lr", (0.02, 0.03)), "--bias-lr": ("0.04", "bias_lr", 0.04),
         "--lr-decay": ("0.9", "lr_decay", 0.9), "--momentum": ("0.25", "momentum", 0.25),
         "--epochs": ("3", "epochs", 3), "--batch-size": ("4", "batch_size", 4), "--sweeps": ("7", "sweeps", 7),
         "--dtype": ("float32", "dtype", "float32"), "--seed": ("9", "seed", 9), "--solver": ("qp", "solver", "qp")}


def parse(*options: str):
    return build_parser().parse_args([*REQUIRED, *options])


def test_defaults_are_those_of_the_command_line():
    """Without options (and with --quiet, progress being off by default) the command trains
    with TrainingConfig(); the defaults the CLI used to have are TrainingConfig's."""
    assert training_config(parse("--quiet")) == TrainingConfig()
    defaults = TrainingConfig()
    assert (defaults.algorithm, defaults.beta, defaults.lr, defaults.bias_lr, defaults.lr_decay, defaults.momentum,
            defaults.epochs, defaults.batch_size, defaults.sweeps, defaults.tol, defaults.dtype, defaults.seed,
            defaults.solver) == ("cep", 0.2, 0.01, None, 0.95, 0.5, 40, 16, None, 1e-6, "float64", 0, "cd")
    assert training_config(parse()).progress is True


def test_every_option_sets_its_field():
    args = parse("--quiet", *[token for flag, (value, _, _) in GIVEN.items() for token in (flag, value)])
    config = training_config(args)
    for flag, (_, field, expected) in GIVEN.items():
        assert getattr(config, field) == expected != getattr(TrainingConfig(), field), flag
    assert training_config(parse("--tol", "1e-8")).tol == 1e-8


def test_help_shows_the_config_defaults(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split()).partition("show this help message and exit")[2]
    defaults = TrainingConfig()
    shown = {flag: re.search(rf"{flag} \S+ .*?\(default ([^)]*)\)", text) for flag in GIVEN}  # each help ends so
    assert all(shown.values()), [flag for flag, match in shown.items() if not match]
    for flag, (_, field, _) in GIVEN.items():
        expected = {"bias_lr": "--lr", "sweeps": "tolerance mode"}.get(field, str(getattr(defaults, field)))
        assert shown[flag].group(1) == expected, flag
    for algorithm in ALGORITHMS.values():
        assert f"{algorithm.name} {algorithm.description}" in text


def test_resume_overrides_the_stored_settings_with_the_options_given():
    """Options given on the command line win over config.json's; the others keep the stored
    value, not TrainingConfig's default (argparse leaves an option not given out)."""
    stored = TrainingConfig(beta=0.1, lr=0.02, epochs=2, momentum=0.0, progress=True).to_dict()
    resumed = training_config(parse("--epochs", "5", "--beta", "0.3", "--quiet"), stored)
    assert resumed == TrainingConfig(beta=0.3, lr=0.02, epochs=5, momentum=0.0)


def test_tol_on_resume_leaves_fixed_sweep_mode():
    stored = TrainingConfig(sweeps=5).to_dict()
    assert training_config(parse("--tol", "1e-8"), stored).sweeps is None
    assert training_config(parse("--lr", "0.5"), stored).sweeps == 5


def test_json_round_trip():
    config = TrainingConfig(algorithm="ccpl", beta=0.5, lr=[0.1, 0.2], bias_lr=[0.0, 0.0], sweeps=5)
    text = json.dumps(config.to_dict())
    assert TrainingConfig.from_dict(json.loads(text)) == config
    assert config.lr == (0.1, 0.2) and TrainingConfig(lr=[0.03]).lr == 0.03
    with pytest.raises(FrozenInstanceError):
        config.beta = 0.3


def test_from_dict_fills_missing_fields_with_defaults():
    """A config.json written before a field existed still loads."""
    assert TrainingConfig.from_dict({"beta": 0.1}) == TrainingConfig(beta=0.1)


@pytest.mark.parametrize("options, message", [
    (dict(algorithm="bp"), "unknown algorithm 'bp'; choose one of pep, nep, cep"),
    (dict(beta=0.0), "beta must be positive, got 0.0"),
    (dict(beta=float("nan")), "beta must be positive"),
    (dict(algorithm="pcpl", beta=2.0), r"coupled learning needs 0 < eta <= 1 \(given as beta\), got 2.0"),
    (dict(lr=0.0), "lr must be a number > 0"),
    (dict(lr=-0.1), "lr must be a number > 0"),
    (dict(lr=[0.0, 0.0]), r"not all 0\), got \[0.0, 0.0\]"),
    (dict(lr="fast"), "lr must be"),
    (dict(bias_lr=[0.1, -0.1]), "bias_lr must be a number >= 0"),
    (dict(lr_decay=0.0), r"lr_decay must be in \(0, 1\], got 0.0"),
    (dict(lr_decay=1.5), r"lr_decay must be in \(0, 1\]"),
    (dict(momentum=1.0), r"momentum must be in \[0, 1\), got 1.0"),
    (dict(epochs=-1), "epochs must be an integer >= 0, got -1"),
    (dict(epochs=2.5), "epochs must be an integer >= 0, got 2.5"),
    (dict(batch_size=0), "batch_size must be an integer >= 1, got 0"),
    (dict(sweeps=0), "sweeps must be an integer >= 1, got 0"),
    (dict(tol=0.0), "tol must be positive"),
    (dict(dtype="float16"), "dtype must be one of 'float32', 'float64', got 'float16'"),
    (dict(solver="hspice"), "solver must be one of 'auto', 'cd', 'newton', 'qp', 'spice'"),
    (dict(rule="fast"), "rule must be one of 'auto', 'general'"),
    (dict(blas_threads=0), "blas_threads must be an integer >= 1, got 0"),
    (dict(progress="yes"), "progress must be True or False"),
])
def test_validation(options, message):
    with pytest.raises(CircuitValidationError, match=message):
        TrainingConfig(**options)
    with pytest.raises(CircuitValidationError, match=message):  # the Trainer's overrides go through it
        Trainer(build_drn(2, [2], 2), **options)


def test_contrastive_learning_takes_any_positive_beta():
    """cl clamps to the targets: beta (eta = 1) is not used, so beta > 1 is fine."""
    assert TrainingConfig(algorithm="cl", beta=5.0).beta == 5.0


def test_overrides_change_only_the_named_fields():
    base = TrainingConfig(beta=0.1, epochs=3, momentum=0.0)
    trainer = Trainer(build_drn(2, [2], 2), base, lr=0.5, epochs=1)
    assert trainer.config == TrainingConfig(beta=0.1, epochs=1, momentum=0.0, lr=0.5)
    assert base.epochs == 3 and base.lr == 0.01
    assert Trainer(build_drn(2, [2], 2), base).config is base
    assert Trainer(build_drn(2, [2], 2)).config == TrainingConfig()


def test_readme_example():
    trainer = Trainer(build_drn(64, [32], 10, gain=32), algorithm="cep", beta=0.2, lr=0.01, epochs=10)
    assert trainer.config == TrainingConfig(epochs=10) and trainer.algorithm is ALGORITHMS["cep"]


def test_unknown_keyword_lists_the_valid_ones():
    with pytest.raises(CircuitValidationError,
                       match=r"unknown training setting\(s\) eta, learning_rate; valid settings: algorithm, "
                             r"beta, lr, bias_lr, .*, progress$"):
        Trainer(build_drn(2, [2], 2), learning_rate=0.1, eta=0.5)
    with pytest.raises(CircuitValidationError, match="unknown training setting"):
        TrainingConfig.from_dict({"betta": 0.1})


def test_blas_threads_auto():
    small = Trainer(build_drn(2, [2], 2), batch_size=4)
    assert small.config.blas_threads == "auto" and small.blas_threads == 1
    assert Trainer(build_drn(2, [2], 2), blas_threads=None).blas_threads is None
    assert Trainer(build_drn(2, [2], 2), blas_threads=3).blas_threads == 3

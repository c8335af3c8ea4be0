"""The run directory: which epoch best.npz holds, and that the summary names that epoch."""
import re

import pytest

from circuitnet.cli import main
from circuitnet.learning.checkpoint import load_checkpoint
from circuitnet.learning.rundir import best_record
from circuitnet.learning.trainer import EpochRecord

NAN = float("nan")


def record(epoch: int, train_error: float, test_error: float) -> EpochRecord:
    return EpochRecord(epoch, train_loss=0.1, train_error=train_error, test_error=test_error, seconds=1.0)


def test_best_is_the_lowest_test_error():
    history = [record(1, 0.5, 0.30), record(2, 0.1, 0.20), record(3, 0.0, 0.25)]
    assert best_record(history).epoch == 2


def test_a_tie_goes_to_the_latest_epoch():
    """best.npz is rewritten on a tie, so the later of two equal epochs is the one it holds."""
    history = [record(1, 0.5, 0.30), record(2, 0.4, 0.20), record(3, 0.3, 0.25), record(4, 0.2, 0.20)]
    assert best_record(history).epoch == 4


def test_without_a_test_set_the_train_error_decides():
    history = [record(1, 0.5, NAN), record(2, 0.2, NAN), record(3, 0.3, NAN)]
    assert best_record(history).epoch == 2


def test_summary_names_the_epoch_in_best_npz(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "netlists/digits_drn.cir", "--data", "digits", "--out", str(out), "--epochs", "4",
                 "--quiet"]) == 0
    named = int(re.search(r"best test error [0-9.]+% at epoch (\d+)", capsys.readouterr().out).group(1))
    best = load_checkpoint(out / "best.npz")
    history = best.state["history"]
    assert named == best.epoch
    assert history[-1, 3] == pytest.approx(min(history[:, 3]))  # best.npz's own epoch has the lowest test error

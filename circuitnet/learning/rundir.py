"""A training run's directory: config.json, metrics.csv, last/best checkpoints, trained.cir, curves.png."""
from __future__ import annotations

import json
import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..errors import CircuitError, DataError
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .trainer import EpochRecord, Trainer

METRICS_HEADER = "epoch,train_loss,train_error,test_error,seconds"
_PACKAGES = ("circuitnet", "numpy", "scipy", "numba", "networkx", "cvxpy", "scikit-learn", "matplotlib")


def package_versions() -> dict[str, str]:
    """Python's and the main packages' versions, for config.json."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


class RunDirectory:
    """The files of one run under `path` (created when missing)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.config_path = self.path / "config.json"
        self.last = self.path / "last.npz"
        self.best = self.path / "best.npz"
        self.metrics = self.path / "metrics.csv"
        self.trained = self.path / "trained.cir"
        self.curves = self.path / "curves.png"

    def create(self, config: dict) -> None:
        """Start a new run: refuse to overwrite one, write config.json: `config` (for
        `circuitnet train`: netlist, data, and settings, every field of the run's
        TrainingConfig by `to_dict`) plus the package versions and the command line."""
        if self.config_path.exists():
            raise CircuitError(f"{self.path} already holds a run: pass --resume to continue it, "
                               "or choose another --out")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CircuitError(f"cannot create run directory {self.path}: {error}") from None
        config = {**config, "versions": package_versions(), "argv": sys.argv[1:]}
        _write_atomic(self.config_path, json.dumps(config, indent=2) + "\n")

    def read_config(self) -> dict:
        """The config.json of an existing run (for --resume)."""
        try:
            return json.loads(self.config_path.read_text())
        except FileNotFoundError:
            raise DataError(f"{self.path}: no config.json, nothing to resume") from None
        except (OSError, ValueError) as error:
            raise DataError(f"{self.config_path}: cannot read: {error}") from None

    def resume_point(self) -> Checkpoint | None:
        """The last checkpoint, or None when the run stopped before its first epoch ended."""
        return load_checkpoint(self.last) if self.last.exists() else None

    def save_epoch(self, trainer: Trainer, netlist: str, source_file: str) -> bool:
        """After an epoch: last.npz, best.npz when the test (else train) error is the best so far,
        and metrics.csv. Returns whether this epoch is the best."""
        state = trainer.state()
        save_checkpoint(self.last, state, netlist, source_file)
        is_best = best_record(trainer.history_) is trainer.history_[-1]
        if is_best:
            save_checkpoint(self.best, state, netlist, source_file)
        rows = [METRICS_HEADER] + [f"{r.epoch},{r.train_loss:.9g},{r.train_error:.9g},{r.test_error:.9g},"
                                   f"{r.seconds:.6g}" for r in trainer.history_]
        _write_atomic(self.metrics, "\n".join(rows) + "\n")
        return is_best

    def finish(self, trained_netlist: str, history: list[EpochRecord]) -> None:
        """Write trained.cir and curves.png."""
        _write_atomic(self.trained, trained_netlist)
        plot_curves(history, self.curves)


def best_record(history: list[EpochRecord]) -> EpochRecord:
    """The epoch best.npz holds: the lowest test error (train error where there is no test
    set), the latest of equal ones (a tie rewrites best.npz)."""
    return min(reversed(history), key=_selection_error)


def _selection_error(record: EpochRecord) -> float:
    return record.train_error if record.test_error != record.test_error else record.test_error


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def plot_curves(history: list[EpochRecord], path: Path) -> None:
    """Training loss and train/test error per epoch, as a PNG (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r.epoch for r in history]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, [r.train_loss for r in history], marker="o")
    left.set(xlabel="epoch", ylabel="training loss", title="loss 1/2 sum (v_o - y_o)^2")
    right.plot(epochs, [100 * r.train_error for r in history], marker="o", label="train")
    right.plot(epochs, [100 * r.test_error for r in history], marker="o", label="test")
    right.set(xlabel="epoch", ylabel="error (%)", title="classification error")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

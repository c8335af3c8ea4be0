"""A training run's directory: config.json, metrics.csv, last/best checkpoints, trained.cir, curves.png."""
from __future__ import annotations

import json
import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..errors import CircuitError, DataError
from .checkpoint import Checkpoint, atomic_writer, load_checkpoint, remove_temporaries, save_checkpoint
from .trainer import EpochRecord, Trainer

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
    """The files of one run under `path` (created when missing).

    The directory holds a run once its first epoch is checkpointed (`holds_run`); until
    then it holds at most the config.json of a start that failed, which a new start replaces.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.config_path = self.path / "config.json"
        self.last = self.path / "last.npz"
        self.best = self.path / "best.npz"
        self.metrics = self.path / "metrics.csv"
        self.trained = self.path / "trained.cir"
        self.curves = self.path / "curves.png"

    def holds_run(self) -> bool:
        """Whether an epoch of a run has been checkpointed here (last.npz exists)."""
        return self.last.exists()

    def refuse_overwrite(self) -> None:
        """CircuitError when the directory holds a run (`holds_run`)."""
        if self.holds_run():
            raise CircuitError(f"{self.path} already holds a run: pass --resume to continue it, "
                               "or choose another --out")

    def create(self, config: dict) -> None:
        """Start a new run: refuse to overwrite one (`refuse_overwrite`), write config.json:
        `config` (for `circuitnet train`: netlist, data, and settings, every field of the
        run's TrainingConfig by `to_dict`) plus the package versions and the command line.
        What a start that failed before its first epoch ended left is removed first."""
        self.refuse_overwrite()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CircuitError(f"cannot create run directory {self.path}: {error}") from None
        self._tidy()
        self._write_config({**config, "versions": package_versions(), "argv": sys.argv[1:]})

    def resume(self, config: dict) -> None:
        """Continue the run: config.json becomes `config` (read by `read_config`, with the
        settings the run now uses), this command line appended to its "resumed" list."""
        self._tidy()
        self._write_config({**config, "resumed": [*config.get("resumed", []), sys.argv[1:]]})

    def read_config(self) -> dict:
        """The config.json of an existing run (for --resume)."""
        try:
            return json.loads(self.config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"{self.path}: no config.json, nothing to resume") from None
        except (OSError, ValueError) as error:
            raise DataError(f"{self.config_path}: cannot read: {error}") from None

    def resume_point(self) -> Checkpoint | None:
        """The last checkpoint, or None when the run stopped before its first epoch ended."""
        return self.checkpoint("last") if self.holds_run() else None

    def checkpoint(self, which: str = "last") -> Checkpoint:
        """last.npz ("last": the latest epoch) or best.npz ("best"); DataError naming the file
        and what to do when it is missing or damaged."""
        if which not in ("last", "best"):
            raise CircuitError(f"which checkpoint: 'last' or 'best', got {which!r}")
        path, other = (self.last, self.best) if which == "last" else (self.best, self.last)
        if not path.is_file():
            raise DataError(f"{self.path}: no {path.name}: not a training run directory, or no epoch finished yet")
        try:
            return load_checkpoint(path)
        except DataError as error:
            if not other.is_file():
                instead = ""
            elif which == "last":
                instead = (f"to continue from the best epoch, copy {self.best} over it (then --resume), or export "
                           f"that epoch with `circuitnet export {self.path} --best`; else ")
            else:
                instead = f"export the latest epoch with `circuitnet export {self.path}` (without --best); else "
            raise DataError(f"{error}. The file is damaged (a copy cut short, a full disk?): {instead}train again "
                            "into another --out") from None

    def save_epoch(self, trainer: Trainer, netlist: str, source_file: str) -> bool:
        """After an epoch: best.npz when the test (else train) error is the best so far, then
        last.npz, then metrics.csv (last.npz's history). Returns whether this epoch is the
        best. In this order a kill between two writes leaves best.npz never older than the
        best epoch of last.npz and metrics.csv (a resumed run redoes the epoch that was cut)."""
        state = trainer.state()
        is_best = best_record(trainer.history_) is trainer.history_[-1]
        if is_best:
            save_checkpoint(self.best, state, netlist, source_file)
        save_checkpoint(self.last, state, netlist, source_file)
        rows = [METRICS_HEADER] + [f"{r.epoch},{r.train_loss:.9g},{r.train_error:.9g},{r.test_error:.9g},"
                                   f"{r.seconds:.6g}" for r in trainer.history_]
        _write_atomic(self.metrics, "\n".join(rows) + "\n")
        return is_best

    def finish(self, trained_netlist: str, history: list[EpochRecord]) -> None:
        """Write trained.cir and curves.png."""
        _write_atomic(self.trained, trained_netlist)
        with atomic_writer(self.curves) as handle:
            plot_curves(history, handle)

    def _tidy(self) -> None:
        """Remove the temporaries a killed write left, and, in a directory with the config.json
        of a start that failed before its first epoch ended, what that start wrote after it."""
        for path in (self.config_path, self.last, self.best, self.metrics, self.trained, self.curves):
            remove_temporaries(path)
        if self.config_path.exists() and not self.holds_run():
            for path in (self.best, self.metrics, self.trained, self.curves):
                path.unlink(missing_ok=True)

    def _write_config(self, config: dict) -> None:
        _write_atomic(self.config_path, json.dumps(config, indent=2) + "\n")


def best_record(history: list[EpochRecord]) -> EpochRecord:
    """The epoch best.npz holds: the lowest test error (train error where there is no test
    set), the latest of equal ones (a tie rewrites best.npz)."""
    return min(reversed(history), key=_selection_error)


def _selection_error(record: EpochRecord) -> float:
    return record.train_error if record.test_error != record.test_error else record.test_error


def _write_atomic(path: Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text.encode("utf-8"))


def plot_curves(history: list[EpochRecord], file: str | os.PathLike | BinaryIO) -> None:
    """Write `curves_figure(history)` as a PNG to `file` (a path or a binary file)."""
    curves_figure(history).savefig(file, format="png", dpi=100)


def curves_figure(history: list[EpochRecord]) -> "Figure":
    """Training loss (left) and train/test error (right, percent, on a log axis where an
    error of 0 is drawn at half the smallest other one, the axis's floor) per epoch, with
    the epoch best.npz holds marked on both (matplotlib's object API: no pyplot state)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    epochs = [r.epoch for r in history]
    best = best_record(history)
    errors = {"train": [100 * r.train_error for r in history], "test": [100 * r.test_error for r in history]}
    if all(e != e for e in errors["test"]):
        del errors["test"]  # no test set
    floor = min((e for curve in errors.values() for e in curve if e > 0), default=1.0) / 2
    fig = Figure(figsize=(9, 3.5), layout="tight")
    left, right = fig.subplots(1, 2)
    left.plot(epochs, [r.train_loss for r in history], marker="o")
    left.set(xlabel="epoch", ylabel="training loss", title="loss 1/2 sum (v_o - y_o)^2")
    for label, curve in errors.items():
        right.plot(epochs, [e if e != 0 else floor for e in curve], marker="o", label=label)
    zero = any(e == 0 for curve in errors.values() for e in curve)
    right.set(xlabel="epoch", ylabel="error (%)", yscale="log",
              title="classification error" + (f" (0 % drawn at {floor:.2g} %)" if zero else ""))
    right.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))  # 10, not 10^1
    right.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value:g}" if f"{value:e}"[0] in "25" else ""))
    for axes in (left, right):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.axvline(best.epoch, color="grey", linestyle="--", linewidth=1,
                     label=f"best.npz: epoch {best.epoch}, {100 * _selection_error(best):.3g} %")
    right.legend()
    return fig

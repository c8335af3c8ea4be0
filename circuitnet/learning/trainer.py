"""`Trainer`: the one training loop shared by the registered algorithms, scikit-learn style."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..datasets import Dataset
from ..errors import DataError
from ..model.circuit import Circuit
from .algorithms import get_algorithm
from .config import TrainingConfig
from .layered_rule import LayeredRule
from .optimizer import SGD, per_layer
from .parameters import Parameters, circuit_with
from .rule import Pins
from .simulator import Simulator, SolverSettings
from .updater import Updater

#: Examples per solve when predicting.
EVAL_BATCH = 1024
#: Batches up to this size train with one BLAS thread (blas_threads="auto").
SERIAL_BATCH = 32


@dataclass
class EpochRecord:
    """One row of the training history (metrics.csv)."""

    epoch: int
    train_loss: float
    train_error: float
    test_error: float
    seconds: float


class Trainer:
    """Trains a circuit's conductances and biases with a registered algorithm (docs/design.md section 4).

    circuit: the network, with `*@ input`, `*@ output`, `*@ trainable` and `*@ bounds`.
    config: the settings (`TrainingConfig`; None: its defaults, those that learn).
    overrides: TrainingConfig fields to change, e.g. `Trainer(circuit, beta=0.1, epochs=5)`;
        an unknown name raises CircuitValidationError listing the valid ones.

    `config` holds the settings used; `algorithm` the registered `Learner`;
    `blas_threads` the BLAS threads of training steps: config.blas_threads, where "auto"
    means 1 for batches of at most SERIAL_BATCH examples (whose skinny products lose more
    to thread hand-offs than they gain) and 1 on machines of at most 2 cores (where
    numpy's and scipy's two OpenBLAS pools spin against each other: measured 5x to 25x
    slower steps at batch 128), else None (the library's default). Evaluation keeps the
    default.

    After `fit`: `params_` (Parameters), `conductances_` (siemens), `biases_` (amperes),
    `history_` (list of EpochRecord).
    """

    def __init__(self, circuit: Circuit, config: TrainingConfig | None = None, **overrides: Any):
        self.config = c = (TrainingConfig() if config is None else config).with_overrides(**overrides)
        self.circuit = circuit
        self.algorithm = get_algorithm(c.algorithm)
        self.blas_threads = _blas_threads(c.blas_threads, c.batch_size)
        self.simulator = Simulator(circuit, SolverSettings(c.solver, c.sweeps, c.tol, c.dtype))
        self.params_ = Parameters.from_circuit(circuit)
        layers_g, layers_b = self.params_.layers(circuit)
        self.optimizer_ = SGD(per_layer(c.lr, layers_g, "weight"),
                              per_layer(c.lr if c.bias_lr is None else c.bias_lr, layers_b, "bias"),
                              circuit.bounds, c.lr_decay, c.momentum if self.algorithm.momentum else 0.0)
        self.pins = Pins.of(circuit, self.params_, self.simulator.nodes)
        compiled = self.simulator.bind(self.params_)
        #: the layered fast rule, or None (per-resistor rule)
        self.fast_rule_ = (LayeredRule.of(compiled, len(self.params_.resistors))
                           if compiled is not None and c.rule == "auto" else None)
        #: how steps reach the parameters (per-resistor or rank-batch)
        self.updater_ = Updater(self.simulator, self.params_, self.pins, self.fast_rule_, self.optimizer_)
        self.history_: list[EpochRecord] = []

    @property
    def conductances_(self) -> np.ndarray:
        """Trained conductances, siemens, in `params_.resistors` order."""
        return self.params_.conductances

    @property
    def biases_(self) -> np.ndarray:
        """Trained bias currents, amperes, in `params_.sources` order."""
        return self.params_.biases

    @property
    def n_outputs(self) -> int:
        """Number of output nodes (classes)."""
        return len(self.circuit.outputs)

    def fit(self, x: np.ndarray | Dataset, y: np.ndarray | None = None, *, x_test: np.ndarray | None = None,
            y_test: np.ndarray | None = None,
            on_epoch: Callable[["Trainer", EpochRecord], None] | None = None) -> "Trainer":
        """Train for the remaining epochs (all of them, or those after a loaded state).

        x: features (n, n_features) in [0, 1], or a Dataset (then its test split is used);
        y: integer labels (n,). on_epoch: called after every epoch (checkpointing).
        """
        if isinstance(x, Dataset):
            x, y, x_test, y_test = x.x_train, x.y_train, x.x_test, x.y_test
        x, y = self._check_data(x, y, "training")
        if x_test is not None:
            x_test, y_test = self._check_data(x_test, y_test, "test")
        for epoch in range(len(self.history_), self.config.epochs):
            start = time.perf_counter()
            with _blas_limit(self.blas_threads):
                loss, error = self._train_epoch(x, y, epoch)
            test_error = self.evaluate(x_test, y_test)[1] if x_test is not None else float("nan")
            record = EpochRecord(epoch + 1, loss, error, test_error, time.perf_counter() - start)
            self.history_.append(record)
            if on_epoch is not None:
                on_epoch(self, record)
        self.simulator.set_parameters(self.params_)
        return self

    def _train_epoch(self, x: np.ndarray, y: np.ndarray, epoch: int) -> tuple[float, float]:
        c = self.config
        order = np.random.default_rng([c.seed, epoch]).permutation(len(x))
        batches = [order[k:k + c.batch_size] for k in range(0, len(x), c.batch_size)]
        total_loss = total_wrong = seen = 0
        with _progress(len(batches), f"epoch {epoch + 1}/{c.epochs}", c.progress) as bar:
            for batch in batches:
                loss, wrong = self._step(x[batch], y[batch], epoch)
                total_loss, total_wrong, seen = total_loss + loss, total_wrong + wrong, seen + len(batch)
                bar.set_postfix(loss=f"{total_loss / seen:.4f}", error=f"{total_wrong / seen:.2%}", refresh=False)
                bar.update()
        return total_loss / seen, total_wrong / seen

    def _step(self, x: np.ndarray, labels: np.ndarray, epoch: int) -> tuple[float, int]:
        """One mini-batch update; returns the batch's summed loss and number of errors."""
        targets = self.targets(labels)
        out = self.update(x, targets, epoch)
        loss = 0.5 * float(np.sum((out - targets) ** 2))
        return loss, int(np.sum(self.classify(out) != labels))

    def update(self, x: np.ndarray, targets: np.ndarray, epoch: int) -> np.ndarray:
        """One training update for inputs x (batch, n_features) and target voltages (batch,
        n_outputs) at `epoch` (0-based: its learning rates); returns the free state's output
        voltages before the update (batch, n_outputs)."""
        self.simulator.set_parameters(self.params_)
        free = self.simulator.free(x)
        out = self.simulator.outputs(free)
        self.algorithm.step(self.updater_, x, targets, free, self.config, epoch)
        return out

    @property
    def n_classes(self) -> int:
        """Number of classes (see `class_count`)."""
        return class_count(self.n_outputs)

    def targets(self, labels: np.ndarray) -> np.ndarray:
        """Target voltages (batch, n_outputs) of integer labels (see `target_voltages`)."""
        return target_voltages(labels, self.n_outputs)

    def classify(self, outputs: np.ndarray) -> np.ndarray:
        """Classes from output voltages: argmax, or v > 0.5 V with a single output."""
        if self.n_outputs == 1:
            return (outputs[:, 0] > 0.5).astype(np.int64)
        return np.argmax(outputs, axis=1)

    def outputs(self, x: np.ndarray) -> np.ndarray:
        """Output voltages of the free state for inputs x (n, n_features), in batches."""
        x = self._check_features(x)
        self.simulator.set_parameters(self.params_)
        return np.concatenate([self.simulator.outputs(self.simulator.free(x[k:k + EVAL_BATCH]))
                               for k in range(0, len(x), EVAL_BATCH)])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted classes (see `classify`), shape (n,)."""
        return self.classify(self.outputs(x))

    def score(self, x: np.ndarray, y: np.ndarray) -> float:
        """Accuracy on (x, y)."""
        return 1.0 - self.evaluate(x, y)[1]

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """Mean loss 1/2 sum_o (v_o - y_o)^2 and error rate on (x, y)."""
        x, y = self._check_data(x, y, "evaluation")
        out = self.outputs(x)
        loss = 0.5 * float(np.mean(np.sum((out - self.targets(y)) ** 2, axis=1)))
        return loss, float(np.mean(self.classify(out) != y))

    def trained_circuit(self) -> Circuit:
        """A copy of the circuit carrying the trained conductances and biases."""
        return circuit_with(self.circuit, self.params_)

    def state(self) -> dict[str, np.ndarray]:
        """Everything needed to continue training: parameters, optimizer state, history."""
        history = np.array([[r.epoch, r.train_loss, r.train_error, r.test_error, r.seconds]
                            for r in self.history_], dtype=float).reshape(-1, 5)
        return {"conductances": self.params_.conductances.copy(), "biases": self.params_.biases.copy(),
                "resistors": np.array(self.params_.resistors, dtype=str),
                "sources": np.array(self.params_.sources, dtype=str),
                "epoch": np.array(len(self.history_)), "history": history, **self.optimizer_.state()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Continue from a `state()` (the element names must match this circuit's)."""
        missing = sorted(set(self.state()) - set(state))
        if missing:
            raise DataError(f"the checkpoint lacks {', '.join(missing)}: it was not written by a Trainer's state()")
        if list(state["resistors"]) != self.params_.resistors or list(state["sources"]) != self.params_.sources:
            raise DataError("the checkpoint's trainable elements do not match the circuit's")
        with self.simulator.editing(self.params_):
            self.params_.conductances[:] = state["conductances"]
        self.params_.biases[:] = state["biases"]
        self.optimizer_.load_state(state)
        self.history_ = [EpochRecord(int(r[0]), *map(float, r[1:])) for r in np.asarray(state["history"])]

    def _check_features(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        n = self.simulator.n_features
        if x.ndim != 2 or x.shape[1] != n:
            raise DataError(f"the data have shape {x.shape}, but {self.circuit.source_file} takes "
                            f"{n} features ('*@ input'): expected (n, {n})")
        if not np.all(np.isfinite(x)):
            raise DataError("the features contain NaN or infinite values")
        return x

    def _check_data(self, x: np.ndarray, y: np.ndarray | None, what: str) -> tuple[np.ndarray, np.ndarray]:
        x = self._check_features(x)
        if y is None:
            raise DataError(f"no {what} labels given")
        y = np.asarray(y)
        if y.shape != (len(x),):
            raise DataError(f"{what} labels have shape {y.shape}, expected ({len(x)},)")
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                raise DataError(f"{what} labels must be integers")
            y = y.astype(np.int64)
        if y.size and (y.min() < 0 or y.max() >= self.n_classes):
            raise DataError(f"{what} labels range over {y.min()}..{y.max()}, but the circuit's "
                            f"{self.n_outputs} output(s) ('*@ output') take labels 0..{self.n_classes - 1}")
        return x, y


def class_count(n_outputs: int) -> int:
    """Number of classes a network with `n_outputs` outputs tells apart: one per output, or
    two for a single output (a binary classifier)."""
    return max(n_outputs, 2)


def target_voltages(labels: np.ndarray, n_outputs: int) -> np.ndarray:
    """Target voltages (batch, n_outputs), volts, of integer labels (batch,): one-hot (1 V for
    the label's output, 0 V elsewhere); with a single output, the label itself (0 V or 1 V)."""
    if n_outputs == 1:
        return np.asarray(labels)[:, None].astype(float)
    return np.eye(n_outputs)[labels]


def _blas_limit(threads: int | None):
    """A context limiting the BLAS thread pools (numpy's and scipy's) to `threads` (None: no change)."""
    import contextlib

    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=int(threads), user_api="blas")


def _blas_threads(setting: int | str | None, batch_size: int) -> int | None:
    """The BLAS threads of training steps for a config's `blas_threads` (see `Trainer`)."""
    if setting != "auto":
        return setting
    return 1 if batch_size <= SERIAL_BATCH or (os.cpu_count() or 1) <= 2 else None


def _progress(total: int, description: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=description, disable=not enabled, leave=False, unit="batch")

"""`Learner`: what an entry of the algorithm registry is (`algorithms.ALGORITHMS`).

Every entry turns one mini-batch into a parameter update through an `Updater`
(`updater.py`): the contrast algorithms (EP, CL, CpL; `algorithms.Algorithm`) compare two
states and hand the contrast to the optimizer; the physical procedures (`agnostic.py`,
`continual.py`) change the parameters themselves, as the circuit and its devices relax.
The trainer, the command line and the gradient check read only this interface.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from numbers import Real
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..errors import CircuitValidationError

if TYPE_CHECKING:
    from .config import TrainingConfig
    from .contrast import Contrast
    from .simulator import Simulator
    from .updater import Updater


def positive_beta(beta: float) -> float:
    """beta as a float when it is a finite positive number; CircuitValidationError otherwise."""
    if isinstance(beta, bool) or not (isinstance(beta, Real) and 0 < beta < math.inf):
        raise CircuitValidationError(f"beta must be positive, got {beta!r}")
    return float(beta)


class Learner(ABC):
    """One registry entry. Subclasses define `name` and `description` (one line, for the
    command's help), `contrast` and `step`.

    modes: the choices of `TrainingConfig.mode`, the default first (empty: the entry has no
        modes, and mode must stay None).
    options: the TrainingConfig fields of `config.ALGORITHM_OPTIONS` it reads (the others
        must keep their defaults).
    momentum: whether `TrainingConfig.momentum` means anything to it (heavy-ball momentum
        on a gradient estimate); where it does not, the trainer runs without it.
    """

    name: str
    description: str
    modes: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[frozenset[str]] = frozenset()
    momentum: ClassVar[bool] = True

    def strength(self, beta: float) -> float:
        """The beta its states use (siemens); CircuitValidationError unless beta > 0."""
        return positive_beta(beta)

    def check(self, config: TrainingConfig) -> None:
        """Raise CircuitValidationError for settings it cannot run with (beyond the config's
        own checks)."""

    def mode(self, config: TrainingConfig) -> str | None:
        """The mode it runs in: config.mode, or the default (the first of `modes`)."""
        return config.mode if config.mode is not None else (self.modes[0] if self.modes else None)

    @abstractmethod
    def contrast(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray, beta: float,
                 mode: str | None = None) -> Contrast:
        """The two states its step compares at the current parameters, and the divisor: a
        contrast algorithm's estimate; for a physical procedure, what its update estimates as
        the learning rate goes to 0. mode: one of `modes` (None: the default)."""

    @abstractmethod
    def step(self, updater: Updater, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
             config: TrainingConfig, epoch: int) -> None:
        """Update the parameters for inputs x (batch, n_features), targets (batch, n_outputs),
        volts, given the free state (batch, n_nodes) at the current parameters."""

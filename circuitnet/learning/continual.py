"""Continual EP (C-EP; Ernoult, Grollier, Querlioz, Bengio and Scellier 2020): the
conductances move while the circuit relaxes, each with its own voltage drop.

From the free state, the outputs are nudged with beta and the circuit relaxes one sweep
at a time (`Simulator.relaxation`); after every sweep t, every trainable conductance k
moves with the change of its own drop dv_k, and every bias with its own voltage:

    g_k <- clip(g_k - (eta / beta) 1/2 (dv_k(t+1)^2 - dv_k(t)^2), gmin, gmax)
    b   <- b - (eta / beta) (dE/db(t+1) - dE/db(t))

(batch-averaged), the plain SGD step on the contrast (state t+1, state t, beta): the
summed change telescopes to -eta (dE/dtheta(nudged) - dE/dtheta(free)) / beta, positive
EP's update, as eta -> 0 (its error grows like eta / beta: the states move with the
conductances). The negative mode nudges with -beta and divides by -beta (negative EP's
limit). eta is the learning rate (per layer, decaying), so `lr` means what it means for
pep and nep; momentum has no meaning (the weights change within the relaxation) and the
trainer runs without it. Fixed-sweep mode runs `sweeps` sweeps, tolerance mode sweeps
until the state settles; the cd solver only. On a layered network each sweep's change
is one rank-batch update in place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import CircuitValidationError
from .contrast import Contrast
from .learner import Learner

if TYPE_CHECKING:
    from .config import TrainingConfig
    from .simulator import Simulator
    from .updater import Updater

#: mode -> sign of the nudge; the first is the default
MODES = {"positive": 1.0, "negative": -1.0}


@dataclass(frozen=True)
class ContinualEP(Learner):
    """Continual EP as a registry entry (see the module docstring)."""

    name: str = "continual-ep"
    description: str = ("continual EP: conductances move after every sweep of the nudged relaxation "
                        "(--mode positive|negative)")
    modes = tuple(MODES)
    momentum = False

    def check(self, config: TrainingConfig) -> None:
        """The cd solver only: the parameters change between sweeps."""
        if config.solver != "cd":
            raise CircuitValidationError(f"continual-ep changes the parameters after every sweep: it needs "
                                         f"solver 'cd', got {config.solver!r}")

    def contrast(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray, beta: float,
                 mode: str | None = None) -> Contrast:
        """What the summed changes tend to as eta -> 0: (nudged by +beta, free, beta), or
        negative (free, nudged by -beta, beta)."""
        sign = MODES[mode or self.modes[0]]
        return _signed(sim.nudged(x, sign * beta, targets, warm=free), free, beta, sign)

    def step(self, updater: Updater, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
             config: TrainingConfig, epoch: int) -> None:
        """The nudged relaxation, with a plain SGD step on (state t+1, state t) after each sweep."""
        sign = MODES[self.mode(config)]
        state = free
        for new in updater.simulator.relaxation(x, sign * config.beta, targets, warm=free):
            updater.apply(_signed(new, state, config.beta, sign), epoch)
            updater.sync()
            state = new


def _signed(later: np.ndarray, earlier: np.ndarray, beta: float, sign: float) -> Contrast:
    """The contrast whose estimate is (dE(later) - dE(earlier)) / (sign beta)."""
    return Contrast(later, earlier, beta) if sign > 0 else Contrast(earlier, later, beta)

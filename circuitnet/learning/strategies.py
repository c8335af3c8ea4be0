"""Nudging strategies: how the seven algorithms of DESIGN section 4 produce their contrast states.

Every algorithm compares two states, `upper` and `lower`, and divides by `scale`:

    grad = (dE/dtheta(upper) - dE/dtheta(lower)) / scale

| algorithm | second state | upper | lower | scale |
|---|---|---|---|---|
| pep  | outputs nudged by conductance +beta to the targets | s(+beta) | s(0) | beta |
| nep  | nudged by -beta | s(0) | s(-beta) | beta |
| cep  | both | s(+beta) | s(-beta) | 2 beta |
| cl   | outputs clamped to the targets | clamped | s(0) | 1 |
| pcpl | outputs clamped to v_o + eta (y_o - v_o), eta = beta | s(+eta) | s(0) | eta |
| ncpl | clamped to v_o - eta (y_o - v_o) | s(0) | s(-eta) | eta |
| ccpl | both | s(+eta) | s(-eta) | 2 eta |

Contrastive learning is coupled learning with eta = 1 (the clamp then sits at the target).
Second states are warm-started from the free state.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import CircuitValidationError
from .simulator import Simulator

#: algorithm -> (mode, direction): mode "nudge" (EP) or "clamp" (CL, CpL); direction
#: +1 (positive), -1 (negative) or 0 (centered).
ALGORITHMS = {
    "pep": ("nudge", 1), "nep": ("nudge", -1), "cep": ("nudge", 0),
    "cl": ("clamp", 1),
    "pcpl": ("clamp", 1), "ncpl": ("clamp", -1), "ccpl": ("clamp", 0),
}


@dataclass
class Contrast:
    """The two states an update compares, node voltages (batch, n_nodes), and the divisor."""

    upper: np.ndarray
    lower: np.ndarray
    scale: float


@dataclass
class Strategy:
    """One of the seven algorithms.

    mode: "nudge" (beta is a conductance, siemens) or "clamp" (beta is the coupling eta, in (0, 1]).
    direction: +1, -1 or 0 (centered: both signs).
    beta: the nudging strength.
    """

    mode: str
    direction: int
    beta: float

    def contrast(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray) -> Contrast:
        """The contrast states for inputs x, targets (batch, n_outputs) and the free state."""
        if self.direction == 0 and self.mode == "nudge":
            return Contrast(*sim.nudged_both_ways(x, self.beta, targets, warm=free), 2.0 * self.beta)
        if self.direction == 0:
            return Contrast(self._state(sim, x, targets, free, 1.0), self._state(sim, x, targets, free, -1.0),
                            2.0 * self.beta)
        second = self._state(sim, x, targets, free, float(self.direction))
        if self.direction > 0:
            return Contrast(second, free, self.beta)
        return Contrast(free, second, self.beta)

    def _state(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
               sign: float) -> np.ndarray:
        if self.mode == "nudge":
            return sim.nudged(x, sign * self.beta, targets, warm=free)
        v_out = sim.outputs(free)
        return sim.clamped(x, v_out + sign * self.beta * (targets - v_out), warm=free)


def make_strategy(algorithm: str, beta: float) -> Strategy:
    """The strategy of `algorithm` (see ALGORITHMS); `beta` is ignored by "cl" (eta = 1)."""
    if algorithm not in ALGORITHMS:
        raise CircuitValidationError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    mode, direction = ALGORITHMS[algorithm]
    if algorithm == "cl":
        beta = 1.0
    if not beta > 0:
        raise CircuitValidationError(f"beta must be positive, got {beta}")
    if mode == "clamp" and beta > 1:
        raise CircuitValidationError(f"coupled learning needs 0 < eta <= 1 (given as beta), got {beta}")
    return Strategy(mode, direction, float(beta))

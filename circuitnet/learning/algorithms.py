"""The registry of learning algorithms (docs/design.md section 4.2): one `Learner` per entry.

The contrast algorithms are `Algorithm` entries. Such an algorithm compares two states, `upper` and `lower`, each the free state or a second
state (a `Phase`) computed from it, and divides by `divisor * beta`:

    grad = (dE/dtheta(upper) - dE/dtheta(lower)) / (divisor * beta)

| algorithm | upper | lower | divisor |
|---|---|---|---|
| pep  | outputs nudged by conductance +beta towards the targets | free | 1 |
| nep  | free | nudged by -beta | 1 |
| cep  | nudged by +beta | nudged by -beta | 2 |
| cl   | outputs clamped to the targets | free | 1 (no beta: it counts as 1) |
| pcpl | outputs clamped to v_o + eta (y_o - v_o), eta = beta | free | 1 |
| ncpl | free | clamped to v_o - eta (y_o - v_o) | 1 |
| ccpl | clamped with +eta | clamped with -eta | 2 |

v_o: the free state's output voltages; y_o: the targets. Contrastive learning is coupled
learning with eta = 1. Second states are warm-started from the free state; when an
algorithm needs both nudged states they come from one `Simulator.nudged_both_ways` call.

To add an algorithm, add one `Algorithm` to `ALGORITHMS`; a new kind of second state is
one more `Phase` subclass. The physical procedures, whose parameters relax with the
circuit instead of following a contrast, are `Learner`s of their own: agnostic EP
(`agnostic.AgnosticEP`) and continual EP (`continual.ContinualEP`).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import CircuitValidationError
from .agnostic import AgnosticEP
from .continual import ContinualEP
from .contrast import Contrast
from .learner import Learner, positive_beta

if TYPE_CHECKING:
    from .config import TrainingConfig
    from .simulator import Simulator
    from .updater import Updater


class Phase(ABC):
    """A state an algorithm compares: computed from the free state (batch, n_nodes), volts,
    for inputs x (batch, n_features) and targets (batch, n_outputs), volts.

    Subclasses are frozen dataclasses (hashable: an algorithm's phases are solved once each).
    `uses_beta`: whether the state depends on beta (otherwise the algorithm's divisor is
    taken with beta = 1).
    """

    uses_beta = True

    def check(self, beta: float) -> None:
        """Raise CircuitValidationError when this phase cannot use `beta` (already > 0)."""

    @abstractmethod
    def state(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
              beta: float) -> np.ndarray:
        """The phase's node voltages, volts, shape (batch, n_nodes)."""


@dataclass(frozen=True)
class Free(Phase):
    """The free state itself."""

    uses_beta = False

    def state(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
              beta: float) -> np.ndarray:
        """The free state, unchanged."""
        return free


@dataclass(frozen=True)
class Nudged(Phase):
    """Outputs nudged towards the targets by a conductance sign * beta, siemens (EP)."""

    sign: float

    def state(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
              beta: float) -> np.ndarray:
        """`Simulator.nudged` with sign * beta."""
        return sim.nudged(x, self.sign * beta, targets, warm=free)


@dataclass(frozen=True)
class Coupled(Phase):
    """Outputs clamped to v_o + sign * eta (y_o - v_o), eta = beta in (0, 1] (coupled learning)."""

    sign: float

    def check(self, beta: float) -> None:
        """eta must be at most 1."""
        if beta > 1:
            raise CircuitValidationError(f"coupled learning needs 0 < eta <= 1 (given as beta), got {beta}")

    def state(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
              beta: float) -> np.ndarray:
        """`Simulator.clamped` to the coupled values."""
        v_out = sim.outputs(free)
        return sim.clamped(x, v_out + self.sign * beta * (targets - v_out), warm=free)


@dataclass(frozen=True)
class ClampedToTargets(Phase):
    """Outputs clamped to the targets (contrastive learning)."""

    uses_beta = False

    def state(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
              beta: float) -> np.ndarray:
        """`Simulator.clamped` to the targets."""
        return sim.clamped(x, targets, warm=free)


FREE = Free()
NUDGED_UP, NUDGED_DOWN = Nudged(+1.0), Nudged(-1.0)


@dataclass(frozen=True)
class Algorithm(Learner):
    """One contrast algorithm: its contrast is (upper, lower, divisor * beta).

    name: the registry key (`--algorithm`); description: one line for the command's help.
    upper, lower: the states compared, FREE or a second state.
    divisor: the contrast's divisor as a multiple of beta (beta = 1 when no phase uses it).
    """

    name: str
    description: str
    upper: Phase
    lower: Phase
    divisor: float

    def __post_init__(self):
        if self.upper == self.lower:
            raise CircuitValidationError(f"algorithm {self.name!r} compares a state with itself")
        if not self.divisor > 0:
            raise CircuitValidationError(f"algorithm {self.name!r}: the divisor must be positive, got {self.divisor}")

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The second states it needs (those besides the free state), upper first."""
        return tuple(p for p in (self.upper, self.lower) if p != FREE)

    def strength(self, beta: float) -> float:
        """The beta its phases use: `beta` (siemens for EP, eta for CpL) once every phase
        accepts it, or 1.0 when none depends on it. CircuitValidationError otherwise."""
        beta = positive_beta(beta)
        for phase in self.phases:
            phase.check(beta)
        return float(beta) if any(p.uses_beta for p in self.phases) else 1.0

    def contrast(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
                 beta: float, mode: str | None = None) -> Contrast:
        """The contrast for inputs x (batch, n_features), targets (batch, n_outputs), volts,
        and the free state (batch, n_nodes) at the simulator's current parameters (mode:
        None, a contrast algorithm has no modes)."""
        beta = self.strength(beta)
        states = {FREE: free}
        if NUDGED_UP in self.phases and NUDGED_DOWN in self.phases:
            states[NUDGED_UP], states[NUDGED_DOWN] = sim.nudged_both_ways(x, beta, targets, warm=free)
        for phase in self.phases:
            if phase not in states:
                states[phase] = phase.state(sim, x, targets, free, beta)
        return Contrast(states[self.upper], states[self.lower], self.divisor * beta)

    def step(self, updater: Updater, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
             config: TrainingConfig, epoch: int) -> None:
        """The optimizer's step on the contrast's gradient estimate (`Updater.apply`)."""
        updater.apply(self.contrast(updater.simulator, x, targets, free, config.beta), epoch)


#: name -> algorithm (the order of `--algorithm`'s choices and of the gradcheck table).
ALGORITHMS: dict[str, Learner] = {a.name: a for a in (
    Algorithm("pep", "positive EP: nudged by +beta against the free state, over beta", NUDGED_UP, FREE, 1.0),
    Algorithm("nep", "negative EP: the free state against nudged by -beta, over beta", FREE, NUDGED_DOWN, 1.0),
    Algorithm("cep", "centered EP: nudged by +beta against nudged by -beta, over 2 beta",
              NUDGED_UP, NUDGED_DOWN, 2.0),
    Algorithm("cl", "contrastive learning: outputs clamped to the targets against the free state",
              ClampedToTargets(), FREE, 1.0),
    Algorithm("pcpl", "positive coupled learning: clamped to v + eta (y - v) against free, over eta",
              Coupled(+1.0), FREE, 1.0),
    Algorithm("ncpl", "negative coupled learning: free against clamped to v - eta (y - v), over eta",
              FREE, Coupled(-1.0), 1.0),
    Algorithm("ccpl", "centered coupled learning: clamped with +eta against -eta, over 2 eta",
              Coupled(+1.0), Coupled(-1.0), 2.0),
    AgnosticEP(),
    ContinualEP(),
)}


def get_algorithm(name: str) -> Learner:
    """The registered algorithm `name`; CircuitValidationError naming the choices otherwise."""
    try:
        return ALGORITHMS[name]
    except (KeyError, TypeError):
        raise CircuitValidationError(f"unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}") from None

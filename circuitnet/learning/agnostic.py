"""Agnostic EP (AEqprop; Scellier, Mishra, Bengio and Ollivier 2022): the parameters relax too.

Every trainable parameter theta (a conductance, or a device's control variable with
g = f(theta), `devices.py`; and every bias current) is a physical degree of freedom with a
control knob u and an elastic coupling (theta - u)^2 / (2 eps), eps its learning rate.
One step, for a mini-batch (the energy derivatives averaged over it):

1. free state, beta = 0 (the trainer's);
2. homeostatic phase: nudge the outputs with beta1, relax, and set every knob so that
   theta rests where it is: u = theta + eps dE/dtheta (`homeostasis.py`: by the formula,
   or by an integral controller that reads only theta);
3. clamped phase: freeze the knobs, nudge with beta2, relax the circuit with theta fixed,
   then theta given the circuit: theta = argmin E(theta) + (theta - u)^2 / (2 eps), clipped
   to the device range; `rounds` (K) such alternations.

The theta that remains is the update: theta_new - theta0 ~ -eps (beta2 - beta1) dC/dtheta.
Later rounds relax the circuit at the new theta, which adds an error of order eps; they
converge (to the joint equilibrium of circuit and parameters) only while eps times the
curvature of the circuit's energy in theta is below 1: beyond, the joint energy is not
convex in theta, and theta runs to its range limit.

Modes (`--mode`), as (beta1, beta2): optimistic (0, +beta), pessimistic (-beta, 0),
centered (-beta/2, +beta/2), so beta2 - beta1 = beta in every mode. Centered EP (`cep`)
nudges by +-beta instead: centered agnostic EP at beta compares the states of cep at
beta/2. The learning rate keeps its meaning across the registry: eps = lr / beta, so that
the step is -lr times the estimate, as for the contrast algorithms; momentum has no
meaning here (the update is the relaxation itself, no gradient is accumulated) and the
trainer runs without it.

With a linear device, no hidden energy, one round and the knobs set by the formula, the
step is exactly theta0 + eps (dE/dtheta(s1) - dE/dtheta(s2)) clipped, with both states at
theta0: the contrast (s2, s1, beta) applied by plain SGD, which is how it runs then (on
a layered network, one rank-batch update in place; centered, the two states are one
stacked solve). Otherwise the knobs are formed explicitly, (n_R,) and (n_I,). Second
states are warm-started from the free state, each later round from the previous one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .contrast import Contrast
from .devices import BIAS_DEVICE, device_of
from .homeostasis import HOMEOSTASIS
from .learner import Learner

if TYPE_CHECKING:
    from .config import TrainingConfig
    from .simulator import Simulator
    from .updater import Updater

#: mode -> (beta1, beta2), multiples of beta; the first is the default
MODES = {"centered": (-0.5, 0.5), "optimistic": (0.0, 1.0), "pessimistic": (-1.0, 0.0)}


@dataclass(frozen=True)
class AgnosticEP(Learner):
    """Agnostic EP as a registry entry: `contrast` gives the homeostatic and the first clamped
    state, `step` the update (see the module docstring)."""

    name: str = "agnostic-ep"
    description: str = ("agnostic EP: parameters relax under knobs set in a homeostatic phase "
                        "(--mode centered: -beta/2 then +beta/2)")
    modes = tuple(MODES)
    options = frozenset({"rounds", "device", "device_scale", "device_energy", "homeostasis"})
    momentum = False

    def contrast(self, sim: Simulator, x: np.ndarray, targets: np.ndarray, free: np.ndarray, beta: float,
                 mode: str | None = None) -> Contrast:
        """(the clamped phase's first state, the homeostatic state, beta), both at the current
        parameters, warm-started from the free state (batch, n_nodes): nudged by beta2 and
        beta1 of `mode` (None: centered); centered, one `Simulator.nudged_both_ways`."""
        low, high = (share * beta for share in MODES[mode or self.modes[0]])
        if low == -high:
            up, down = sim.nudged_both_ways(x, high, targets, warm=free)
            return Contrast(up, down, beta)
        low_state, high_state = (free if b == 0 else sim.nudged(x, b, targets, warm=free) for b in (low, high))
        return Contrast(high_state, low_state, beta)

    def step(self, updater: Updater, x: np.ndarray, targets: np.ndarray, free: np.ndarray,
             config: TrainingConfig, epoch: int) -> None:
        """Homeostatic phase, then `config.rounds` alternations of the clamped phase."""
        sim, beta, mode = updater.simulator, config.beta, self.mode(config)
        contrast = self.contrast(sim, x, targets, free, beta, mode)
        if reduces_to_contrast(config):
            updater.apply(contrast, epoch)
            return
        homeostatic, clamped = contrast.lower, contrast.upper
        device = device_of(config)
        lr_g, lr_b = updater.rates(epoch)
        eps_g, eps_b = lr_g / beta, lr_b / beta
        lo, hi = device.range(updater.bounds)
        homeostasis = HOMEOSTASIS[config.homeostasis]
        slope_g, slope_b = updater.slopes(homeostatic)
        knobs_g = homeostasis(device, device.control(updater.params.conductances), slope_g, eps_g)
        knobs_b = homeostasis(BIAS_DEVICE, BIAS_DEVICE.control(updater.params.biases), slope_b, eps_b)
        state = clamped
        for k in range(config.rounds):
            if k:
                state = sim.nudged(x, MODES[mode][1] * beta, targets, warm=state)
            slope_g, slope_b = updater.slopes(state)
            conductances = device.conductance(np.clip(device.relax(knobs_g, slope_g, eps_g), lo, hi))
            biases = BIAS_DEVICE.relax(knobs_b, slope_b, eps_b)
            updater.assign(np.clip(conductances, updater.bounds.gmin, updater.bounds.gmax), biases, epoch)


def reduces_to_contrast(config: TrainingConfig) -> bool:
    """Whether the step is exactly the contrast (s2, s1, beta) by plain SGD (module docstring)."""
    return (config.device == "linear" and config.device_energy == 0 and config.rounds == 1
            and config.homeostasis == "formula")

"""Agnostic EP's homeostatic phase: the knobs u that hold every parameter where it is.

A parameter theta coupled to its knob u by (theta - u)^2 / (2 eps) rests where
dE/dtheta + (theta - u) / eps = 0, so the knob that holds it at theta0 for a circuit state
whose batch-mean dE/dg is D (`devices.py`) is

    u = theta0 + eps dE/dtheta = theta0 + eps (f'(theta0) D + k (theta0 - rest))

Two ways to set it, with the same signature (device, theta0, D, eps) -> u:

- `by_formula`: the formula above; it reads the device's f and hidden energy.
- `by_controller`: the agnostic way, an integral controller that runs with the device
  relaxation until both are stationary. Starting from u = theta0, the device relaxes
  under the knob (`Device.relax`, the physics), the controller reads theta and moves its
  knob by the error times its gain, u <- u + gain (theta0 - theta), and so on. The gain
  starts at 1 and follows the measured response: the last knob move over the last theta
  move (at least 1, and only where theta moved clearly above rounding). theta(u) rises
  with slope 1 / (1 + eps E''(theta)) in (0, 1] and is concave for the devices here (E''
  grows with theta), so from below the measured gain never overshoots: the knob rises to
  the formula's value superlinearly, settling (to rounding, SETTLED) without reading f or
  k. With gain 1 throughout, each round would shrink the error only by
  eps E'' / (1 + eps E''), slow for stiff devices.

The range stop of a device acts in the clamped phase only (`agnostic.py`), so a parameter
at its limit gets the knob that holds it there without the stop's help, as by the formula.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConvergenceError
from .devices import Device

#: the controller has settled when no theta is off by more than this times |theta0| + |u|
SETTLED = 64 * np.finfo(np.float64).eps
#: the controller measures its gain only from theta moves this many times SETTLED's floor
MEASURABLE = 1e3
#: the controller gives up (ConvergenceError) after this many rounds
MAX_ROUNDS = 1000


def by_formula(device: Device, theta: np.ndarray, slopes: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """The knobs u = theta + eps dE/dtheta (n,) for parameters theta, slopes D = dE/dg and
    couplings eps, each (n,)."""
    return theta + eps * device.slope(theta, slopes)


def by_controller(device: Device, theta: np.ndarray, slopes: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """The knobs (n,) an integral controller settles on while the devices relax under them,
    reading theta only (module docstring)."""
    knobs, gain = theta.copy(), np.ones_like(theta)
    relaxed = device.relax(knobs, slopes, eps)
    for _ in range(MAX_ROUNDS):
        error = theta - relaxed
        floor = SETTLED * (np.abs(theta) + np.abs(knobs))
        if np.all(np.abs(error) <= floor):
            return knobs
        move = gain * error
        knobs = knobs + move
        new = device.relax(knobs, slopes, eps)
        moved, relaxed = new - relaxed, new
        clear = np.abs(moved) > MEASURABLE * floor
        gain[clear] = np.maximum(move[clear] / moved[clear], 1.0)
    raise ConvergenceError(f"the homeostatic integral controller did not settle in {MAX_ROUNDS} rounds")


#: name -> method (`TrainingConfig.homeostasis`)
HOMEOSTASIS = {"formula": by_formula, "controller": by_controller}

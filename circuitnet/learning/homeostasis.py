"""Agnostic EP's homeostatic phase: the knobs u that hold every parameter where it is.

A parameter theta coupled to its knob u by (theta - u)^2 / (2 eps) rests where
dE/dtheta + (theta - u) / eps = 0, so the knob that holds it at theta for a circuit state
whose batch-mean dE/dg is D (`devices.py`) is

    u = theta + eps dE/dtheta = theta + eps (f'(theta) D + k (theta - rest))

`by_formula` sets it so, reading the device's f and hidden energy.
"""
from __future__ import annotations

import numpy as np

from .devices import Device


def by_formula(device: Device, theta: np.ndarray, slopes: np.ndarray, eps: np.ndarray, lo: float,
               hi: float) -> np.ndarray:
    """The knobs u = theta + eps dE/dtheta (n,) for parameters theta, slopes D = dE/dg and
    couplings eps, each (n,) (lo, hi: the device range, unused by the formula)."""
    return theta + eps * device.slope(theta, slopes)


#: name -> method (`TrainingConfig.homeostasis`)
HOMEOSTASIS = {"formula": by_formula}

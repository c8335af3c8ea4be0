"""`Contrast`: the two states a learning rule compares, and the divisor of their difference.

Every algorithm's gradient estimate is, per trainable parameter theta,

    dC/dtheta ~ mean over the batch of (dE/dtheta(upper) - dE/dtheta(lower)) / scale

(`rule.estimate_gradient`, `layered_rule.LayeredRule.gradients`); `algorithms` says which
states and which scale each algorithm uses. This module imports nothing from the solvers,
so the rules and the algorithms can both use it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Contrast:
    """upper, lower: node voltages, volts, shape (batch, n_nodes) in the simulator's node order;
    scale: the divisor (siemens for EP's nudging conductance, dimensionless for CL and CpL)."""

    upper: np.ndarray
    lower: np.ndarray
    scale: float

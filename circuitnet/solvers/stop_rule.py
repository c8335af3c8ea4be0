"""The one stop rule and over-relaxation policy of every cd sweep loop.

Both the numba kernel's loop (`kernels.relax`) and the dense blocks' loop (`blocks.py`)
call these functions (numba-compiled, callable from Python too), so the two kinds of
block decide alike when to stop and how much to over-relax.
"""
from __future__ import annotations

import math

from numba import njit

#: sweeps of plain Gauss-Seidel whose contraction rate sets the over-relaxation factor
PROBE_SWEEPS = 12
MAX_OMEGA = 1.95


@njit(cache=True)
def contraction_rate(change: float, previous: float, omega: float) -> float:
    """Observed contraction rate of a sweep whose largest change was `change` volts after
    one of `previous` volts; over-relaxed sweeps contract at about omega - 1 at least."""
    rate = min(change / previous, 0.999999) if previous > 0.0 else 0.0
    return max(rate, omega - 1.0)


@njit(cache=True)
def over_relaxation(sweep: int, rate: float, omega: float) -> float:
    """The factor for the sweeps after 0-based sweep number `sweep`: after PROBE_SWEEPS
    sweeps of Gauss-Seidel, Young's formula 2 / (1 + sqrt(1 - rate)), at most MAX_OMEGA."""
    if sweep == PROBE_SWEEPS and 0.0 < rate < 1.0:
        return min(2.0 / (1.0 + math.sqrt(1.0 - rate)), MAX_OMEGA)
    return omega


@njit(cache=True)
def settled(change: float, rate: float, tol: float) -> bool:
    """Whether a sweep's largest change and the distance to the fixed point it implies at
    the observed rate (change * rate / (1 - rate)) are both at most `tol` volts."""
    return change <= tol and change * rate / (1.0 - rate) <= tol

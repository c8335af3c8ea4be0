"""Numba kernel of the exponential device's relaxation (`devices.ExponentialDevice.relax`).

Per element, theta minimises g_ref exp(theta / s) D + k/2 theta^2 + (theta - u)^2 / (2 eps),
the root of phi(theta) = A exp(theta / s) + k theta + (theta - u) / eps with A = g_ref D / s
(phi' > 0: E is convex for D >= 0). Without the exponential term the root would be
t = u / (1 + eps k), so the root lies below t, where c(theta) = (u - (1 + eps k) theta) / eps
is positive and phi = 0 reads, in logarithms (no overflow, whatever u),

    psi(theta) = theta / s + ln A - ln c(theta) = 0,

psi increasing and convex, nearly linear where the exponential dominates. Newton's method
on psi inside the bracket (-inf, t): each evaluation narrows it by the sign of psi, and a
step that leaves it is replaced by bisection (finite then: a step can only leave it
upwards, from a finite lower end), until a step is below STEP_TOL (|theta| + s). D = 0 gives t; eps = 0 (a frozen layer) holds theta
at its knob.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

#: Newton stops when a step is below this times (|theta| + scale)
STEP_TOL = 4e-16
MAX_ITERATIONS = 200


@njit(cache=True)
def _root(u, d, eps, g_ref, scale, stiffness):
    """The minimiser for one element (see the module docstring)."""
    if eps == 0.0:  # a frozen parameter: held by its knob
        return u
    spring = 1.0 + eps * stiffness
    top = u / spring
    if d == 0.0:
        return top
    log_a = np.log(g_ref * d / scale)
    low, high = -np.inf, top
    x = top - scale
    for _ in range(MAX_ITERATIONS):
        c = (u - spring * x) / eps
        if c <= 0.0:  # the exponential term is below rounding: the root is t
            return top
        psi = x / scale + log_a - np.log(c)
        if psi == 0.0:
            return x
        if psi > 0.0:
            high = x
        else:
            low = x
        new = x - psi / (1.0 / scale + spring / (eps * c))
        if abs(new - x) <= STEP_TOL * (abs(new) + scale):
            return new
        x = new if low < new < high else 0.5 * (low + high)
    return x


@njit(parallel=True, cache=True)
def _relax(u, d, eps, g_ref, scale, stiffness, out):
    for n in prange(u.shape[0]):
        out[n] = _root(u[n], d[n], eps[n], g_ref, scale, stiffness)


def relax_exponential(knobs: np.ndarray, slopes: np.ndarray, eps: np.ndarray, g_ref: float, scale: float,
                      stiffness: float) -> np.ndarray:
    """The minimiser theta (n,) for knobs u, slopes D >= 0 (square volts) and couplings
    eps >= 0, each (n,); g_ref siemens, scale > 0 and stiffness k >= 0 (rest at theta = 0)."""
    u, d = np.ascontiguousarray(knobs, dtype=np.float64), np.ascontiguousarray(slopes, dtype=np.float64)
    eps = np.ascontiguousarray(np.broadcast_to(eps, u.shape), dtype=np.float64)
    out = np.empty_like(u)
    _relax(u, d, eps, float(g_ref), float(scale), float(stiffness), out)
    return out

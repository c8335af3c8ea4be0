"""The local learning rule: energy derivatives of each trainable element from node voltages.

With E = 1/2 sum_k g_k dv_k^2 - sum_n J_n v_n (docs/design.md section 2.1):

- resistor k between nodes a and b: dE/dg_k = 1/2 (v_a - v_b)^2;
- current source `I p m b` (b amperes from p through the source into m):
  dE/db = v_p - v_m, i.e. -v_j for a bias `I 0 j b` that injects b into node j.

A gradient estimate is the batch mean of (dE(upper) - dE(lower)) / scale (see `contrast`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model.circuit import GROUND, Circuit
from .contrast import Contrast
from .parameters import Parameters


@dataclass
class Pins:
    """Column indices of the trainable elements' pins in a state array with ground appended.

    resistor_a, resistor_b: shape (n_R,); source_plus, source_minus: shape (n_I,);
    ground maps to the last column (index n_nodes), which holds zeros.
    """

    resistor_a: np.ndarray
    resistor_b: np.ndarray
    source_plus: np.ndarray
    source_minus: np.ndarray

    @classmethod
    def of(cls, circuit: Circuit, params: Parameters, nodes: list[str]) -> "Pins":
        """Pins of `params`' elements, for states whose columns are `nodes`."""
        index = {n: k for k, n in enumerate(nodes)}
        index[GROUND] = len(nodes)

        def column(names: list[str], pin: int) -> np.ndarray:
            return np.array([index[circuit.elements[n].nodes[pin]] for n in names], dtype=np.intp)

        return cls(column(params.resistors, 0), column(params.resistors, 1),
                   column(params.sources, 0), column(params.sources, 1))


def energy_derivatives(pins: Pins, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dE/dg (batch, n_R) and dE/db (batch, n_I) at a state (batch, n_nodes)."""
    v = _with_ground(state)
    drop = v[:, pins.resistor_a] - v[:, pins.resistor_b]
    return 0.5 * drop * drop, _source_terms(pins, v)


def mean_energy_derivatives(pins: Pins, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batch means of `energy_derivatives`: dE/dg (n_R,) and dE/db (n_I,), float64."""
    g, b = energy_derivatives(pins, state)
    return g.mean(axis=0, dtype=np.float64), b.mean(axis=0, dtype=np.float64)


def source_derivatives(pins: Pins, state: np.ndarray) -> np.ndarray:
    """dE/db (batch, n_I) at a state (batch, n_nodes): the bias part of `energy_derivatives`."""
    return _source_terms(pins, _with_ground(state))


def _with_ground(state: np.ndarray) -> np.ndarray:
    """The state with a column of zeros (ground) appended, (batch, n_nodes + 1)."""
    return np.concatenate([state, np.zeros((state.shape[0], 1), dtype=state.dtype)], axis=1)


def _source_terms(pins: Pins, v: np.ndarray) -> np.ndarray:
    return v[:, pins.source_plus] - v[:, pins.source_minus]


def estimate_bias_gradient(pins: Pins, contrast: Contrast) -> np.ndarray:
    """The bias part of `estimate_gradient`: dC/db (n_I,), batch-averaged."""
    scale = contrast.scale * contrast.upper.shape[0]
    difference = source_derivatives(pins, contrast.upper - contrast.lower)  # dE/db is linear in the state
    return (difference.sum(axis=0) / scale).astype(np.float64)


def estimate_gradient(pins: Pins, contrast: Contrast) -> tuple[np.ndarray, np.ndarray]:
    """The algorithm's estimate of dC/dg (n_R,) and dC/db (n_I,), averaged over the batch."""
    g_upper, b_upper = energy_derivatives(pins, contrast.upper)
    g_lower, b_lower = energy_derivatives(pins, contrast.lower)
    scale = contrast.scale * contrast.upper.shape[0]
    return ((g_upper - g_lower).sum(axis=0) / scale).astype(np.float64), \
        ((b_upper - b_lower).sum(axis=0) / scale).astype(np.float64)

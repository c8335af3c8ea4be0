"""The local rule on layered circuits: each weight matrix's update as one rank-batch product.

For a coupling between node sets A (rows) and B (columns) with states U (batch, |A|) and
V (batch, |B|), the batch sum of the energy derivatives is

    sum_b dE/dG_ij = 1/2 sum_b (u_i - v_j)^2
                   = 1/2 [colsum(U^2)_i + colsum(V^2)_j] - (U.T @ V)_ij

so the difference between the `upper` and `lower` contrast states is a matrix of rank at
most 2*batch + 2, written as p.T @ q with

    p = [U1; U2; 1/2 (colsum(U1^2) - colsum(U2^2)); 1]
    q = [-V1; V2; 1; 1/2 (colsum(V1^2) - colsum(V2^2))]

(stacked along the batch axis). Where one side is the same in both states (the clamped
input layer), its terms cancel and the rank drops to batch + 1. The optimizer applies
p.T @ q to the weight matrix in place with one BLAS product (`SGD.step_layered`): no
per-example, per-resistor voltage drop is ever formed.

The rule applies when the compiled circuit has a layer plan (`solvers.layered`) whose
couplings are zero-copy views of the conductance array and cover all trainable resistors,
the trainable resistors being the compiled circuit's first ones, in order (`build_drn`
lists them so). Otherwise the trainer uses the general per-resistor rule (`rule.py`).

A single state's batch mean, which the physical procedures need (agnostic EP), is
one product of rank batch + 2 per matrix: p = [U; 1/2 colsum(U^2); 1],
q = [-V; 1; 1/2 colsum(V^2)], over the batch size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..compile.tables import CompiledCircuit, as_slice
from .contrast import Contrast


@dataclass
class LowRank:
    """The batch-summed gradient p.T @ q / scale of one weight matrix, never formed.

    p: (k, n_rows); q: (k, n_cols); scale: the divisor (contrast scale times batch size).
    """

    p: np.ndarray
    q: np.ndarray
    scale: float

    def dense(self) -> np.ndarray:
        """The gradient as a matrix (n_rows, n_cols) (for tests and the momentum path)."""
        return (self.p.T @ self.q) / self.scale


@dataclass
class WeightBlock:
    """One trainable weight matrix: `conductance[where]` reshaped to `shape` (rows, cols).

    rows, cols: columns of the rows' and columns' nodes in a state with ground appended
    (a slice where they are consecutive: a view instead of a gather).
    """

    where: slice
    shape: tuple[int, int]
    rows: np.ndarray | slice
    cols: np.ndarray | slice

    def matrix(self, conductance: np.ndarray) -> np.ndarray:
        """The weight matrix as a view of `conductance` (writable when `conductance` is)."""
        return conductance[self.where].reshape(self.shape)


class LayeredRule:
    """Gradient estimates of a layered circuit's weight matrices as `LowRank` products."""

    def __init__(self, blocks: list[WeightBlock], n_nodes: int):
        self.blocks = blocks
        self.n_nodes = n_nodes
        self.n_trainable = sum(b.shape[0] * b.shape[1] for b in blocks)
        self._pad = any(_largest(b.rows) >= n_nodes or _largest(b.cols) >= n_nodes for b in blocks)

    @classmethod
    def of(cls, cc: CompiledCircuit, n_trainable: int) -> "LayeredRule | None":
        """The rule for a compiled circuit whose first `n_trainable` resistors are the
        trainable ones, or None when its layer plan does not cover them with views."""
        plan = cc.layer_plan()
        if plan is None or n_trainable == 0 or len(cc.shock_a):
            return None
        blocks, covered = [], 0
        for coupling in plan.couplings:
            trainable = coupling.resistors < n_trainable
            if not trainable.any():
                continue
            if coupling.view is None or not trainable.all():
                return None
            blocks.append(WeightBlock(coupling.view, (len(coupling.rows), len(coupling.cols)),
                                      as_slice(coupling.rows), as_slice(coupling.cols)))
            covered += len(coupling.resistors)
        if covered != n_trainable:
            return None
        blocks.sort(key=lambda b: b.where.start)
        return cls(blocks, cc.n_user)

    def gradients(self, contrast: Contrast, dtype) -> list[LowRank]:
        """One LowRank per block: the algorithm's gradient estimate, batch-averaged."""
        upper, lower = self._padded(contrast.upper, dtype), self._padded(contrast.lower, dtype)
        scale = contrast.scale * contrast.upper.shape[0]
        return [_low_rank(upper[:, b.rows], lower[:, b.rows], upper[:, b.cols], lower[:, b.cols], scale)
                for b in self.blocks]

    def mean_derivatives(self, state: np.ndarray) -> np.ndarray:
        """Batch-mean dE/dg (n_trainable,), square volts, float64, at a state (batch, n_nodes):
        per block one product of rank batch + 2 (the blocks tile the trainable resistors)."""
        v = self._padded(state, np.float64)
        out = np.empty(self.n_trainable)
        for b in self.blocks:
            out[b.where] = _single(v[:, b.rows], v[:, b.cols], v.shape[0]).dense().ravel()
        return out

    def _padded(self, state: np.ndarray, dtype) -> np.ndarray:
        state = state.astype(dtype, copy=False)
        if not self._pad:
            return state
        return np.concatenate([state, np.zeros((state.shape[0], 1), dtype=state.dtype)], axis=1)


def _largest(index: np.ndarray | slice) -> int:
    if isinstance(index, slice):
        return index.stop - 1
    return int(index.max(initial=0))


def _single(u: np.ndarray, v: np.ndarray, scale: float) -> LowRank:
    """p, q with p.T @ q = sum_b 1/2 (u_i - v_j)^2 (see the module docstring)."""
    batch = u.shape[0]
    p = np.empty((batch + 2, u.shape[1]), dtype=u.dtype)
    q = np.empty((batch + 2, v.shape[1]), dtype=u.dtype)
    p[:batch], p[batch], p[batch + 1] = u, 0.5 * np.einsum("bi,bi->i", u, u), 1.0
    np.negative(v, out=q[:batch])
    q[batch], q[batch + 1] = 1.0, 0.5 * np.einsum("bj,bj->j", v, v)
    return LowRank(p, q, float(scale))


def _low_rank(u1: np.ndarray, u2: np.ndarray, v1: np.ndarray, v2: np.ndarray, scale: float) -> LowRank:
    """p, q with p.T @ q = sum_b 1/2 [(u1_i - v1_j)^2 - (u2_i - v2_j)^2] (see the module docstring)."""
    batch, n_rows, n_cols = u1.shape[0], u1.shape[1], v1.shape[1]
    same_u, same_v = np.array_equal(u1, u2), np.array_equal(v1, v2)
    du = 0.0 if same_u else 0.5 * (np.einsum("bi,bi->i", u1, u1) - np.einsum("bi,bi->i", u2, u2))
    dv = 0.0 if same_v else 0.5 * (np.einsum("bj,bj->j", v1, v1) - np.einsum("bj,bj->j", v2, v2))
    if same_u:  # sum_b u (v2 - v1) + 1 dv
        p = np.empty((batch + 1, n_rows), dtype=u1.dtype)
        q = np.empty((batch + 1, n_cols), dtype=u1.dtype)
        p[:batch], p[batch] = u1, 1.0
        np.subtract(v2, v1, out=q[:batch])
        q[batch] = dv
    elif same_v:  # sum_b (u2 - u1) v + du 1
        p = np.empty((batch + 1, n_rows), dtype=u1.dtype)
        q = np.empty((batch + 1, n_cols), dtype=u1.dtype)
        np.subtract(u2, u1, out=p[:batch])
        p[batch] = du
        q[:batch], q[batch] = v1, 1.0
    else:
        p = np.empty((2 * batch + 2, n_rows), dtype=u1.dtype)
        q = np.empty((2 * batch + 2, n_cols), dtype=u1.dtype)
        p[:batch], p[batch:2 * batch], p[2 * batch], p[2 * batch + 1] = u1, u2, du, 1.0
        np.negative(v1, out=q[:batch])
        q[batch:2 * batch], q[2 * batch], q[2 * batch + 1] = v2, 1.0, dv
    return LowRank(p, q, float(scale))

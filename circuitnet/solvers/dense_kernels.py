"""Numba kernels on the dense weight matrices of layered networks. Plain arrays in and out.

Two operations dominate a small-batch training step of a deep resistive network, and
both stream a whole weight matrix through the cores once:

- `skinny_product(a, m)`: a @ m for an `a` of a few rows (the input layer's
  projection x @ G_1). BLAS runs this as a matrix-vector product on one thread (training
  keeps BLAS single-threaded, see `Trainer.blas_threads`); here the columns are split
  between numba's threads and each row of `m` is read once for all rows of `a`.
- `rank_update_clip(w, alpha, p, q, lo, hi)`: w = clip(w + alpha * p.T @ q, lo, hi) in
  place, the rank-k EP update of a weight matrix and its clip to the conductance bounds
  in one pass instead of a BLAS product plus a separate clip; the pass also yields the
  new row and column sums, which the solver needs (a node's total conductance) and
  would otherwise read the whole matrix again for.
"""
from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange

#: `skinny_product` beats a single-threaded BLAS product up to this many rows of `a`
SKINNY_ROWS = 8
#: `rank_update_clip` leaves matrices of at most this many cells to numpy: starting the
#: threads would cost more than the work
SERIAL_CELLS = 1 << 16


@njit(parallel=True, cache=True, fastmath=True)
def _skinny_product(a, m, out, chunks):
    n_rows, n_cols = m.shape
    width = (n_cols + chunks - 1) // chunks
    for c in prange(chunks):
        start, stop = c * width, min(n_cols, (c + 1) * width)
        acc = np.zeros((a.shape[0], max(stop - start, 0)), dtype=out.dtype)
        for i in range(n_rows):
            row = m[i, start:stop]
            for b in range(a.shape[0]):
                coefficient = a[b, i]
                if coefficient != 0:
                    target = acc[b]
                    for j in range(stop - start):
                        target[j] += coefficient * row[j]
        out[:, start:stop] = acc


def skinny_product(a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """a @ m for a (k, n) and m (n, c) of one float dtype; numba's threads split the columns
    when k <= SKINNY_ROWS and m is C-contiguous, else BLAS. Returns (k, c)."""
    if a.shape[0] > SKINNY_ROWS or not m.flags.c_contiguous or a.dtype != m.dtype:
        return a @ m
    out = np.empty((a.shape[0], m.shape[1]), dtype=m.dtype)
    _skinny_product(np.ascontiguousarray(a), m, out, get_num_threads())
    return out


@njit(parallel=True, cache=True, fastmath=True)
def _rank_update_clip(w, p, q, lo, hi, row_sums, partial_col_sums):
    n_rows, n_cols = w.shape
    rank = p.shape[0]
    chunks = partial_col_sums.shape[0]
    height = (n_rows + chunks - 1) // chunks
    for c in prange(chunks):
        col_sums = partial_col_sums[c]
        col_sums[:] = 0.0
        for i in range(c * height, min(n_rows, (c + 1) * height)):
            row = w[i]
            for k in range(rank - 1):
                coefficient = p[k, i]
                if coefficient != 0:  # an input at 0 V (a blank pixel) adds nothing
                    source = q[k]
                    for j in range(n_cols):
                        row[j] += coefficient * source[j]
            coefficient = p[rank - 1, i]
            source = q[rank - 1]
            total = lo - lo  # zero in w's dtype: a float64 sum would not vectorise
            for j in range(n_cols):
                value = min(max(row[j] + coefficient * source[j], lo), hi)
                row[j] = value
                col_sums[j] += value
                total += value
            row_sums[i] = total


def rank_update_clip(w: np.ndarray, alpha: float, p: np.ndarray, q: np.ndarray, lo: float, hi: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """w <- clip(w + alpha * p.T @ q, lo, hi) in place; returns the new row sums (n,) and
    column sums (c,), found in the same pass.

    w: (n, c) C-contiguous float32 or float64 (e.g. conductances, siemens); p: (k, n) with
    k >= 1; q: (k, c); lo, hi: the bounds (siemens).
    """
    if not w.flags.c_contiguous or p.shape[0] == 0:
        raise ValueError("rank_update_clip needs a C-contiguous matrix and a rank of at least 1")
    if w.size <= SERIAL_CELLS:
        w += (alpha * (p.T @ q)).astype(w.dtype, copy=False)
        np.clip(w, lo, hi, out=w)
        return w.sum(axis=1), w.sum(axis=0)
    chunks = max(1, min(get_num_threads(), w.shape[0]))
    row_sums = np.empty(w.shape[0], dtype=w.dtype)
    partial = np.empty((chunks, w.shape[1]), dtype=w.dtype)
    scaled = np.ascontiguousarray(p * alpha, dtype=w.dtype)
    _rank_update_clip(w, scaled, np.ascontiguousarray(q, dtype=w.dtype), w.dtype.type(lo), w.dtype.type(hi),
                      row_sums, partial)
    return row_sums, partial.sum(axis=0)

"""Sparse LU of a sequence of matrices that share one sparsity pattern.

Newton's method factorises a Jacobian of the same pattern at every iteration. As SPICE
does, the fill-reducing ordering is computed once per pattern (SuperLU's minimum degree
on A + A^T, for one block of a block-diagonal batch) and every factorisation after that
takes the matrix already permuted into that order. Symmetric mode with threshold
pivoting keeps each diagonal pivot unless it is under a tenth of its column's largest
entry, so the ordering is not undone by row exchanges: on a 10,000-node grid circuit
minimum degree in symmetric mode is 8x faster than SuperLU's default (COLAMD with
partial pivoting) at the same fill, and reusing the ordering saves another factor of 2-3.

Also as SPICE does, later factorisations may reuse the pivot sequence and the fill
pattern of the last SuperLU factorisation (`StaticLU`, a numba refactorisation without
any symbolic work), as long as every pivot stays at least `STATIC_THRESHOLD` of its
column; SuperLU factorises afresh when one does not. Which of the two is used is decided
per pattern by timing both on its first matrix: the refactorisation wins on small and
very sparse circuits, SuperLU's supernodes on large ones with much fill.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .sparse_lu_kernels import refactor, triangular_solve

#: SuperLU settings of every factorisation after the ordering is known
FACTOR_SETTINGS = {"diag_pivot_thresh": 0.1, "options": {"SymmetricMode": True}}
#: the fill-reducing ordering, computed once per pattern
ORDERING = "MMD_AT_PLUS_A"
#: a reused pivot must be at least this fraction of its column's largest entry below it
STATIC_THRESHOLD = 1e-3


def csc_layout(rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSC layout of distinct entries (rows, cols) of an n x n matrix: the order that
    sorts them by column then row, and the CSC indices and indptr (int64)."""
    order = np.lexsort((rows, cols))
    indptr = np.searchsorted(cols[order], np.arange(n + 1))
    return order, rows[order].astype(np.int64), indptr.astype(np.int64)


class PatternLU:
    """Factorisations of block-diagonal matrices (batch blocks of size x size) whose blocks
    share one pattern, given as entry coordinates `rows`, `cols` (n_entries,) of one block
    (duplicates allowed: their values are summed).

    row_of: (size,) a permutation, equation e is factorised as row row_of[e] (default as
    given): a voltage law whose own unknown is a current has a zero diagonal; placed in
    the row of a node it fixes, every diagonal is structurally nonzero.
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, size: int, batch: int, row_of: np.ndarray | None = None):
        self.size, self.batch = size, batch
        self._row_of = np.arange(size) if row_of is None else row_of
        rows = self._row_of[rows]
        key = cols.astype(np.int64) * size + rows
        unique, self._slot = np.unique(key, return_inverse=True)
        self._block_rows, self._block_cols = unique % size, unique // size
        self._n_slots = len(unique)
        self._order: np.ndarray | None = None  # new position -> unknown (one block)
        self._static: StaticLU | None = None
        self._static_decided = False  # whether timing chose between StaticLU and SuperLU

    def _block_csc(self, data: np.ndarray) -> sp.csc_matrix:
        """One block (size, size) from its slot values (n_slots,)."""
        return sp.csc_matrix((data, (self._block_rows, self._block_cols)), shape=(self.size, self.size))

    def _prepare_order(self, first_block: np.ndarray) -> None:
        """The ordering of the pattern, from one block's values (it depends on the pattern
        only; the values just have to be factorisable); the permuted batch pattern."""
        order = np.argsort(splu(self._block_csc(first_block), permc_spec=ORDERING, **FACTOR_SETTINGS).perm_c)
        position = np.empty(self.size, dtype=np.int64)
        position[order] = np.arange(self.size)
        offsets = np.arange(self.batch)[:, None] * self.size
        rows = (position[self._block_rows][None, :] + offsets).ravel()
        cols = (position[self._block_cols][None, :] + offsets).ravel()
        total = self.batch * self.size
        # slot values (batch * n_slots,) -> CSC data order
        self._data_order, self._indices, self._indptr = csc_layout(rows, cols, total)
        self._order = order
        self._matrix = sp.csc_matrix((np.zeros(len(rows)), self._indices, self._indptr), shape=(total, total))
        self._matrix.has_canonical_format = True

    def assemble(self, entries: np.ndarray, first: int = 0) -> np.ndarray:
        """The pattern's values (batch * n_slots,) from the entries first, first + 1, ... of
        the pattern's entry list, given as (batch, n) values: the sum of duplicates."""
        slots = self._slot[first:first + entries.shape[1]]
        indices = (slots[None, :] + (np.arange(self.batch) * self._n_slots)[:, None]).ravel()
        return np.bincount(indices, weights=entries.ravel(), minlength=self.batch * self._n_slots)

    def factor(self, data: np.ndarray) -> "PatternFactor":
        """Factorise the matrix of pattern values `data` (from `assemble`); the factor is
        valid until the next call. Raises RuntimeError when the matrix is singular."""
        if self._order is None:
            self._prepare_order(data[:self._n_slots])
        matrix = self._matrix
        matrix.data = data[self._data_order]
        if self._static is not None and self._static.refactor(matrix.data):
            return PatternFactor(self._static, self._row_of, self._order, self.batch)
        start = time.perf_counter()
        lu = splu(matrix, permc_spec="NATURAL", **FACTOR_SETTINGS)
        superlu_seconds = time.perf_counter() - start
        if self._static is not None or not self._static_decided:
            self._static = StaticLU.from_superlu(lu, matrix)
            if not self._static_decided:
                self._static_decided = True
                if not self._static.faster_than(superlu_seconds, matrix.data):
                    self._static = None
        return PatternFactor(lu, self._row_of, self._order, self.batch)


class StaticLU:
    """LU factors of Pr M Pc on the fill pattern and pivot sequence of one SuperLU
    factorisation of M (scipy's `perm_r`, `perm_c`), refactorised for new values of M."""

    def __init__(self, lower: sp.csc_matrix, upper: sp.csc_matrix, perm_r: np.ndarray, perm_c: np.ndarray,
                 matrix: sp.csc_matrix):
        self.lower, self.upper, self.perm_r, self.perm_c = lower, upper, perm_r, perm_c
        n = matrix.shape[0]
        rows = perm_r[matrix.indices]
        cols = perm_c[np.repeat(np.arange(n), np.diff(matrix.indptr))]
        # M's data -> (Pr M Pc)'s CSC order
        self._entry_order, self._rows, self._indptr = csc_layout(rows, cols, n)
        self._work = np.zeros(n)

    @classmethod
    def from_superlu(cls, lu, matrix: sp.csc_matrix) -> "StaticLU":
        lower, upper = lu.L.tocsc(), lu.U.tocsc()
        lower.sort_indices(), upper.sort_indices()
        return cls(lower, upper, lu.perm_r, lu.perm_c, matrix)

    def refactor(self, data: np.ndarray) -> bool:
        """Refactorise for M's CSC values `data`; False when a pivot became too small."""
        lower, upper = self.lower, self.upper
        return refactor(self._indptr, self._rows, data[self._entry_order], lower.indptr, lower.indices, lower.data,
                        upper.indptr, upper.indices, upper.data, self._work, STATIC_THRESHOLD)

    def faster_than(self, seconds: float, data: np.ndarray) -> bool:
        """Whether refactorising `data` (the values SuperLU just factorised) reproduces
        SuperLU's U and takes under `seconds` (timed after a first, warm-up call)."""
        expected = self.upper.data.copy()
        if not self.refactor(data) or not np.allclose(self.upper.data, expected, rtol=1e-8, atol=0.0):
            return False
        start = time.perf_counter()
        self.refactor(data)
        return time.perf_counter() - start < seconds

    def solve(self, b: np.ndarray) -> np.ndarray:
        """x with M x = b (n,)."""
        y = np.empty_like(b)
        y[self.perm_r] = b
        lower, upper = self.lower, self.upper
        triangular_solve(lower.indptr, lower.indices, lower.data, upper.indptr, upper.indices, upper.data, y)
        return y[self.perm_c]


class PatternFactor:
    """One factorisation of a `PatternLU` matrix, solving in the original unknown order."""

    def __init__(self, lu, row_of: np.ndarray, order: np.ndarray, batch: int):
        self._lu, self._row_of, self._order, self._batch = lu, row_of, order, batch

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """x (batch, size) with A x = rhs (batch, size)."""
        placed = np.empty_like(rhs)
        placed[:, self._row_of] = rhs
        permuted = self._lu.solve(np.ascontiguousarray(placed[:, self._order]).ravel())
        x = np.empty_like(rhs)
        x[:, self._order] = permuted.reshape(self._batch, -1)
        return x

"""Numba kernels of `sparse_lu`: LU refactorisation on a known pattern, and its solve.

Matrices are CSC with sorted row indices; L is unit lower triangular (its diagonal, the
first entry of each column, is stored as 1), U upper triangular (its diagonal is the last
entry of each column). `work` is a zeroed float array of the matrix size, left zeroed.
"""
import numba
import numpy as np


@numba.njit(cache=True)
def refactor(a_indptr, a_rows, a_data, l_indptr, l_rows, l_data, u_indptr, u_rows, u_data, work, threshold):
    """Overwrite l_data and u_data with the LU factors of A (a_indptr, a_rows, a_data) on the
    patterns of L and U, pivoting on the diagonal. Returns False where a pivot is zero, not
    finite, or under `threshold` times the largest entry of its column below the diagonal
    (the pivot order no longer suits the values)."""
    n = len(a_indptr) - 1
    for j in range(n):
        for p in range(a_indptr[j], a_indptr[j + 1]):
            work[a_rows[p]] += a_data[p]
        for p in range(u_indptr[j], u_indptr[j + 1] - 1):
            k = u_rows[p]
            ukj = work[k]
            u_data[p] = ukj
            work[k] = 0.0
            if ukj != 0.0:
                for q in range(l_indptr[k] + 1, l_indptr[k + 1]):
                    work[l_rows[q]] -= l_data[q] * ukj
        pivot = work[j]
        work[j] = 0.0
        largest = 0.0
        for q in range(l_indptr[j] + 1, l_indptr[j + 1]):
            largest = max(largest, abs(work[l_rows[q]]))
        if not (abs(pivot) > 0.0 and abs(pivot) < np.inf and abs(pivot) >= threshold * largest):
            work[:] = 0.0
            return False
        u_data[u_indptr[j + 1] - 1] = pivot
        l_data[l_indptr[j]] = 1.0
        for q in range(l_indptr[j] + 1, l_indptr[j + 1]):
            r = l_rows[q]
            l_data[q] = work[r] / pivot
            work[r] = 0.0
    return True


@numba.njit(cache=True)
def triangular_solve(l_indptr, l_rows, l_data, u_indptr, u_rows, u_data, b):
    """Overwrite b with (L U)^-1 b."""
    n = len(b)
    for j in range(n):
        bj = b[j]
        if bj != 0.0:
            for q in range(l_indptr[j] + 1, l_indptr[j + 1]):
                b[l_rows[q]] -= l_data[q] * bj
    for j in range(n - 1, -1, -1):
        b[j] /= u_data[u_indptr[j + 1] - 1]
        bj = b[j]
        if bj != 0.0:
            for p in range(u_indptr[j], u_indptr[j + 1] - 1):
                b[u_rows[p]] -= u_data[p] * bj

"""PatternLU (solvers/sparse_lu.py): every path against scipy's spsolve on random patterns."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from circuitnet.solvers.sparse_lu import PatternLU, StaticLU


def random_pattern(size: int, density: float, seed: int):
    """Entry coordinates of one block: a full diagonal, random off-diagonal entries and
    some duplicates (summed)."""
    rng = np.random.default_rng(seed)
    count = int(density * size * size)
    rows = np.concatenate([np.arange(size), rng.integers(0, size, count), rng.integers(0, size, 5)])
    cols = np.concatenate([np.arange(size), rng.integers(0, size, count), rng.integers(0, size, 5)])
    return rows, cols


def random_entries(rows: np.ndarray, batch: int, size: int, rng) -> np.ndarray:
    """(batch, n_entries) values with a dominant diagonal part (the first `size` entries)."""
    entries = rng.normal(size=(batch, len(rows)))
    entries[:, :size] += np.sign(entries[:, :size]) * 4.0
    return entries


def block_matrix(rows, cols, entries_of_block, size) -> sp.csc_matrix:
    return sp.csc_matrix((entries_of_block, (rows, cols)), shape=(size, size))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("static", [False, True])
def test_factor_sequence_solves_like_spsolve(seed, static):
    size, batch = 30 + 7 * seed, 1 + seed % 3
    rows, cols = random_pattern(size, 0.08, seed)
    rng = np.random.default_rng(100 + seed)
    row_of = rng.permutation(size) if seed % 2 else None
    lu = PatternLU(rows, cols, size, batch, row_of)
    for step in range(4):  # the first factorisation orders; the later ones reuse it
        entries = random_entries(rows, batch, size, rng)
        if static and step == 0:  # force the reused-pivot path whatever the timing says
            lu.factor(lu.assemble(entries))
            lu._static = StaticLU.from_superlu(_superlu_of(lu), lu._matrix)
            continue
        rhs = rng.normal(size=(batch, size))
        x = lu.factor(lu.assemble(entries)).solve(rhs)
        for b in range(batch):
            expected = spsolve(block_matrix(rows, cols, entries[b], size), rhs[b])
            np.testing.assert_allclose(x[b], expected, rtol=1e-9, atol=1e-11)
        if static:
            assert lu._static is not None


def _superlu_of(lu: PatternLU):
    from scipy.sparse.linalg import splu

    from circuitnet.solvers.sparse_lu import FACTOR_SETTINGS
    return splu(lu._matrix, permc_spec="NATURAL", **FACTOR_SETTINGS)


def test_assemble_sums_entry_ranges():
    rows, cols = np.array([0, 1, 1, 0]), np.array([0, 1, 1, 1])
    lu = PatternLU(rows, cols, 2, 2)
    whole = lu.assemble(np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]))
    split = lu.assemble(np.array([[1.0, 2.0], [5.0, 6.0]])) + lu.assemble(np.array([[3.0, 4.0], [7.0, 8.0]]), first=2)
    np.testing.assert_array_equal(whole, split)
    assert sorted(whole[:3]) == [1.0, 4.0, 5.0]  # (0,0), (0,1), (1,1) of block 0


def test_static_refactor_refuses_a_pivot_gone_small_and_superlu_takes_over():
    # [[a, 1], [1, a]]: factorised with a = 4 (pivots on the diagonal), then a = 1e-9: a kept
    # pivot is under STATIC_THRESHOLD of its column, so SuperLU pivots afresh (off the diagonal)
    rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    lu = PatternLU(rows, cols, 2, 1)
    lu.factor(lu.assemble(np.array([[4.0, 1.0, 1.0, 4.0]])))
    lu._static = StaticLU.from_superlu(_superlu_of(lu), lu._matrix)
    kept = lu._static
    assert not kept.refactor(np.array([1e-9, 1.0, 1.0, 1e-9]))  # symmetric: any order of the entries
    for a in (1e-9, 2e-9):
        x = lu.factor(lu.assemble(np.array([[a, 1.0, 1.0, a]]))).solve(np.array([[1.0, 2.0]]))
        expected = np.linalg.solve(np.array([[a, 1.0], [1.0, a]]), [1.0, 2.0])
        np.testing.assert_allclose(x[0], expected, rtol=1e-12)
        assert lu._static is not kept  # rebuilt on SuperLU's new pivot sequence


def test_singular_matrix_raises_runtime_error():
    rows, cols = np.array([0, 1]), np.array([0, 0])
    lu = PatternLU(rows, cols, 2, 1)
    with pytest.raises(RuntimeError):
        lu.factor(lu.assemble(np.array([[1.0, 1.0]])))

"""The dense kernels against numpy, and the block sums they hand to the solver."""
from __future__ import annotations

import numpy as np
import pytest

from circuitnet.solvers.dense_kernels import SERIAL_CELLS, SKINNY_ROWS, rank_update_clip, skinny_product


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 4, SKINNY_ROWS, SKINNY_ROWS + 3])
def test_skinny_product_equals_matmul(dtype, rows):
    rng = np.random.default_rng(rows)
    a = rng.normal(size=(rows, 300)).astype(dtype)
    a[:, rng.random(300) < 0.5] = 0.0  # sparse inputs, as MNIST pixels
    m = rng.random((300, 257)).astype(dtype)
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(skinny_product(a, m), a @ m, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(skinny_product(a, m[:, ::2]), a @ m[:, ::2], rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(40, 30), (600, 300)])  # below and above SERIAL_CELLS
@pytest.mark.parametrize("rank", [1, 5, 10])
def test_rank_update_clip_equals_numpy(dtype, shape, rank):
    assert (shape[0] * shape[1] <= SERIAL_CELLS) == (shape == (40, 30))
    rng = np.random.default_rng(rank)
    w = rng.uniform(0.0, 1.0, shape).astype(dtype)
    p, q = rng.normal(size=(rank, shape[0])), rng.normal(size=(rank, shape[1]))
    expected = np.clip(w.astype(float) + 0.3 * (p.T @ q), 0.1, 0.9)
    rows, cols = rank_update_clip(w, 0.3, p.astype(dtype), q.astype(dtype), 0.1, 0.9)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(w, expected, rtol=rtol, atol=rtol)
    assert 0 < np.mean(w == dtype(0.1)) < 1 and 0 < np.mean(w == dtype(0.9)) < 1  # both bounds bit
    np.testing.assert_allclose(rows, expected.sum(axis=1), rtol=10 * rtol)
    np.testing.assert_allclose(cols, expected.sum(axis=0), rtol=10 * rtol)


def test_rank_update_clip_refuses_views_and_empty_updates():
    w = np.ones((4, 6))
    with pytest.raises(ValueError, match="C-contiguous"):
        rank_update_clip(w[:, ::2], 1.0, np.ones((1, 4)), np.ones((1, 3)), 0.0, 2.0)
    with pytest.raises(ValueError, match="rank"):
        rank_update_clip(w, 1.0, np.ones((0, 4)), np.ones((0, 6)), 0.0, 2.0)

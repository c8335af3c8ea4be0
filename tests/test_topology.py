"""Tests of circuitnet.model.topology: ground aliases, union-find, incidence matrices."""
import numpy as np
import pytest
import scipy.sparse as sp

from circuitnet.model.topology import GROUND, UnionFind, canonical_node, incidence_matrix, is_ground


@pytest.mark.parametrize("name", ["0", "gnd", "GND", "Gnd"])
def test_ground_aliases(name):
    assert canonical_node(name) == GROUND == "0"
    assert is_ground(name)


@pytest.mark.parametrize("name, canonical", [("N1", "n1"), ("gnd1", "gnd1"), ("00", "00"), ("x1.gnd", "x1.gnd")])
def test_other_names_are_lower_cased_only(name, canonical):
    assert canonical_node(name) == canonical
    assert not is_ground(name)


def test_union_find():
    sets = UnionFind()
    assert sets.union("a", "b") and sets.union("c", "d") and sets.union("b", "d")
    assert not sets.union("a", "c")  # already one set
    assert len({sets.find(x) for x in "abcd"}) == 1
    assert sets.find("e") == "e" and sets.find("e") != sets.find("a")


def test_union_find_long_chain_is_flattened():
    sets = UnionFind()
    for k in range(10_000):
        sets.union(k, k + 1)
    root = sets.find(0)
    assert all(sets.find(k) == root for k in range(10_001))


def test_incidence_matches_a_hand_built_matrix():
    first, second = np.array([0, 2, 1, 3]), np.array([1, 0, 3, 3])
    dense = np.array([[-1, 1, 0, 0],
                      [1, 0, -1, 0],
                      [0, -1, 0, 0],
                      [0, 0, 1, 0],  # a self-loop's -1 and +1 cancel
                      [0, 0, 0, 0]], dtype=float)
    matrix = incidence_matrix(first, second, 5)
    assert sp.isspmatrix_csr(matrix) and matrix.shape == (5, 4)
    np.testing.assert_array_equal(matrix.toarray(), dense)
    v = np.arange(5.0) ** 2
    np.testing.assert_array_equal(matrix.T @ v, v[second] - v[first])


def test_incidence_of_no_edges():
    assert incidence_matrix(np.zeros(0, int), np.zeros(0, int), 3).shape == (3, 0)

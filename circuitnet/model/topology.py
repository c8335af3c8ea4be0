"""Graph helpers shared by the circuit model and the solvers: ground, disjoint sets, incidence.

numpy/scipy only, so every module (the numba kernels' builders included) can use them.
"""
from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import scipy.sparse as sp

#: the ground node's name; "gnd" (any case) is an alias of it.
GROUND = "0"
_GROUND_ALIASES = frozenset({"0", "gnd"})


def canonical_node(name: str) -> str:
    """The node name circuitnet uses: lower case, with "gnd"/"GND"/"0" mapped to GROUND."""
    name = name.lower()
    return GROUND if name in _GROUND_ALIASES else name


def is_ground(name: str) -> bool:
    """Whether `name` (any case) names the ground node."""
    return name.lower() in _GROUND_ALIASES


class UnionFind:
    """Disjoint sets over hashable items, with path halving."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, item: Hashable) -> Hashable:
        """Representative of the set holding `item` (created on first sight)."""
        parent = self.parent.setdefault(item, item)
        while parent != item:
            grand = self.parent[parent]
            self.parent[item] = grand
            item, parent = parent, self.parent[grand]
        return item

    def union(self, a: Hashable, b: Hashable) -> bool:
        """Merge the sets of a and b; False when they were already one set."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def incidence_matrix(first: np.ndarray, second: np.ndarray, n_rows: int) -> sp.csr_matrix:
    """The (n_rows, len(first)) incidence matrix of edges first[k] -> second[k].

    first, second: integer row indices (len(first),), each in [0, n_rows). Column k holds
    -1 at row first[k] and +1 at row second[k] (they add when first[k] == second[k]), so
    `matrix.T @ v` is v[second] - v[first] and `matrix @ i` is the net inflow per row of
    edge currents i flowing from first to second.
    """
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    n = len(first)
    columns = np.arange(n)
    return sp.csr_matrix((np.concatenate([-np.ones(n), np.ones(n)]),
                          (np.concatenate([first, second]), np.concatenate([columns, columns]))),
                         shape=(n_rows, n))

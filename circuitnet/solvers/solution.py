"""The result of a DC solve, shared by every solver."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from ..model.topology import GROUND, canonical_node


class LazyCurrents(Mapping):
    """A read-only mapping of element currents computed on first use.

    Large networks have millions of resistors: their currents are only worked out when
    somebody asks for one.
    """

    def __init__(self, compute: Callable[[], dict]):
        self._compute = compute
        self._values: dict | None = None

    def _all(self) -> dict:
        if self._values is None:
            self._values = self._compute()
        return self._values

    def __getitem__(self, name: str) -> np.ndarray:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


@dataclass
class Solution:
    """DC operating points of one circuit for a batch of conditions.

    nodes: node names (lower case, ground excluded), the column order of `voltages`.
    voltages: node voltages in volts, shape (batch, len(nodes)).
    currents: element name -> current in amperes, shape (batch,), SPICE's sign: for a
        resistor or diode from its first pin to its second (anode to cathode); for a
        voltage source, current source or VCVS output, from n+ through the element to n-.
    solver: "cd", "newton", "qp" or "spice" (the method that ran; `info` says why).
    sweeps: coordinate-descent sweeps used (the largest over the batch), Newton iterations for
        newton (summed over its gmin or source steps), 0 for the others.
    residual: KKT residual in amperes: the largest current imbalance at a node (KCL),
        including diode currents of the wrong sign.
    diode_violation: largest violation of an ideal diode's law v_anode - v_cathode <= vf, volts.
    seconds: wall-clock time of the solve.
    info: solver-specific diagnostics (e.g. number of examples that needed a fallback).
    """

    nodes: list[str]
    voltages: np.ndarray
    currents: Mapping[str, np.ndarray]
    solver: str
    sweeps: int = 0
    residual: float = 0.0
    diode_violation: float = 0.0
    seconds: float = 0.0
    info: dict = field(default_factory=dict)

    @property
    def batch(self) -> int:
        """Number of operating points."""
        return self.voltages.shape[0]

    def voltage(self, node: str) -> np.ndarray:
        """Voltage of one node (volts), shape (batch,); ground ("0" or "gnd") gives zeros."""
        node = canonical_node(node)
        if node == GROUND:
            return np.zeros(self.batch, dtype=self.voltages.dtype)
        try:
            return self.voltages[:, self.nodes.index(node)]
        except ValueError:
            raise KeyError(f"no node named {node!r}") from None

    def current(self, element: str) -> np.ndarray:
        """Current of one element (amperes), shape (batch,)."""
        return self.currents[element.lower()]

"""Controlled sources (E, G, F, H) as linear laws over the modified nodal unknowns.

The newton solver's unknowns per example are the voltages of every node but ground
(node k < ground is unknown k), then one current per edge of the tie forest (edge e is
unknown n_all - 1 + e: the current from the edge's parent node through its element into
its child; the element's SPICE current is -sign[e] times it). In these terms:

- a G or F card is a current source whose current (SPICE sign: from n+ through the
  element to n-) is a linear function of the unknowns: `output_law @ x` amperes;
- an E or H card is a tie whose voltage v(child) - v(parent) = sign * value is a linear
  function of the unknowns; `tie_law @ x` is what its tie equation subtracts.

cd and qp use none of this: they handle VCVS by fixed-point passes and refuse G, F, H.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..model.elements import Element


@dataclass(frozen=True)
class Couplings:
    """The controlled sources of a compiled circuit as sparse linear laws.

    names: the G and F elements, in card order (G first). pos, neg: (n_outputs,) node
        indices of their n+ and n- pins.
    output_law: (n_outputs, n_unknowns) CSR; row k gives output k's current, amperes, from
        the unknowns (coefficients in siemens for node voltages, A/A for tie currents).
    tie_law: (n_ties, n_unknowns) CSR; row e gives the voltage that tie edge e's equation
        adds to its fixed value, volts (V/V for node voltages, ohms for tie currents); rows
        of plain voltage sources and clamps are empty.
    """

    names: list[str]
    pos: np.ndarray
    neg: np.ndarray
    output_law: sp.csr_matrix
    tie_law: sp.csr_matrix


def build_couplings(*, index: dict[str, int], ground: int, tree, tie_edge: dict[str, int],
                    vcvs: list[Element], vccs: list[Element], cccs: list[Element],
                    ccvs: list[Element]) -> Couplings:
    """The laws of the controlled sources.

    index: node name -> node index; ground: the ground's index (the last; dropped).
    tree: the circuit's `TieTree`; tie_edge: name of each element on a tie edge -> edge.
    vcvs, vccs, cccs, ccvs: the E, G, F and H elements.
    """
    n_nodes, n_ties = ground, len(tree.child)
    size = n_nodes + n_ties

    def node(name: str) -> int:
        k = index[name]
        return -1 if k == ground else k

    def branch(element: Element) -> tuple[int, float]:
        """(unknown of the named element's tie current, factor from it to the SPICE current)."""
        edge = tie_edge[element.spec]
        return n_nodes + edge, -float(tree.sign[edge])

    def law(rows_of: int, entries: list[tuple[int, int, float]]) -> sp.csr_matrix:
        kept = [(r, c, d) for r, c, d in entries if c >= 0]
        r, c, d = (np.array(column) for column in zip(*kept)) if kept else ([], [], [])
        return sp.csr_matrix((np.asarray(d, dtype=float), (np.asarray(r, dtype=np.int64),
                             np.asarray(c, dtype=np.int64))), shape=(rows_of, size))

    outputs = []
    for k, element in enumerate(vccs):
        gain = element.value
        outputs += [(k, node(element.nodes[2]), gain), (k, node(element.nodes[3]), -gain)]
    for k, element in enumerate(cccs, start=len(vccs)):
        column, factor = branch(element)
        outputs.append((k, column, element.value * factor))
    ties = []
    for element in vcvs:
        edge = tie_edge[element.name]
        gain = float(tree.sign[edge]) * element.value
        ties += [(edge, node(element.nodes[2]), gain), (edge, node(element.nodes[3]), -gain)]
    for element in ccvs:
        edge = tie_edge[element.name]
        column, factor = branch(element)
        ties.append((edge, column, float(tree.sign[edge]) * element.value * factor))
    controlled = vccs + cccs
    return Couplings(names=[e.name for e in controlled],
                     pos=np.array([index[e.nodes[0]] for e in controlled], dtype=np.int64),
                     neg=np.array([index[e.nodes[1]] for e in controlled], dtype=np.int64),
                     output_law=law(len(controlled), outputs), tie_law=law(n_ties, ties))

"""Compile a Circuit into the flat arrays the solvers work on.

Node indexing: the circuit's nodes first (in `Circuit.nodes` order), then internal nodes
(the junction side of Shockley diodes with RS > 0), then ground, last. Voltage sources,
VCVS outputs and clamps tie nodes into *groups* that move together: within a group each
node sits at a fixed offset from the group's voltage. A group that contains ground is
fixed; every other group is one unknown of the coordinate descent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp

from ..model.circuit import Circuit
from ..model.elements import Term
from ..model.topology import GROUND, canonical_node, incidence_matrix
from .couplings import Couplings, build_couplings
from .values import CircuitValues


def as_slice(index: np.ndarray) -> np.ndarray | slice:
    """An index array as a slice when it counts up by one (a view instead of a gather), else unchanged."""
    if index.size and np.array_equal(index, np.arange(index[0], index[0] + index.size)):
        return slice(int(index[0]), int(index[0]) + index.size)
    return index


@dataclass
class TieTree:
    """Voltage sources, VCVS and CCVS outputs and clamps as a forest, edges in breadth-first order.

    Each edge sets off[child] = off[parent] + sign * value, where value is the edge's
    source voltage (volts). kinds: 0 voltage source (V and L), 1 VCVS, 2 clamp, 3 CCVS;
    index: position in that kind's table. levels: edge slices of equal depth, root side first.
    """

    parent: np.ndarray
    child: np.ndarray
    sign: np.ndarray
    kind: np.ndarray
    index: np.ndarray
    levels: list[slice]


@dataclass
class CompiledCircuit:
    """Solver-ready arrays of a circuit (see the module docstring for node indexing).

    Resistors (circuit's first, then RS and GMIN resistors of Shockley diodes):
      res_a, res_b (n_res,) node indices; res_names; netlist_conductance (n_res,) siemens,
      the netlist's (read-only; the values solved with are a `CircuitValues`).
    Ideal diodes: ideal_a, ideal_c (anode, cathode), ideal_vf (volts), ideal_names.
    Shockley junctions (`model.junction`, after temperature and area scaling): shock_a,
      shock_c, shock_is (amperes), shock_nvt (N*VT volts), shock_bv (breakdown knee, volts,
      inf: none), shock_nbvt (NBV*VT volts), shock_ikf (amperes, 0: none), the forward
      recombination current: shock_isr (ISR amperes, 0: none), shock_nrvt (NR*VT volts),
      shock_vj (junction potential, volts), shock_mj (grading coefficient); shock_names.
    Sources: vsrc_names; isrc_names, isrc_pos, isrc_neg; vcvs_names, vcvs_pos, vcvs_neg,
      vcvs_cpos, vcvs_cneg, vcvs_gain; ccvs_names (H cards, tie kind 3); couplings: every
      controlled source as a linear law for newton (`compile.couplings`); clamp_nodes
      (node indices of clamped nodes).
    Groups: group_of (n_all,) group index or -1 (fixed); grp_ptr/grp_nodes members CSR,
      groups in colour order; tree: the TieTree giving node offsets.
    Adjacency CSR per node: adj_ptr, adj_node, adj_res (resistor index);
      idio_ptr/idio_idx/idio_role (ideal diodes; role +1 anode, -1 cathode), same for sdio_.
    pair_diodes: ideal diodes whose two terminals are in different free groups;
      pgrp_ptr/pgrp_idx: group -> its pair diodes CSR.
    """

    circuit: Circuit
    node_names: list[str]
    n_user: int
    res_a: np.ndarray
    res_b: np.ndarray
    netlist_conductance: np.ndarray
    res_names: list[str]
    ideal_a: np.ndarray
    ideal_c: np.ndarray
    ideal_vf: np.ndarray
    ideal_names: list[str]
    shock_a: np.ndarray
    shock_c: np.ndarray
    shock_is: np.ndarray
    shock_nvt: np.ndarray
    shock_bv: np.ndarray
    shock_nbvt: np.ndarray
    shock_ikf: np.ndarray
    shock_isr: np.ndarray
    shock_nrvt: np.ndarray
    shock_vj: np.ndarray
    shock_mj: np.ndarray
    shock_names: list[str]
    vsrc_names: list[str]
    isrc_names: list[str]
    isrc_pos: np.ndarray
    isrc_neg: np.ndarray
    vcvs_names: list[str]
    vcvs_pos: np.ndarray
    vcvs_neg: np.ndarray
    vcvs_cpos: np.ndarray
    vcvs_cneg: np.ndarray
    vcvs_gain: np.ndarray
    ccvs_names: list[str]
    couplings: Couplings
    clamp_nodes: np.ndarray
    group_of: np.ndarray
    grp_ptr: np.ndarray
    grp_nodes: np.ndarray
    tree: TieTree
    adj_ptr: np.ndarray
    adj_node: np.ndarray
    adj_res: np.ndarray
    idio_ptr: np.ndarray
    idio_idx: np.ndarray
    idio_role: np.ndarray
    sdio_ptr: np.ndarray
    sdio_idx: np.ndarray
    sdio_role: np.ndarray
    pair_diodes: np.ndarray
    pgrp_ptr: np.ndarray
    pgrp_idx: np.ndarray
    _derived: dict = field(default_factory=dict, repr=False)

    @property
    def n_all(self) -> int:
        """Number of nodes including internal ones and ground."""
        return len(self.node_names)

    @property
    def ground(self) -> int:
        """Index of the ground node (the last one)."""
        return len(self.node_names) - 1

    @property
    def n_groups(self) -> int:
        """Number of free groups (unknowns)."""
        return len(self.grp_ptr) - 1

    @property
    def plain_junctions(self) -> bool:
        """Every Shockley junction follows the plain exponential (no breakdown, knee or
        recombination current): the law cd and qp model; newton models them all."""
        return not (np.isfinite(self.shock_bv).any() or (self.shock_ikf > 0).any() or (self.shock_isr > 0).any())

    @property
    def nonsymmetric(self) -> bool:
        """The circuit has G, F or H cards: only the newton solver takes it."""
        return bool(self.couplings.names or self.ccvs_names)

    def tie_element_names(self) -> list[str | None]:
        """The element on each tie edge (None for a clamp), in tree order."""
        tables = [self.vsrc_names, self.vcvs_names, None, self.ccvs_names]
        return [None if tables[kind] is None else tables[kind][k]
                for kind, k in zip(self.tree.kind, self.tree.index)]

    @property
    def n_circuit_res(self) -> int:
        """Number of the circuit's own resistors (they come first in the resistor tables)."""
        return len(self.res_names) - sum(1 for name in self.res_names if "#" in name)

    def values(self) -> CircuitValues:
        """A new, editable `CircuitValues` holding the netlist's conductances and source values."""
        return self.netlist_values.copy()

    @property
    def netlist_values(self) -> CircuitValues:
        """The netlist's values, read-only: what `solve` uses when given no values (cached)."""
        return self.derived("netlist_values", lambda: CircuitValues(
            self.netlist_conductance, self.sources.defaults, frozen=True))

    def circuit_with(self, values: CircuitValues | None) -> Circuit:
        """A copy of the circuit carrying `values` (None: the netlist's): resistances from
        the conductances and source values, so the reference solvers (qp, spice) and the
        writer see what cd sees."""
        import copy

        circuit = copy.deepcopy(self.circuit)
        if values is None:
            return circuit
        self.check_values(values)
        for name, g in zip(self.res_names[:self.n_circuit_res], values.conductance):
            circuit.elements[name].value = 1.0 / float(g)
        for name, value in zip(self.sources.names, values.sources):
            if name not in self.sources.fixed:  # L and C keep their inductance, capacitance
                circuit.elements[name].value = float(value)
        return circuit

    def check_values(self, values: CircuitValues) -> None:
        """Raise ValueError unless `values` has this circuit's numbers of resistors and sources."""
        if values.conductance.shape != self.netlist_conductance.shape \
                or values.sources.shape != self.sources.defaults.shape:
            raise ValueError(
                f"values hold {values.conductance.shape[0]} conductances and {values.sources.shape[0]} "
                f"source values; this circuit has {self.netlist_conductance.shape[0]} resistors and "
                f"{self.sources.defaults.shape[0]} sources (make them with compiled.values())")

    def node_index(self, name: str) -> int:
        """Index of a node by name ("0" or "gnd" is ground)."""
        name = canonical_node(name)
        return self.ground if name == GROUND else self._index[name]

    def with_clamped(self, nodes: tuple[str, ...]) -> "CompiledCircuit":
        """The same circuit with `nodes` fixed by clamps (cached); it takes the same values
        (clamps add no resistor or source)."""
        if not nodes:
            return self
        return self.derived(("clamped", nodes), lambda: compile_circuit(self.circuit, clamp=nodes))

    def __post_init__(self) -> None:
        self._index = {name: k for k, name in enumerate(self.node_names)}
        self.netlist_conductance.flags.writeable = False

    @property
    def sources(self):
        """The circuit's SourceTable (`circuitnet.compile.conditions`), cached."""
        from .conditions import SourceTable

        return self.derived("sources", lambda: SourceTable.of(self.circuit))

    def layer_plan(self):
        """The layered structure (`solvers.layered.LayerPlan`), or None when not layered (cached)."""
        from ..solvers.layered import plan_layers

        return self.derived("layers", lambda: plan_layers(self))

    def incidence(self) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Sparse (n_all, n) matrices mapping branch currents to node inflows.

        Returns (resistors, ideal diodes, Shockley junctions): column k has -1 at the
        element's first terminal and +1 at its second, so `inflow = currents @ M.T`.
        """
        return self.derived("incidence", lambda: tuple(
            incidence_matrix(a, b, self.n_all) for a, b in
            ((self.res_a, self.res_b), (self.ideal_a, self.ideal_c), (self.shock_a, self.shock_c))))

    def derived(self, key, compute: Callable[[], object]):
        """The value of `compute()` for `key`, computed on first use and kept: the one
        store of data derived from this circuit's tables (plans, incidence matrices,
        clamped variants); data derived from values keys on `CircuitValues.key`."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]


def compile_circuit(circuit: Circuit, clamp: tuple[str, ...] = ()) -> CompiledCircuit:
    """Build the solver arrays of a validated circuit; `clamp` names nodes to hold fixed."""
    names = circuit.nodes
    resistors = list(circuit.with_term(Term.EDGE))
    ideal = list(circuit.with_term(Term.IDEAL_LIMIT))
    shockley = list(circuit.with_term(Term.JUNCTION))
    laws = [circuit.junction(d) for d in shockley]
    internal = [f"{d.name}#junction" for d, law in zip(shockley, laws) if law.series > 0]
    node_names = names + internal + [GROUND]
    index = {name: k for k, name in enumerate(node_names)}

    def idx(nodes) -> np.ndarray:
        return np.array([index[canonical_node(n)] for n in nodes], dtype=np.int64)

    res_a = [index[r.nodes[0]] for r in resistors]
    res_b = [index[r.nodes[1]] for r in resistors]
    conductance = [1.0 / r.value for r in resistors]
    res_names = [r.name for r in resistors]
    shock = _shockley_tables(circuit, shockley, laws, index, res_a, res_b, conductance, res_names)
    sources = list(circuit.with_term(Term.TIE))
    vcvs = list(circuit.with_term(Term.CONTROLLED))
    ccvs = list(circuit.with_term(Term.TRANSRESISTANCE))
    currents = list(circuit.with_term(Term.INJECTION))
    n_all = len(node_names)
    res_a, res_b = np.array(res_a, dtype=np.int64), np.array(res_b, dtype=np.int64)
    ideal_a, ideal_c = idx(d.nodes[0] for d in ideal), idx(d.nodes[1] for d in ideal)
    tie_edges = ([(index[e.nodes[0]], index[e.nodes[1]], 0, k) for k, e in enumerate(sources)]
                 + [(index[e.nodes[0]], index[e.nodes[1]], 1, k) for k, e in enumerate(vcvs)]
                 + [(index[n], index[GROUND], 2, k) for k, n in enumerate(clamp)]
                 + [(index[e.nodes[0]], index[e.nodes[1]], 3, k) for k, e in enumerate(ccvs)])
    tree, group_root = _tie_tree(tie_edges, n_all, index[GROUND])
    on_edge = {(kind, k): edge for edge, (kind, k) in enumerate(zip(tree.kind.tolist(), tree.index.tolist()))}
    tie_edge = {e.name: on_edge[kind, k] for kind, table in ((0, sources), (1, vcvs), (3, ccvs))
                for k, e in enumerate(table)}
    couplings = build_couplings(index=index, ground=index[GROUND], tree=tree, tie_edge=tie_edge, vcvs=vcvs,
                                vccs=list(circuit.with_term(Term.TRANSCONDUCTANCE)),
                                cccs=list(circuit.with_term(Term.CURRENT_GAIN)), ccvs=ccvs)
    group_of, grp_ptr, grp_nodes = _groups(group_root, index[GROUND], res_a, res_b,
                                           np.concatenate([ideal_a, shock[0]]),
                                           np.concatenate([ideal_c, shock[1]]), idx(clamp))
    pair = np.flatnonzero((group_of[ideal_a] >= 0) & (group_of[ideal_c] >= 0)
                          & (group_of[ideal_a] != group_of[ideal_c]))
    return CompiledCircuit(
        circuit=circuit, node_names=node_names, n_user=len(names),
        res_a=res_a, res_b=res_b, netlist_conductance=np.array(conductance, dtype=float), res_names=res_names,
        ideal_a=ideal_a, ideal_c=ideal_c,
        ideal_vf=np.array([circuit.models[d.model].vf for d in ideal], dtype=float),
        ideal_names=[d.name for d in ideal],
        shock_a=shock[0], shock_c=shock[1], shock_is=shock[2], shock_nvt=shock[3],
        shock_bv=shock[4], shock_nbvt=shock[5], shock_ikf=shock[6], shock_isr=shock[7], shock_nrvt=shock[8],
        shock_vj=shock[9], shock_mj=shock[10],
        shock_names=[d.name for d in shockley],
        vsrc_names=[e.name for e in sources],
        isrc_names=[e.name for e in currents],
        isrc_pos=idx(e.nodes[0] for e in currents), isrc_neg=idx(e.nodes[1] for e in currents),
        vcvs_names=[e.name for e in vcvs],
        vcvs_pos=idx(e.nodes[0] for e in vcvs), vcvs_neg=idx(e.nodes[1] for e in vcvs),
        vcvs_cpos=idx(e.nodes[2] for e in vcvs), vcvs_cneg=idx(e.nodes[3] for e in vcvs),
        vcvs_gain=np.array([e.value for e in vcvs], dtype=float),
        ccvs_names=[e.name for e in ccvs], couplings=couplings,
        clamp_nodes=idx(clamp),
        group_of=group_of, grp_ptr=grp_ptr, grp_nodes=grp_nodes, tree=tree,
        **_adjacency("adj", n_all, res_a, res_b, np.arange(len(res_a))),
        **_diode_incidence("idio", n_all, ideal_a, ideal_c),
        **_diode_incidence("sdio", n_all, shock[0], shock[1]),
        pair_diodes=pair.astype(np.int64),
        **_group_pairs(group_of, ideal_a, ideal_c, pair, len(grp_ptr) - 1),
    )


def _group_pairs(group_of, ideal_a, ideal_c, pair, n_groups) -> dict:
    """Group -> ideal diodes joining it to another free group, as CSR arrays."""
    groups = np.concatenate([group_of[ideal_a[pair]], group_of[ideal_c[pair]]]).astype(np.int64)
    csr = _csr_by_node(n_groups, groups, {"idx": np.concatenate([pair, pair])})
    return {"pgrp_ptr": csr["ptr"], "pgrp_idx": csr["idx"]}


def _shockley_tables(circuit, shockley, laws, index, res_a, res_b, conductance, res_names):
    """Junction tables of Shockley diodes (anode, cathode, and the `Junction` fields as
    arrays); appends their RS and GMIN resistors in place."""
    anodes, cathodes = [], []
    for diode, law in zip(shockley, laws):
        anode, cathode = index[diode.nodes[0]], index[diode.nodes[1]]
        if law.series > 0:
            junction = index[f"{diode.name}#junction"]
            res_a.append(anode), res_b.append(junction)
            conductance.append(1.0 / law.series), res_names.append(f"{diode.name}#rs")
            anode = junction
        res_a.append(anode), res_b.append(cathode)
        conductance.append(circuit.gmin), res_names.append(f"{diode.name}#gmin")
        anodes.append(anode), cathodes.append(cathode)
    field_of = lambda name: np.array([getattr(law, name) for law in laws], dtype=float)  # noqa: E731
    return (np.array(anodes, dtype=np.int64), np.array(cathodes, dtype=np.int64),
            *(field_of(name) for name in ("saturation", "nvt", "breakdown", "nbv_vt", "knee", "recombination",
                                          "nr_vt", "potential", "grading")))


def _tie_tree(edges, n_all: int, ground: int) -> tuple[TieTree, np.ndarray]:
    """Breadth-first forest of tie edges; returns it and each node's root.

    A component that holds ground is rooted at ground (fixed); any other at its lowest node.
    """
    neighbours: dict[int, list] = {}
    for pos, neg, kind, k in edges:
        neighbours.setdefault(pos, []).append((neg, -1, kind, k))
        neighbours.setdefault(neg, []).append((pos, +1, kind, k))
    root = np.arange(n_all, dtype=np.int64)
    visited: set[int] = set()
    rows = []
    for start in [ground] + sorted(neighbours):
        if start in visited or start not in neighbours:
            continue
        visited.add(start)
        frontier, depth = [start], 0
        while frontier:
            depth += 1
            following = []
            for node in frontier:
                for other, sign, kind, k in neighbours[node]:
                    if other not in visited:
                        visited.add(other)
                        root[other] = start
                        rows.append((node, other, sign, kind, k, depth))
                        following.append(other)
            frontier = following
    table = np.array(rows, dtype=np.int64).reshape(-1, 6)
    depths = table[:, 5]
    levels = [slice(int(np.searchsorted(depths, d)), int(np.searchsorted(depths, d, side="right")))
              for d in np.unique(depths)]
    tree = TieTree(parent=table[:, 0], child=table[:, 1], sign=table[:, 2], kind=table[:, 3],
                   index=table[:, 4], levels=levels)
    return tree, root


def _groups(root, ground, edge_a, edge_b, diode_a, diode_c, clamped):
    """Group index per node (-1 fixed) and the members CSR, groups in colour order.

    The colour classes are the sweep plan of the cd solver (see `_colour_classes`).
    """
    free_roots = np.unique(root[root != root[ground]])
    free_roots = free_roots[free_roots != ground]
    group_id = np.full(len(root), -1, dtype=np.int64)
    position = {r: k for k, r in enumerate(free_roots)}
    for node, r in enumerate(root):
        if r != root[ground]:
            group_id[node] = position[r]
    sources = group_id < 0
    sources[clamped] = False
    colour = _colour_classes(len(free_roots), group_id, sources, edge_a, edge_b, diode_a, diode_c)
    order = np.lexsort((np.arange(len(free_roots)), colour))
    rank = np.empty(len(free_roots), dtype=np.int64)
    rank[order] = np.arange(len(free_roots))
    group_of = np.full(len(root), -1, dtype=np.int64)
    group_of[group_id >= 0] = rank[group_id[group_id >= 0]]
    members = np.flatnonzero(group_of >= 0)
    members = members[np.lexsort((members, group_of[members]))]
    counts = np.bincount(group_of[members], minlength=len(free_roots))
    grp_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return group_of, grp_ptr, members.astype(np.int64)


def _colour_classes(n_groups: int, group_id: np.ndarray, sources: np.ndarray, edge_a, edge_b,
                    diode_a, diode_c) -> np.ndarray:
    """Colour per free group: groups of one colour touch no common element, so a sweep
    may update them in any order, or all at once.

    Layer parity where it is a colouring: the breadth-first distance over resistors from
    the fixed nodes (clamps excepted), odd distances first. On a layered network these
    are the layers of odd, then even depth, the order of the dense blocks. Elsewhere
    networkx's greedy colouring (largest first).
    """
    import networkx as nx

    a, b = group_id[np.concatenate([edge_a, diode_a])], group_id[np.concatenate([edge_b, diode_c])]
    keep = (a >= 0) & (b >= 0) & (a != b)
    graph = nx.Graph()
    graph.add_nodes_from(range(n_groups))
    graph.add_edges_from(zip(a[keep].tolist(), b[keep].tolist()))
    ra, rb = group_id[edge_a], group_id[edge_b]
    seeds = np.unique(np.concatenate([ra[sources[edge_b] & (ra >= 0)], rb[sources[edge_a] & (rb >= 0)]]))
    resistive = nx.Graph()
    resistive.add_nodes_from(range(n_groups))
    both = (ra >= 0) & (rb >= 0) & (ra != rb)
    resistive.add_edges_from(zip(ra[both].tolist(), rb[both].tolist()))
    distance = nx.multi_source_dijkstra_path_length(resistive, set(seeds.tolist()), weight=None) \
        if len(seeds) else {}
    if len(distance) == n_groups:
        parity = np.array([distance[g] % 2 for g in range(n_groups)], dtype=np.int64)  # seeds: 0
        if not np.any(parity[a[keep]] == parity[b[keep]]):
            return parity
    greedy = nx.greedy_color(graph, strategy="largest_first")
    return np.array([greedy[g] for g in range(n_groups)], dtype=np.int64)


def _csr_by_node(n_all: int, nodes: np.ndarray, columns: dict[str, np.ndarray]) -> dict:
    """Sort `columns` by `nodes` into a CSR: returns {"ptr": ..., name: sorted column, ...}."""
    order = np.argsort(nodes, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(nodes, minlength=n_all))]).astype(np.int64)
    return {"ptr": ptr, **{name: np.asarray(col, dtype=np.int64)[order] for name, col in columns.items()}}


def _adjacency(prefix: str, n_all: int, a: np.ndarray, b: np.ndarray, element: np.ndarray) -> dict:
    """Node -> (neighbour, element) CSR arrays for two-terminal elements."""
    csr = _csr_by_node(n_all, np.concatenate([a, b]),
                       {"node": np.concatenate([b, a]), "res": np.concatenate([element, element])})
    return {f"{prefix}_{name}": array for name, array in csr.items()}


def _diode_incidence(prefix: str, n_all: int, anode: np.ndarray, cathode: np.ndarray) -> dict:
    """Node -> (diode, role) CSR arrays; role +1 where the node is the anode, -1 the cathode."""
    n = len(anode)
    csr = _csr_by_node(n_all, np.concatenate([anode, cathode]).astype(np.int64),
                       {"idx": np.concatenate([np.arange(n), np.arange(n)]),
                        "role": np.concatenate([np.ones(n), -np.ones(n)])})
    return {f"{prefix}_{name}": array for name, array in csr.items()}

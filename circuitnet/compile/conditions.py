"""Operating conditions of a solve: source values per example, nudging and clamping.

Every solver takes the same `Conditions`, built once by `make_conditions`, so the three
solvers read inputs in exactly the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

import numpy as np

from ..errors import CircuitValidationError, DataError
from ..model.circuit import Circuit
from ..model.elements import Term
from .values import finite_real

Inputs = Union[None, np.ndarray, Mapping[str, Union[float, np.ndarray]]]


@dataclass
class Nudge:
    """Soft nudging of output nodes: adds beta/2 * sum_o (v_o - y_o)^2 to the energy.

    Electrically, a conductance `beta` siemens from each node to a voltage source at its
    target. nodes: k node names; beta: siemens (may be negative for negative EP);
    targets: volts, shape (batch, k).
    """

    nodes: list[str]
    beta: float
    targets: np.ndarray


@dataclass
class Clamp:
    """Hard clamping of nodes to given voltages (contrastive and coupled learning).

    nodes: k node names; values: volts, shape (batch, k).
    """

    nodes: list[str]
    values: np.ndarray


@dataclass
class SourceTable:
    """The circuit's voltage and current sources, in card order, with their netlist values.

    names: lower-case names of the elements whose term is a TIE or an INJECTION (sources,
    and inductors and capacitors: 0 V ties and 0 A injections at DC); defaults: their DC
    values (volts or amperes; `ElementKind.dc`, so 0 for an inductor or a capacitor, not
    its inductance or capacitance), shape (n,), read-only;
    column: name -> position; inputs: positions of the `*@ input` sources (or None);
    nodes: the circuit's node names, to check nudged and clamped nodes against;
    fixed: names whose DC value their kind fixes (`ElementKind.dc_value`): no input sets them.
    Build it once per circuit (`SourceTable.of`) when solving it many times.
    """

    names: list[str]
    defaults: np.ndarray
    column: dict[str, int]
    inputs: np.ndarray | None
    nodes: frozenset[str]
    fixed: frozenset[str] = frozenset()
    _positions: dict = field(default_factory=dict, repr=False, compare=False)

    def positions(self, names: list[str]) -> np.ndarray:
        """Columns of the named sources (an index array), kept per list object (the
        compiled circuit's name lists live as long as it does)."""
        known = self._positions.get(id(names))
        if known is None or known[0] is not names:
            known = self._positions[id(names)] = (names, np.array([self.column[n] for n in names], dtype=np.intp))
        return known[1]

    @classmethod
    def of(cls, circuit: Circuit) -> "SourceTable":
        """The table of a circuit's sources."""
        sources = [e for e in circuit.elements.values() if circuit.term_of(e) in (Term.TIE, Term.INJECTION)]
        names = [e.name for e in sources]
        column = {name: k for k, name in enumerate(names)}
        spec = circuit.inputs
        inputs = None
        if spec is not None and all(n in column for n in spec.sources):
            inputs = np.array([column[n] for n in spec.sources], dtype=np.intp)
        defaults = np.array([e.kind.dc(e) for e in sources], dtype=float)
        defaults.flags.writeable = False
        fixed = frozenset(e.name for e in sources if e.kind.dc_value is not None)
        return cls(names, defaults, column, inputs, frozenset(circuit.nodes), fixed)


@dataclass
class Conditions:
    """What a solver needs besides the circuit.

    batch: number of operating points.
    table: the circuit's sources; values: their values per example, shape (batch, n)
        (volts or amperes). VCVS gains are taken from the circuit.
    nudge, clamp: optional, see `Nudge` and `Clamp`.
    """

    batch: int
    table: SourceTable
    values: np.ndarray
    nudge: Nudge | None = None
    clamp: Clamp | None = None

    @property
    def sources(self) -> dict[str, np.ndarray]:
        """Source name -> its values per example, shape (batch,)."""
        return {name: self.values[:, k] for k, name in enumerate(self.table.names)}


def make_conditions(circuit: Circuit, inputs: Inputs = None, *, nudge: Nudge | None = None,
                    clamp: Clamp | None = None, table: SourceTable | None = None,
                    source_values: np.ndarray | None = None) -> Conditions:
    """Resolve `inputs` into per-example source values.

    inputs: None (the netlist's values); a mapping from source name to a value or an
        array of shape (batch,); or an array of shape (batch, n_features) (or
        (n_features,)) for the `*@ input` sources, scaled by the directive's gain and
        mirrored when it says so.
    table: the circuit's SourceTable, when the caller keeps one (saves a pass over the
        elements of a large circuit).
    source_values: (n_sources,) the values of the sources the inputs do not set, in
        `table.names` order (`CircuitValues.sources`); default the netlist's.
    """
    table = table or SourceTable.of(circuit)
    defaults = table.defaults if source_values is None else source_values
    if inputs is None or isinstance(inputs, Mapping):
        overrides = {name.lower(): finite_real(v, f"the value of {name}") for name, v in (inputs or {}).items()}
        unknown = sorted(set(overrides) - set(table.column))
        if unknown:
            raise CircuitValidationError(
                f"cannot set {', '.join(unknown)}: no voltage or current source of that name")
        fixed = sorted(set(overrides) & table.fixed)
        if fixed:
            raise CircuitValidationError(
                f"cannot set {', '.join(fixed)}: not a source; its DC value is fixed by its kind "
                f"(an inductor is 0 V at DC, a capacitor 0 A)")
        batch = _batch_size([v.shape[0] for v in overrides.values() if v.ndim == 1], nudge, clamp)
        values = np.repeat(defaults[None, :], batch, axis=0)
        for name, value in overrides.items():
            if value.ndim > 1:
                raise DataError(f"the value of {name} has shape {value.shape}: give a number, or "
                                f"one per example (batch,)")
            values[:, table.column[name]] = value
    else:
        features = _input_values(circuit, finite_real(inputs, "inputs"))
        batch = _batch_size([features.shape[0]], nudge, clamp)
        values = np.repeat(defaults[None, :], batch, axis=0)
        values[:, table.inputs] = features
    for extra in (nudge, clamp):
        check_nodes(table, extra, batch)
    return Conditions(batch, table, values, nudge, clamp)


def _input_values(circuit: Circuit, x: np.ndarray) -> np.ndarray:
    """Values of the `*@ input` sources (batch, n_sources) for features x (batch, n_features)."""
    spec = circuit.inputs
    if spec is None:
        raise DataError(f"{circuit.source_file}: the netlist has no '*@ input' directive, "
                        "so an input array cannot be applied")
    x = np.atleast_2d(x)
    if x.ndim != 2 or x.shape[1] != spec.n_features:
        raise DataError(f"inputs have shape {x.shape}, expected (batch, {spec.n_features}) "
                        f"for the {spec.n_features} features of '*@ input'")
    values = spec.gain * x
    return np.concatenate([values, -values], axis=1) if spec.mirror else values


def _batch_size(sizes: list[int], nudge: Nudge | None, clamp: Clamp | None) -> int:
    found = set(sizes) | {np.atleast_2d(c.targets if isinstance(c, Nudge) else c.values).shape[0]
                          for c in (nudge, clamp) if c is not None}
    if len(found) > 1:
        raise DataError(f"inconsistent batch sizes in the inputs: {sorted(found)}")
    return found.pop() if found else 1


def check_nodes(table: SourceTable, extra: Nudge | Clamp | None, batch: int) -> None:
    """Raise CircuitValidationError for unknown nodes in a nudge or clamp, DataError for
    values whose shape is not (batch, number of nodes)."""
    if extra is None:
        return
    unknown = [n for n in extra.nodes if n not in table.nodes]
    if unknown:
        raise CircuitValidationError(f"unknown node(s) {unknown} in {type(extra).__name__.lower()}")
    what = type(extra).__name__.lower()
    values = finite_real(extra.targets if isinstance(extra, Nudge) else extra.values, f"{what} values")
    if isinstance(extra, Nudge):
        finite_real(extra.beta, "the nudge's beta")
    if np.atleast_2d(values).shape != (batch, len(extra.nodes)):
        raise DataError(f"{what} values have shape {np.shape(values)}, "
                        f"expected ({batch}, {len(extra.nodes)})")

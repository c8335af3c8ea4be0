"""The Circuit model: named nodes and elements, the `*@` metadata, validation.

`Circuit.compile()` turns it into the arrays a solver works on (see `compile/tables.py`).
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from ..errors import CircuitValidationError, Location
from .elements import DiodeModel, Element, Term
from .junction import Junction, junction_of
from .topology import GROUND as GROUND

if TYPE_CHECKING:  # pragma: no cover
    import networkx

    from ..compile.tables import CompiledCircuit


@dataclass
class InputSpec:
    """The `*@ input` directive: voltage sources driven by the data.

    sources: lower-case source names; with `mirror`, the second half are the inverted copies.
    gain: source k is set to gain * x_k volts (mirror copies to -gain * x_k).
    """

    sources: list[str]
    gain: float = 1.0
    mirror: bool = False
    location: Location | None = field(default=None, compare=False)

    @property
    def n_features(self) -> int:
        """Number of data features the sources take."""
        return len(self.sources) // 2 if self.mirror else len(self.sources)


@dataclass
class Bounds:
    """The `*@ bounds` directive: the conductance range of trainable resistors, siemens."""

    gmin: float = 1e-6
    gmax: float = 1e-1

    def check(self, location: Location | None = None) -> None:
        """Raise CircuitValidationError unless 0 < gmin < gmax.

        gmin must be positive: a conductance of 0 is a removed resistor, whose 1/0 ohm
        cannot be written. location: the card to name in the error, when known.
        """
        if not 0.0 < self.gmin < self.gmax:
            raise CircuitValidationError(f"conductance bounds need 0 < gmin < gmax (siemens), got "
                                         f"gmin={self.gmin:g}, gmax={self.gmax:g}", location)


@dataclass(frozen=True)
class DcSweep:
    """A `.dc` card: source `source` swept from `start` to `stop` by `step` (volts for a V
    source, amperes for an I source; ngspice includes `stop`).

    second: the outer sweep of the two-source form `.dc SRC1 START1 STOP1 STEP1 SRC2 START2
        STOP2 STEP2` (each of its values runs the whole sweep of `source`, the inner loop, as
        in ngspice), or None.
    location: the card, for error messages.
    """

    source: str
    start: float
    stop: float
    step: float
    second: "DcSweep | None" = None
    location: Location | None = field(default=None, compare=False)


#: Circuit fields that are ngspice `.options` of the same name (temp, tnom in degrees
#: Celsius; gmin in siemens): read by the parser, written by the writer and the spice backend.
SPICE_OPTION_FIELDS = ("temp", "tnom", "gmin")


@dataclass
class Circuit:
    """A netlist's circuit: elements in card order, diode models and training metadata.

    Node names are lower-case strings; ground is "0". Element names are lower case.
    temp, tnom: the circuit temperature and the models' nominal temperature, degrees
    Celsius (`.temp`, `.options temp= tnom=`; ngspice's 27 by default). gmin: the
    conductance, siemens, that ngspice puts across every junction (`.options gmin=`).
    dc: the netlist's `.dc` sweep (`DcSweep`), or None.
    """

    title: str = ""
    elements: dict[str, Element] = field(default_factory=dict)
    models: dict[str, DiodeModel] = field(default_factory=dict)
    inputs: InputSpec | None = None
    outputs: list[str] = field(default_factory=list)
    trainable: list[str] = field(default_factory=lambda: ["r*"])
    bounds: Bounds = field(default_factory=Bounds)
    source_file: str = "<circuit>"
    temp: float = 27.0
    tnom: float = 27.0
    gmin: float = 1e-12
    dc: DcSweep | None = None

    def add(self, element: Element) -> Element:
        """Add an element; raises CircuitValidationError on a duplicate name."""
        if element.name in self.elements:
            first = self.elements[element.name].location
            where = f" (first defined at {first})" if first else ""
            raise CircuitValidationError(f"duplicate element name {element.name!r}{where}", element.location)
        self.elements[element.name] = element
        return element

    def add_model(self, model: DiodeModel) -> DiodeModel:
        """Add a diode model; raises CircuitValidationError on a duplicate name."""
        if model.name in self.models:
            raise CircuitValidationError(f"duplicate model name {model.name!r}", model.location)
        self.models[model.name] = model
        return model

    def of_kind(self, letter: str) -> Iterator[Element]:
        """Elements whose kind has the SPICE letter `letter`, in card order."""
        return (e for e in self.elements.values() if e.kind.letter == letter)

    def with_term(self, term: Term) -> Iterator[Element]:
        """Elements that lower to `term` (see `term_of`), in card order."""
        return (e for e in self.elements.values() if self.term_of(e) is term)

    @property
    def nodes(self) -> list[str]:
        """Node names other than ground, in order of first appearance."""
        seen: dict[str, None] = {}
        for element in self.elements.values():
            for node in element.nodes:
                if node != GROUND:
                    seen.setdefault(node, None)
        return list(seen)

    def trainable_names(self, letter: str = "R") -> list[str]:
        """Names of elements of kind `letter` whose value is trainable (`Param.trainable`)
        and that match a `*@ trainable` pattern, in card order."""
        return [e.name for e in self.of_kind(letter) if e.kind.trainable
                and any(fnmatch.fnmatchcase(e.name, p) for p in self.trainable)]

    def is_ideal(self, element: Element) -> bool:
        """Whether an element's model is declared ideal (False without a known model)."""
        model = self.models.get(element.model) if element.model is not None else None
        return model is not None and model.ideal

    def junction(self, diode: Element) -> Junction:
        """The DC law of a Shockley diode at this circuit's temperature (`junction.Junction`)."""
        return junction_of(self.models[diode.model].params, diode.params, self.temp, self.tnom)

    def term_of(self, element: Element) -> Term:
        """What an element contributes to the DC equations (`ElementKind.term_for` its model)."""
        return element.kind.term_for(self.is_ideal(element))

    def conducts(self, element: Element) -> bool:
        """Whether an element gives its first two pins a DC path (`ElementKind.conduction`);
        False for an element whose model is unknown."""
        if element.kind.takes_model and element.model not in self.models:
            return False
        return element.kind.conduction.holds(self.is_ideal(element))

    def graph(self) -> "networkx.MultiGraph":
        """A networkx multigraph: nodes are circuit nodes (ground included), edges are elements.

        Each element is an edge between its first two pins (further pins, such as a VCVS's
        control nodes, are added as nodes; an element without pins, a K card, is no edge).
        Each edge carries `element` (its name) and `dc` (`conducts`: resistors, voltage
        sources, inductors, VCVS outputs and Shockley diodes).
        """
        import networkx as nx

        graph = nx.MultiGraph()
        graph.add_node(GROUND)
        for element in self.elements.values():
            if len(element.nodes) < 2:
                continue
            a, b = element.nodes[:2]
            graph.add_edge(a, b, element=element.name, dc=self.conducts(element))
            graph.add_nodes_from(element.nodes[2:])
        return graph

    def validate(self) -> None:
        """Raise CircuitValidationError for anything that makes the circuit unsolvable.

        Checks element values, diode models, the `*@` directives' names, loops of voltage
        sources and nodes with no DC path to ground.
        """
        from .validation import validate_circuit

        validate_circuit(self)

    def compile(self) -> "CompiledCircuit":
        """Validate, then build the solver arrays (see `circuitnet.compile.tables`)."""
        from ..compile.tables import compile_circuit

        self.validate()
        return compile_circuit(self)

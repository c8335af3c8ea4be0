"""The Circuit model: named nodes and elements, the `*@` metadata, validation.

`Circuit.compile()` turns it into the arrays a solver works on (see `compiled.py`).
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from .elements import DIODE, RESISTOR, VCVS, VOLTAGE_SOURCE, DiodeModel, Element
from .errors import CircuitValidationError, Location

if TYPE_CHECKING:  # pragma: no cover
    import networkx

    from .compiled import CompiledCircuit

GROUND = "0"


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


@dataclass
class Circuit:
    """A netlist's circuit: elements in card order, diode models and training metadata.

    Node names are lower-case strings; ground is "0". Element names are lower case.
    """

    title: str = ""
    elements: dict[str, Element] = field(default_factory=dict)
    models: dict[str, DiodeModel] = field(default_factory=dict)
    inputs: InputSpec | None = None
    outputs: list[str] = field(default_factory=list)
    trainable: list[str] = field(default_factory=lambda: ["r*"])
    bounds: Bounds = field(default_factory=Bounds)
    source_file: str = "<circuit>"

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
        """Names of elements of kind `letter` that match a `*@ trainable` pattern."""
        return [e.name for e in self.of_kind(letter)
                if any(fnmatch.fnmatchcase(e.name, p) for p in self.trainable)]

    def is_ideal(self, diode: Element) -> bool:
        """Whether a diode element uses an ideal model."""
        return self.models[diode.model].ideal

    def graph(self) -> "networkx.MultiGraph":
        """A networkx multigraph: nodes are circuit nodes (ground included), edges are elements.

        Each edge carries `element` (its name) and `dc` (True when it conducts at DC:
        resistors, voltage sources, VCVS outputs and Shockley diodes).
        """
        import networkx as nx

        graph = nx.MultiGraph()
        graph.add_node(GROUND)
        for element in self.elements.values():
            a, b = element.nodes[:2]
            graph.add_edge(a, b, element=element.name, dc=self._conducts(element))
            if element.kind is VCVS:
                graph.add_nodes_from(element.nodes[2:])
        return graph

    def _conducts(self, element: Element) -> bool:
        if element.kind in (RESISTOR, VOLTAGE_SOURCE, VCVS):
            return True
        return element.kind is DIODE and element.model in self.models and not self.is_ideal(element)

    def validate(self) -> None:
        """Raise CircuitValidationError for anything that makes the circuit unsolvable.

        Checks element values, diode models, the `*@` directives' names, loops of voltage
        sources and nodes with no DC path to ground.
        """
        from .validation import validate_circuit

        validate_circuit(self)

    def compile(self) -> "CompiledCircuit":
        """Validate, then build the solver arrays (see `circuitnet.compiled`)."""
        from .compiled import compile_circuit

        self.validate()
        return compile_circuit(self)

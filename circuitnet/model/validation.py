"""Checks that make a circuit solvable, with errors that name the card at fault."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import CircuitValidationError
from .elements import ELEMENT_KINDS, Element, Term
from .junction import CELSIUS_TO_KELVIN, instance_failure, model_failure, model_value
from .topology import GROUND, UnionFind

if TYPE_CHECKING:  # pragma: no cover
    from .circuit import Circuit


def validate_circuit(circuit: "Circuit") -> None:
    """Raise CircuitValidationError for the first problem found (see Circuit.validate)."""
    for name in ("temp", "tnom"):
        failed = temperature_failure(f"the circuit's {name}", getattr(circuit, name))
        if failed:
            raise CircuitValidationError(failed)
    for element in circuit.elements.values():
        _check_element(circuit, element)
    _check_references(circuit)
    _check_directives(circuit)
    _check_source_loops(circuit)
    _check_dc_paths(circuit)


def _check_element(circuit: "Circuit", element: Element) -> None:
    kind = element.kind
    if len(element.nodes) != len(kind.pins):
        raise CircuitValidationError(
            f"{element.name}: a {kind.name} has {len(kind.pins)} pins, got {len(element.nodes)}",
            element.location)
    if kind.takes_model and element.model not in circuit.models:
        raise CircuitValidationError(f"{element.name}: unknown {kind.name} model {element.model!r}",
                                     element.location)
    failed = kind.failure(element)
    if failed:
        raise CircuitValidationError(failed, element.location)
    if circuit.term_of(element) is Term.EDGE and not math.isfinite(1.0 / element.value):
        raise CircuitValidationError(f"{element.name}: {kind.value.name} {element.value:g} {kind.value.unit} "
                                     f"is too small: its conductance overflows float64", element.location)
    if kind.model_type == "d" and not circuit.is_ideal(element):
        model = circuit.models[element.model]
        tnom = model_value(model.params, "tnom")
        failed = model_failure(model.params) or (tnom is not None and temperature_failure("model TNOM", tnom))
        if failed:
            raise CircuitValidationError(f".model {model.name}: {failed}", model.location)
        failed = instance_failure(element.params) or _junction_failure(circuit, element)
        if failed:
            raise CircuitValidationError(f"{element.name}: {failed}", element.location)


def temperature_failure(what: str, celsius: float) -> str | None:
    """Why `celsius` cannot be `what`, a temperature in degrees Celsius, or None."""
    if not -CELSIUS_TO_KELVIN < celsius < math.inf:
        return f"{what} must be above absolute zero (-273.15 degrees Celsius), got {celsius:g}"
    return None


def _junction_failure(circuit: "Circuit", diode: Element) -> str | None:
    """Why a Shockley diode's DC law at the circuit's temperature is unusable, or None: its
    instance temperature at or below absolute zero, or a law that cannot be computed, is not
    finite or has the wrong sign (dtemp taking it below absolute zero, TRS1 making RS negative)."""
    if "temp" in diode.params and temperature_failure("instance temp", diode.params["temp"]):
        return temperature_failure("instance temp", diode.params["temp"])
    try:
        law = circuit.junction(diode)
    except (ValueError, ArithmeticError) as error:
        reason = str(error)
    else:
        series_ok = law.series == 0.0 or 0.0 < law.series and math.isfinite(1.0 / law.series)
        fine = 0.0 < law.saturation < math.inf and 0.0 < law.nvt < math.inf and series_ok
        reason = None if fine else (f"IS*area*m = {law.saturation:g} A, N*VT = {law.nvt:g} V, "
                                    f"RS/area = {law.series:g} ohm")
    if reason is None:
        return None
    return (f"its junction law at the circuit's temperature is not usable ({reason}): the "
            f"temperature (.temp, or the instance's temp=, plus its dtemp=) and the model's TNOM must "
            f"be above -273.15 degrees Celsius, and IS, RS with TRS1/TRS2 and EG/XTI must keep the "
            f"law finite and positive")


def _check_references(circuit: "Circuit") -> None:
    """Elements that name other elements (a K card's inductors, an F or H card's controlling
    branch) name distinct ones of the declared kinds (ngspice crashes on a K card that names
    a resistor)."""
    for element in circuit.elements.values():
        letters = element.kind.references
        if not letters:
            continue
        names = (element.spec or "").split()
        if len(names) != len(letters):
            raise CircuitValidationError(f"{element.name}: a {element.kind.name} names {len(letters)} "
                                         f"elements, got {len(names)}", element.location)
        if len(set(names)) != len(names):
            raise CircuitValidationError(f"{element.name}: names {names[0]!r} twice", element.location)
        for name, letter in zip(names, letters):
            other = circuit.elements.get(name)
            if other is None or other.kind.letter not in letter:
                what = "no element" if other is None else f"a {other.kind.name}"
                raise CircuitValidationError(
                    f"{element.name}: names {name!r}, which is {what}; a {element.kind.name} "
                    f"needs {' and '.join(_kind_phrase(ref) for ref in letters)}", element.location)


def _kind_phrase(letters: str) -> str:
    """'an inductor (L card)' for the letter of a declared kind; 'an element with a branch
    current (V, E, H or L card)' for several letters."""
    if len(letters) > 1:
        return f"an element with a branch current ({', '.join(letters[:-1])} or {letters[-1]} card)"
    name = ELEMENT_KINDS[letters].name
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} ({letters} card)"


def _check_directives(circuit: "Circuit") -> None:
    spec = circuit.inputs
    if spec is not None:
        for name in spec.sources:
            element = circuit.elements.get(name)
            if element is None or circuit.term_of(element) is not Term.TIE \
                    or element.kind.dc_value is not None:  # an inductor's 0 V is not an input
                raise CircuitValidationError(f"'*@ input' names {name!r}, which is not a voltage source",
                                             spec.location)
        if spec.mirror and len(spec.sources) % 2:
            raise CircuitValidationError("'*@ input ... mirror' needs an even number of sources",
                                         spec.location)
    known = set(circuit.nodes)
    for node in circuit.outputs:
        if node not in known:
            raise CircuitValidationError(output_failure(node))
    circuit.bounds.check()


def output_failure(node: str) -> str:
    """Why `*@ output` cannot name `node`, which is not one of the circuit's nodes."""
    if node == GROUND:
        return "'*@ output' names ground ('0'), which is 0 V by definition: name nodes other than ground"
    return f"'*@ output' names unknown node {node!r}"


def _check_source_loops(circuit: "Circuit") -> None:
    sets = UnionFind()
    for element in circuit.elements.values():
        if circuit.term_of(element).fixes_voltage and not sets.union(*element.nodes[:2]):
            raise CircuitValidationError(
                f"{element.name}: closes a loop of voltage sources (V, E, H and L elements; an "
                f"inductor is a 0 V source at DC) between nodes "
                f"{element.nodes[0]!r} and {element.nodes[1]!r}", element.location)


def _check_dc_paths(circuit: "Circuit") -> None:
    sets = UnionFind()
    sets.find(GROUND)
    first_seen: dict[str, Element] = {}
    for element in circuit.elements.values():
        for node in element.nodes:
            first_seen.setdefault(node, element)
            sets.find(node)
        if circuit.conducts(element):
            sets.union(*element.nodes[:2])
    ground = sets.find(GROUND)
    floating = [node for node in first_seen if sets.find(node) != ground]
    if floating:
        element = first_seen[floating[0]]
        shown = ", ".join(repr(n) for n in floating[:5]) + (" ..." if len(floating) > 5 else "")
        raise CircuitValidationError(
            f"node(s) {shown} have no DC path to ground (through resistors, voltage sources, "
            f"inductors, VCVS outputs or Shockley diodes; ideal diodes, current sources and "
            f"capacitors do not count); "
            f"first seen on {element.name}", element.location)

"""One declaration per element kind: SPICE letter, pins, parameters and their units.

The parser, the writer, the compiler and the SPICE backend all read these declarations,
so adding an element kind means adding one `ElementKind` to `ELEMENT_KINDS`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Location


@dataclass(frozen=True)
class ElementKind:
    """The declaration of an element kind.

    letter: the SPICE card letter (upper case).
    pins: pin names in card order.
    value: name of the numeric value that follows the pins, or None (diodes take a model).
    unit: unit of that value ("ohm", "V", "A", "V/V").
    takes_model: the card names a `.model` after the pins.
    dc_keyword: the value may be preceded by the keyword DC.
    """

    letter: str
    name: str
    pins: tuple[str, ...]
    value: str | None
    unit: str
    takes_model: bool = False
    dc_keyword: bool = False

    def __deepcopy__(self, memo: dict) -> "ElementKind":
        return self  # declarations are singletons: compared with `is`


RESISTOR = ElementKind("R", "resistor", ("n1", "n2"), "resistance", "ohm")
DIODE = ElementKind("D", "diode", ("anode", "cathode"), None, "", takes_model=True)
VOLTAGE_SOURCE = ElementKind("V", "voltage source", ("n+", "n-"), "voltage", "V", dc_keyword=True)
CURRENT_SOURCE = ElementKind("I", "current source", ("n+", "n-"), "current", "A", dc_keyword=True)
VCVS = ElementKind("E", "voltage-controlled voltage source", ("n+", "n-", "nc+", "nc-"), "gain", "V/V")

ELEMENT_KINDS: dict[str, ElementKind] = {
    k.letter: k for k in (RESISTOR, DIODE, VOLTAGE_SOURCE, CURRENT_SOURCE, VCVS)
}


@dataclass
class Element:
    """One element instance.

    name: lower-case name including its letter, e.g. "r1", or "r.x1.r3" for a subcircuit member.
    kind: its declaration.
    nodes: node names (lower case, ground is "0"), one per pin of `kind`.
    value: resistance (ohms), source value (volts or amperes) or gain (V/V); None for diodes.
    model: the diode model name (lower case), None for other kinds.
    location: the card it was read from, when it came from a netlist.
    """

    name: str
    kind: ElementKind
    nodes: tuple[str, ...]
    value: float | None = None
    model: str | None = None
    location: Location | None = field(default=None, compare=False)


#: ngspice's defaults for the diode parameters circuitnet simulates.
DIODE_DEFAULTS = {"is": 1e-14, "n": 1.0, "rs": 0.0}


@dataclass
class DiodeModel:
    """A `.model NAME D (...)` card.

    params: every parameter given on the card, lower-case names, SI units (IS in amperes,
        RS in ohms, N dimensionless); parameters circuitnet does not simulate are kept so
        the writer can write them back.
    ideal: declared ideal by `*@ ideal NAME [vf=...]`; then `vf` is its forward voltage (volts).
    """

    name: str
    params: dict[str, float] = field(default_factory=dict)
    ideal: bool = False
    vf: float = 0.0
    location: Location | None = field(default=None, compare=False)

    def param(self, key: str) -> float:
        """Value of a simulated parameter ("is", "n" or "rs"), falling back to ngspice's default."""
        return self.params.get(key, DIODE_DEFAULTS[key])

"""One declaration per element kind: card syntax, parameters, DC physics and SPICE names.

The parser, the writer, the validator, the circuit model and the solver backends all read
these declarations instead of asking which kind an element is, so adding an element kind
means adding one `ElementKind` to `ELEMENT_KINDS` (plus, only when its `Term` is new, the
solvers' implementation of that term).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from ..errors import Location
from .junction import model_value


class Term(str, Enum):
    """What an element contributes to the DC equations (its lowering to solver terms).

    EDGE: a conductance g = 1/value between its first two pins; current g*(va - vb).
    IDEAL_LIMIT: an ideal diode, va - vb <= vf with current >= 0 (complementary).
    JUNCTION: a Shockley junction IS*(exp(vj/(N*VT)) - 1) + GMIN*vj, behind RS ohms.
    TIE: va - vb = value volts; the current is whatever the circuit needs.
    INJECTION: value amperes flow from the first pin through the element to the second.
    CONTROLLED: va - vb = value * (v(third pin) - v(fourth pin)); current free, as a tie.
    TRANSCONDUCTANCE: value * (v(third pin) - v(fourth pin)) amperes flow from the first pin
        through the element to the second (a VCCS, G card).
    CURRENT_GAIN: value * i(named element) amperes flow from the first pin through the
        element to the second (a CCCS, F card); i is the named element's branch current.
    TRANSRESISTANCE: va - vb = value * i(named element) volts; current free, as a tie (a
        CCVS, H card).
    OPEN: nothing at DC, no current (a K card's coupling); every lowering skips it.
    """

    EDGE = "edge conductance"
    IDEAL_LIMIT = "ideal limit"
    JUNCTION = "junction law"
    TIE = "tie"
    INJECTION = "injection"
    CONTROLLED = "controlled output"
    TRANSCONDUCTANCE = "transconductance"
    CURRENT_GAIN = "current gain"
    TRANSRESISTANCE = "transresistance"
    OPEN = "open at DC"

    @property
    def fixes_voltage(self) -> bool:
        """The term sets the voltage across the terminals (TIE, CONTROLLED, TRANSRESISTANCE):
        its current is free (a Lagrange multiplier; a branch current that F and H cards can
        name), and a loop of such elements is over-determined."""
        return self in (Term.TIE, Term.CONTROLLED, Term.TRANSRESISTANCE)

    @property
    def newton_only(self) -> bool:
        """Only the newton solver handles the term: a controlled current or a current-controlled
        voltage makes the equations nonsymmetric, with no energy for cd or qp to minimise (a
        VCVS is nonsymmetric too, but cd and qp settle it by fixed-point passes)."""
        return self in (Term.TRANSCONDUCTANCE, Term.CURRENT_GAIN, Term.TRANSRESISTANCE)


class Conduction(str, Enum):
    """Whether an element gives its first two pins a DC path (for the floating-node check).

    The rule depends at most on whether the element's model is declared ideal.
    """

    ALWAYS = "always"
    NEVER = "never"
    UNLESS_IDEAL = "unless its model is ideal"

    def holds(self, ideal: bool) -> bool:
        """Whether the rule gives a DC path, for an element whose model is `ideal` (or not)."""
        return self is Conduction.ALWAYS or (self is Conduction.UNLESS_IDEAL and not ideal)


@dataclass(frozen=True)
class Check:
    """A condition an element must meet, with the message stating it.

    holds: element -> whether the condition is met; it only sees elements whose value
        passed the checks before it.
    message: a `str.format` template over `name`, `what` (the parameter name), `value`,
        `unit` and `nodes` (the element's node names).
    """

    holds: Callable[["Element"], bool]
    message: str

    def failure(self, element: "Element") -> str | None:
        """The message "<name>: <what failed>", or None when `element` meets the condition."""
        if self.holds(element):
            return None
        param = element.kind.value
        return f"{element.name}: " + self.message.format(
            name=element.name, what=param.name if param else "", unit=param.unit if param else "",
            value=element.value, nodes=element.nodes)


def _is_finite(element: "Element") -> bool:
    value = element.value
    return isinstance(value, (int, float)) and math.isfinite(value)


#: the value is a finite number.
FINITE = Check(_is_finite, "{what} must be a finite number, got {value!r}")
#: the value is > 0 (a resistance: 0 ohm cannot be solved, a negative one is not passive).
POSITIVE = Check(lambda e: e.value > 0.0, "{what} must be positive, got {value:g} {unit}")
#: the first two pins are different nodes (a source across one node fixes nothing).
DISTINCT_TERMINALS = Check(lambda e: e.nodes[0] != e.nodes[1], "both terminals on node {nodes[0]!r}")


@dataclass(frozen=True)
class Param:
    """A numeric parameter of an element or of its model.

    name: lower-case name ("resistance", "is", ...). unit: its SI unit ("ohm", "A", "" ...).
    default: its value when the card omits it; None: the card must give it.
    trainable: training may change it (a resistor's conductance, a current source's bias).
    checks: conditions on the value, run by the parser on every card and by the validator.
    """

    name: str
    unit: str
    default: float | None = None
    trainable: bool = False
    checks: tuple[Check, ...] = (FINITE,)


@dataclass(frozen=True)
class ElementKind:
    """The declaration of an element kind.

    letter: the SPICE card letter (upper case). name: what error messages call it.
    pins: pin names in card order; the first two are the terminals the current flows
        through (SPICE's sign: from pins[0] through the element to pins[1]).
    value: the numeric parameter that follows the pins, or None (the card names a model).
    model_type: the `.model` type the card names after the pins ("d"), or None.
    model_params: the model parameters circuitnet simulates, with ngspice's defaults.
    dc_keyword: the value may be preceded by the keyword DC.
    term: what the element contributes to the DC equations; for a kind with a model,
        the term of a non-ideal model.
    ideal_term: the term when the element's model is declared ideal (None: same as term).
    conduction: whether it gives its terminals a DC path (see `Conduction`).
    spice_current: ngspice's vector of its current, `{name}` standing for the element
        name; None when ngspice keeps none (a current source: its current is its value).
    checks: conditions on the whole element, run by the validator after the value's.
    dc_value: the value its term takes at DC whatever the element's value, in the term's
        unit (an inductor: a 0 V tie; a capacitor: a 0 A injection); None: the value.
    references: for each element the card names after its pins, the letters of the kinds
        it may be (a K card couples two inductors: ("L", "L"); an F card names an element
        with a branch current: ("VELH",)); the names are kept in `Element.spec`.
    instance_params: the card may end in NAME=VALUE instance parameters without DC
        effect (`C1 a b 1u ic=0`), kept in `Element.params` for export.
    """

    letter: str
    name: str
    pins: tuple[str, ...]
    value: Param | None
    term: Term
    conduction: Conduction
    spice_current: str | None
    model_type: str | None = None
    model_params: tuple[Param, ...] = ()
    dc_keyword: bool = False
    ideal_term: Term | None = None
    checks: tuple[Check, ...] = ()
    dc_value: float | None = None
    references: tuple[str, ...] = ()
    instance_params: bool = False

    def __deepcopy__(self, memo: dict) -> "ElementKind":
        return self  # declarations are singletons: compared with `is`

    @property
    def takes_model(self) -> bool:
        """The card names a `.model` after the pins."""
        return self.model_type is not None

    @property
    def unit(self) -> str:
        """Unit of the value ("ohm", "V", "A", "V/V"), "" for kinds without one."""
        return self.value.unit if self.value else ""

    @property
    def trainable(self) -> bool:
        """Training may change the value of elements of this kind."""
        return self.value is not None and self.value.trainable

    def dc(self, element: "Element") -> float | None:
        """The value an element's term takes at DC (`dc_value`, else the element's value)."""
        return self.dc_value if self.dc_value is not None else element.value

    def term_for(self, ideal: bool) -> Term:
        """The term of an element of this kind whose model is `ideal` (or not)."""
        return self.ideal_term if ideal and self.ideal_term is not None else self.term

    def value_failure(self, element: "Element") -> str | None:
        """The message of the first value check `element` fails, or None."""
        return _first_failure(self.value.checks if self.value else (), element)

    def failure(self, element: "Element") -> str | None:
        """The message of the first check (value checks, then element checks) `element` fails."""
        return self.value_failure(element) or _first_failure(self.checks, element)

    def current_vector(self, element_name: str) -> str | None:
        """ngspice's vector of the current of the element `element_name` (see spice_current)."""
        return self.spice_current.format(name=element_name) if self.spice_current else None


def _first_failure(checks: tuple[Check, ...], element: "Element") -> str | None:
    return next((message for check in checks if (message := check.failure(element))), None)


RESISTOR = ElementKind(
    "R", "resistor", ("n1", "n2"), Param("resistance", "ohm", trainable=True, checks=(FINITE, POSITIVE)),
    Term.EDGE, Conduction.ALWAYS, "@{name}[i]")
DIODE = ElementKind(
    "D", "diode", ("anode", "cathode"), None, Term.JUNCTION, Conduction.UNLESS_IDEAL, "@{name}[id]",
    model_type="d", model_params=(Param("is", "A", 1e-14), Param("n", "", 1.0), Param("rs", "ohm", 0.0)),
    ideal_term=Term.IDEAL_LIMIT)
VOLTAGE_SOURCE = ElementKind(
    "V", "voltage source", ("n+", "n-"), Param("voltage", "V", 0.0), Term.TIE, Conduction.ALWAYS,
    "{name}#branch", dc_keyword=True, checks=(DISTINCT_TERMINALS,))
CURRENT_SOURCE = ElementKind(
    "I", "current source", ("n+", "n-"), Param("current", "A", 0.0, trainable=True), Term.INJECTION,
    Conduction.NEVER, None, dc_keyword=True)
VCVS = ElementKind(
    "E", "voltage-controlled voltage source", ("n+", "n-", "nc+", "nc-"), Param("gain", "V/V"),
    Term.CONTROLLED, Conduction.ALWAYS, "{name}#branch", checks=(DISTINCT_TERMINALS,))

#: the letters of the kinds whose branch current an F or H card may name (ngspice: V, E, H, L).
BRANCH_CURRENT_KINDS = "VEHL"
VCCS = ElementKind(
    "G", "voltage-controlled current source", ("n+", "n-", "nc+", "nc-"), Param("transconductance", "S"),
    Term.TRANSCONDUCTANCE, Conduction.NEVER, "@{name}[i]")
CCCS = ElementKind(
    "F", "current-controlled current source", ("n+", "n-"), Param("gain", "A/A"), Term.CURRENT_GAIN,
    Conduction.NEVER, "@{name}[i]", references=(BRANCH_CURRENT_KINDS,))
CCVS = ElementKind(
    "H", "current-controlled voltage source", ("n+", "n-"), Param("transresistance", "ohm"),
    Term.TRANSRESISTANCE, Conduction.ALWAYS, "{name}#branch", checks=(DISTINCT_TERMINALS,),
    references=(BRANCH_CURRENT_KINDS,))

#: open at DC, lowered as a 0 A injection (`dc_value`), so every solver reports its current
#: (0 A, as ngspice's `@cname[i]`); no DC path (ngspice needs another one, as the validator does).
CAPACITOR = ElementKind(
    "C", "capacitor", ("n1", "n2"), Param("capacitance", "F"), Term.INJECTION, Conduction.NEVER,
    "@{name}[i]", dc_value=0.0, instance_params=True)
#: a short at DC: a 0 V tie whose current is reported as ngspice's `lname#branch`.
INDUCTOR = ElementKind(
    "L", "inductor", ("n1", "n2"), Param("inductance", "H"), Term.TIE, Conduction.ALWAYS,
    "{name}#branch", checks=(DISTINCT_TERMINALS,), dc_value=0.0, instance_params=True)
#: `K1 L1 L2 k`: couples two inductors, no DC effect (kept for export).
MUTUAL_INDUCTANCE = ElementKind(
    "K", "mutual inductance", (), Param("coupling", ""), Term.OPEN, Conduction.NEVER, None,
    references=("L", "L"))

#: every declared kind by its SPICE letter; the parser reads the cards of these letters.
ELEMENT_KINDS: dict[str, ElementKind] = {
    k.letter: k for k in (RESISTOR, DIODE, VOLTAGE_SOURCE, CURRENT_SOURCE, VCVS, VCCS, CCCS, CCVS,
                          CAPACITOR, INDUCTOR, MUTUAL_INDUCTANCE)
}


@dataclass
class Element:
    """One element instance.

    name: lower-case name including its letter, e.g. "r1", or "r.x1.r3" for a subcircuit member.
    kind: its declaration.
    nodes: node names (lower case, ground is "0"), one per pin of `kind`.
    value: its `kind.value` in that parameter's unit (ohms, volts, amperes, V/V); None
        for kinds that name a model.
    model: the model name (lower case) for kinds that take one, else None.
    location: the card it was read from, when it came from a netlist.
    params: instance parameters given on the card (lower-case names, SI units), e.g. a
        diode's area, m, temp (degrees Celsius) and dtemp (kelvin).
    spec: card text without a DC meaning, kept so the written netlist still runs in
        ngspice: a source's AC, distortion and transient specifications, numbers
        evaluated (`sin(0.0 1.0 1000.0)`); a K card's inductor names (`l1 l2`); else None.
    """

    name: str
    kind: ElementKind
    nodes: tuple[str, ...]
    value: float | None = None
    model: str | None = None
    location: Location | None = field(default=None, compare=False)
    params: dict[str, float] = field(default_factory=dict)
    spec: str | None = None


#: ngspice's defaults for the diode parameters circuitnet simulates (IS amperes, N, RS ohms).
DIODE_DEFAULTS: dict[str, float] = {p.name: p.default for p in DIODE.model_params}


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
        """Value of a modelled parameter (`junction.MODELLED`: "is", "n", "rs", "bv", ...),
        given on the card under its name or one of ngspice's aliases, else ngspice's default."""
        return model_value(self.params, key)

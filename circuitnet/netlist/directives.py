"""The `*@` directives: circuitnet's metadata, in lines ngspice reads as comments.

    *@ input  Vx0 Vx1 ... [gain=G] [mirror]
    *@ output n1 n2 ...
    *@ trainable R* I* ...       (no patterns: nothing is trainable)
    *@ bounds gmin=1e-6 gmax=1e-1
    *@ ideal DMOD [vf=0.0] [approx]

`approx` on `*@ ideal` marks the model's `.model` parameters as the writer's near-ideal
SPICE stand-in (see `writer.py`): the parser drops them, so the model reads back with the
parameters it had before it was written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..errors import Location, NetlistSyntaxError
from ..model.circuit import Bounds, Circuit, InputSpec
from ..model.topology import canonical_node
from ..model.validation import output_failure
from .lexer import Card, tokens

#: directive -> (option keys it takes, flags it takes)
DIRECTIVES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "input": (frozenset({"gain"}), frozenset({"mirror"})),
    "output": (frozenset(), frozenset()),
    "trainable": (frozenset(), frozenset()),
    "bounds": (frozenset({"gmin", "gmax"}), frozenset()),
    "ideal": (frozenset({"vf"}), frozenset({"approx"})),
}

#: reads a directive's option value: (text, card, option name) -> number.
ValueReader = Callable[[str, Card, str], float]


@dataclass(frozen=True)
class IdealDeclaration:
    """One `*@ ideal` card: forward voltage vf (volts); `approx` drops the model's parameters."""

    vf: float
    approximate: bool
    location: Location


@dataclass
class Directives:
    """What the `*@` cards of one netlist say, gathered card by card (`read`), then
    applied to the finished circuit (`apply`).

    outputs: node -> the `*@ output` card that names it, in card order.
    trainable: the patterns of the `*@ trainable` cards, None when there is none (the
    circuit's default then stays). ideal: model name -> its declaration.
    """

    inputs: InputSpec | None = None
    outputs: dict[str, Location] = field(default_factory=dict)
    trainable: list[str] | None = None
    bounds: Bounds = field(default_factory=Bounds)
    ideal: dict[str, IdealDeclaration] = field(default_factory=dict)

    def read(self, card: Card, value: ValueReader) -> None:
        """Add one `*@` directive card; `value` reads its option values.

        Raises NetlistSyntaxError for a malformed card, CircuitValidationError for bounds
        that break `Bounds.check`.
        """
        words = tokens(card.text)
        if not words or words[0] not in DIRECTIVES:
            got = repr(words[0]) if words else "nothing"
            raise _fail(f"unknown *@ directive {got}: expected one of "
                        f"{', '.join(DIRECTIVES)}", card)
        verb = words[0]
        names, options, flags = _split(card, words, value)
        if verb in ("input", "output", "ideal") and not names:
            raise _fail(f"*@ {verb} needs at least one name", card)
        if verb == "input":
            if self.inputs is not None:
                raise _fail(f"second *@ input directive (the first is at line "
                            f"{self.inputs.location.line})", card)
            _refuse_repeats("*@ input", "source", names, card)
            mirror = "mirror" in flags
            if mirror and len(names) % 2:
                raise _fail(f"*@ input ... mirror needs an even number of sources (n sources, then "
                            f"their n inverted copies), got {len(names)}", card)
            self.inputs = InputSpec(names, options.get("gain", 1.0), mirror, card.location)
        elif verb == "output":
            nodes = [canonical_node(n) for n in names]
            _refuse_repeats("*@ output", "node", [*self.outputs, *nodes], card)
            self.outputs.update((node, card.location) for node in nodes)
        elif verb == "trainable":
            self.trainable = (self.trainable or []) + names
        elif verb == "bounds":
            if names:
                raise _fail(f"*@ bounds takes gmin=VALUE gmax=VALUE, got {names[0]!r}", card)
            bounds = Bounds(options.get("gmin", self.bounds.gmin), options.get("gmax", self.bounds.gmax))
            bounds.check(card.location)
            self.bounds = bounds
        else:
            if len(names) != 1:
                raise _fail(f"*@ ideal names one model: *@ ideal DMOD [vf=VALUE], got {names}", card)
            if names[0] in self.ideal:
                raise _fail(f"model {names[0]!r} is declared ideal twice", card)
            self.ideal[names[0]] = IdealDeclaration(options.get("vf", 0.0), "approx" in flags,
                                                    card.location)

    def apply(self, circuit: Circuit) -> None:
        """Set the circuit's metadata and mark its ideal models.

        Raises NetlistSyntaxError when `*@ output` names ground or a node the circuit
        lacks, or `*@ ideal` a model it lacks.
        """
        known = set(circuit.nodes)
        for node, location in self.outputs.items():
            if node not in known:
                raise NetlistSyntaxError(output_failure(node), location)
        circuit.inputs = self.inputs
        circuit.outputs = list(self.outputs)
        if self.trainable is not None:
            circuit.trainable = list(self.trainable)
        circuit.bounds = self.bounds
        for name, declaration in self.ideal.items():
            model = circuit.models.get(name)
            if model is None:
                raise NetlistSyntaxError(f"*@ ideal names model {name!r}, but no .model card "
                                         f"defines it", declaration.location)
            model.ideal, model.vf = True, declaration.vf
            if declaration.approximate:
                model.params = {}


def _fail(message: str, card: Card) -> NetlistSyntaxError:
    return NetlistSyntaxError(message, card.location)


def _refuse_repeats(directive: str, what: str, names: list[str], card: Card) -> None:
    """Raise when `names` holds a name twice (a source set twice, a node nudged twice)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _fail(f"{directive} names {what} {name!r} twice", card)
        seen.add(name)


def _split(card: Card, words: list[str], value: ValueReader
           ) -> tuple[list[str], dict[str, float], set[str]]:
    """Names, `key=value` options and flags of a directive, checked against DIRECTIVES."""
    keys, flags = DIRECTIVES[words[0]]
    names: list[str] = []
    options: dict[str, float] = {}
    given: set[str] = set()
    for word in words[1:]:
        if "=" in word:
            key, _, raw = word.partition("=")
            if key not in keys:
                expected = ", ".join(sorted(keys)) or "none"
                raise _fail(f"*@ {words[0]}: unknown option {key!r} (options: {expected})", card)
            options[key] = value(raw, card, key)
        elif word in flags:
            given.add(word)
        else:
            names.append(word)
    return names, options, given

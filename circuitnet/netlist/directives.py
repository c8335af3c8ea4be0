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

from typing import TYPE_CHECKING

from ..circuit import GROUND, Bounds, InputSpec
from ..errors import NetlistSyntaxError
from .lexer import Card, tokens

if TYPE_CHECKING:  # pragma: no cover
    from .parser import _Parser

#: directive -> (option keys it takes, flags it takes)
DIRECTIVES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "input": (frozenset({"gain"}), frozenset({"mirror"})),
    "output": (frozenset(), frozenset()),
    "trainable": (frozenset(), frozenset()),
    "bounds": (frozenset({"gmin", "gmax"}), frozenset()),
    "ideal": (frozenset({"vf"}), frozenset({"approx"})),
}


def _fail(message: str, card: Card) -> NetlistSyntaxError:
    return NetlistSyntaxError(message, card.location)


def _split(parser: "_Parser", card: Card, words: list[str]
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
            options[key] = parser.value(raw, parser.scope, card, key)
        elif word in flags:
            given.add(word)
        else:
            names.append(word)
    return names, options, given


def apply_directive(parser: "_Parser", card: Card) -> None:
    """Apply one `*@` directive card to the parser's circuit."""
    words = tokens(card.text)
    if not words or words[0] not in DIRECTIVES:
        got = repr(words[0]) if words else "nothing"
        raise _fail(f"unknown *@ directive {got}: expected one of "
                    f"{', '.join(DIRECTIVES)}", card)
    names, options, flags = _split(parser, card, words)
    circuit = parser.circuit
    verb = words[0]
    if verb in ("input", "output", "ideal") and not names:
        raise _fail(f"*@ {verb} needs at least one name", card)
    if verb == "input":
        if circuit.inputs is not None:
            raise _fail(f"second *@ input directive (the first is at line "
                        f"{circuit.inputs.location.line})", card)
        mirror = "mirror" in flags
        if mirror and len(names) % 2:
            raise _fail(f"*@ input ... mirror needs an even number of sources (n sources, then "
                        f"their n inverted copies), got {len(names)}", card)
        circuit.inputs = InputSpec(names, options.get("gain", 1.0), mirror, card.location)
    elif verb == "output":
        circuit.outputs.extend(GROUND if n == "gnd" else n for n in names)
    elif verb == "trainable":
        if not parser.trainable_seen:
            circuit.trainable = []
            parser.trainable_seen = True
        circuit.trainable.extend(names)
    elif verb == "bounds":
        if names:
            raise _fail(f"*@ bounds takes gmin=VALUE gmax=VALUE, got {names[0]!r}", card)
        gmin = options.get("gmin", circuit.bounds.gmin)
        gmax = options.get("gmax", circuit.bounds.gmax)
        if not 0.0 <= gmin < gmax:
            raise _fail(f"*@ bounds needs 0 <= gmin < gmax (siemens), got gmin={gmin:g} "
                        f"gmax={gmax:g}", card)
        circuit.bounds = Bounds(gmin, gmax)
    else:
        if len(names) != 1:
            raise _fail(f"*@ ideal names one model: *@ ideal DMOD [vf=VALUE], got {names}", card)
        if names[0] in parser.ideal:
            raise _fail(f"model {names[0]!r} is declared ideal twice", card)
        parser.ideal[names[0]] = (options.get("vf", 0.0), "approx" in flags, card.location)

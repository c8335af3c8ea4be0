"""Netlist text -> Circuit.

Reads the ngspice dialect the README's netlist section describes: the element cards
declared in `circuitnet.model.elements` (R, D, V, I, E, C, L, K), `.model NAME D (...)`,
`.param` with `{expr}` values, `.subckt` / `.ends` with `X` instances (flattened),
`.include` / `.inc` / `.lib FILE SECTION` (resolved first, by `includes.py`), `.dc`
sweeps (stored as `Circuit.dc`), `.temp T` and `.options temp= tnom= gmin=` (Circuit.temp,
tnom in degrees Celsius, gmin in siemens), `.end` (a card after it is an error: SPICE3
stops at `.end`, ngspice reads on), and the `*@` directives. Cards that
do not change the DC circuit (`.op`, the other `.options`, `.print`, `.save`, `.control`
blocks) are skipped; everything else is an error that names the file, the line and the card.

DC readings as ngspice's `.op` takes them: a V or I source's value is its DC value, else
its transient function at t = 0, else 0 (`sources.py`; the AC and transient
specifications are kept in `Element.spec` for the writer); a C card is open, an L card a
0 V tie, a K card nothing (both kept for export). D cards take instance parameters
(`D1 a c MODEL [AREA] [area= m= pj= temp= dtemp= ic=] [off]`; lower-case names, SI
units, temp in degrees Celsius) into `Element.params` (a bare AREA, which ngspice 39
refuses, is read as area=; `off` is dropped: it only changes ngspice's starting point;
`model.junction` says which names have a DC effect); C and L cards take
trailing NAME=VALUE parameters (`ic=`, `m=`, ...), kept for export. A deck without
elements is an error.

Subcircuits are flattened with ngspice's own names, so that the flat netlist circuitnet
writes prints the same names in ngspice as the hierarchical one: member `R1` of instance
`X1` becomes element `r.x1.r1` and its internal node `n` becomes `x1.n`; nested instance
`X2` inside `X1` gives `r.x1.x2.r1` and `x1.x2.n`. (For a subcircuit *defined* inside
another one, ngspice itself names the element `r.x1.r.x2.r1`; circuitnet keeps the
regular `r.x1.x2.r1`. Node names agree in every case.) Parameters are scoped as ngspice
scopes them: an instance sees the parameters of the instance that placed it.
"""
from __future__ import annotations

import gc
import math
import os
import re
from dataclasses import dataclass, field
from typing import Iterator

from ..errors import Location, NetlistSyntaxError
from ..model.circuit import SPICE_OPTION_FIELDS, Circuit, DcSweep
from ..model.elements import DIODE, ELEMENT_KINDS, DiodeModel, Element, ElementKind
from ..model.topology import GROUND, canonical_node, is_ground
from ..model.validation import temperature_failure
from .directives import Directives
from .expressions import evaluate
from .includes import expand_includes
from .lexer import Card, lex, tokens
from .sources import SourceSpecError, read_source
from .units import parse_value

#: dot cards that do not change the DC circuit.
_SKIPPED = frozenset({".op", ".print", ".plot", ".save", ".probe", ".title", ".width"})
_OPTIONS = frozenset({".option", ".options", ".opt"})
#: `.options` keys circuitnet reads, and the Circuit field each sets (the others are skipped).
_ANALYSES = frozenset({".tran", ".ac", ".noise", ".tf", ".sens", ".pz", ".disto",
                       ".sp", ".pss", ".four", ".meas", ".measure"})
#: positional instance parameters after a model name, per element letter (ngspice's D card: area).
_POSITIONAL = {"D": ("area",)}
#: instance flags without DC effect, dropped, per element letter.
_FLAGS = {"D": frozenset({"off"})}
#: ngspice's behavioural forms of the controlled-source cards (the word after the output
#: pins): circuitnet refuses them by name rather than misreading them as nodes.
_BEHAVIOURAL = {"E": frozenset({"poly", "value", "table", "laplace", "freq", "vol"}),
                "G": frozenset({"poly", "value", "table", "laplace", "freq", "cur"}),
                "F": frozenset({"poly"}), "H": frozenset({"poly"})}
#: SPICE element letters circuitnet does not simulate, for the error message.
_UNSUPPORTED = {
    "b": "behavioural sources (B cards)", "g": "voltage-controlled current sources (G cards)",
    "f": "current-controlled current sources (F cards)",
    "h": "current-controlled voltage sources (H cards)", "m": "MOSFETs (M cards)",
    "q": "bipolar transistors (Q cards)", "j": "JFETs (J cards)", "z": "MESFETs (Z cards)",
    "s": "voltage-controlled switches (S cards)", "w": "current-controlled switches (W cards)",
    "t": "transmission lines (T cards)", "o": "lossy transmission lines (O cards)",
    "u": "RC lines (U cards)", "a": "XSPICE code models (A cards)",
}
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
#: the most elements a deck may expand to, counted before subcircuits are expanded: many
#: times the largest real networks, and about a minute of parsing.
MAX_ELEMENTS = 2_000_000
#: the deepest subcircuit instance nesting (the top level is level 0): every level keeps
#: its parameter scope, and names grow with the depth.
MAX_DEPTH = 1000
#: where element counting stops (counts of nested subcircuits grow exponentially).
_COUNT_CAP = 10**12 + 1


def _supported() -> str:
    letters = [*ELEMENT_KINDS, "X"]
    return ", ".join(letters[:-1]) + " and " + letters[-1]


def usage(kind: ElementKind) -> str:
    """The card syntax of an element kind, as an error message states it."""
    if kind.takes_model:
        what = "a model name"
        positional = " ".join(f"[{p}]" for p in _POSITIONAL.get(kind.letter, ()))
        tail = " ".join(filter(None, ["model", positional, "[name=value ...]",
                                      *(f"[{f}]" for f in sorted(_FLAGS.get(kind.letter, ())))]))
    else:
        name = kind.value.name
        optional = kind.value.default is not None
        what = f"an optional {name}" if optional else f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
        if kind.dc_keyword:
            tail = f"[[DC] {name}] [AC mag [phase]] [PULSE(...) | SIN(...) | EXP(...) | PWL(...) | ...]"
        else:
            tail = f"[{name}]" if optional else name
        if kind.instance_params:
            tail += " [name=value ...]"
    counts = [f"{len(kind.pins)} nodes"] if kind.pins else []
    if kind.references:
        count = len(kind.references)
        counts.append(f"{count} {_reference_word(kind.references[0])} name{'s' if count > 1 else ''}")
    refs = [f"{_reference_word(letters)}{k + 1}" for k, letters in enumerate(kind.references)]
    return (f"{kind.letter} card needs {' and '.join(counts)} and {what}: "
            f"{' '.join([kind.letter + 'name', *kind.pins, *refs, tail])}")


def _refuse_behavioural(kind: ElementKind, words: list[str], card: Card) -> None:
    """Raise for ngspice's POLY / VALUE / TABLE / LAPLACE forms of E, G, F and H cards."""
    forms = _BEHAVIOURAL.get(kind.letter)
    if forms is None or len(words) < 4:
        return
    word = re.split(r"[={]", words[3], maxsplit=1)[0]
    if word in forms:
        hint = " (POLY(1) with coefficients 0 k is the linear gain k)" if word == "poly" else ""
        raise _fail(f"the {word.upper()} form of a {kind.name} is not supported: circuitnet solves "
                    f"linear controlled sources{hint}; {usage(kind)}", card)


def _reference_word(letters: str) -> str:
    """What a card names: "inductor" for one kind's letter, "branch" for several ("VEHL")."""
    return ELEMENT_KINDS[letters].name if len(letters) == 1 else "branch"


@dataclass(eq=False)
class _Body:
    """The cards of the top level or of one `.subckt` definition.

    calls: index in `elements` of each X card -> the definition it instantiates (filled
    by `_Parser._count`, for the bodies the deck instantiates).
    """

    name: str
    parent: "_Body | None" = None
    pins: tuple[str, ...] = ()
    defaults: list[tuple[str, str]] = field(default_factory=list)
    params: list[Card] = field(default_factory=list)
    elements: list[Card] = field(default_factory=list)
    subckts: dict[str, "_Body"] = field(default_factory=dict)
    card: Card | None = None
    calls: dict[int, "_Body"] = field(default_factory=dict)

    def find(self, name: str) -> "_Body | None":
        """The subcircuit `name` visible from here (own definitions, then enclosing ones)."""
        body: _Body | None = self
        while body is not None:
            if name in body.subckts:
                return body.subckts[name]
            body = body.parent
        return None


@dataclass
class _Frame:
    """One body being instantiated: its parameter scope, its instance path ("" at the top
    level, else "x1.x2") and pin map (None at the top level), and the cards still to read."""

    body: _Body
    scope: dict[str, float]
    path: str
    pins: dict[str, str] | None
    cards: Iterator[tuple[int, Card]] = field(init=False)

    def __post_init__(self) -> None:
        self.cards = enumerate(self.body.elements)


def _positional(words: list[str]) -> list[str]:
    """An X card's nodes and subcircuit name (its words after the first, less parameters)."""
    return [w for w in words[1:] if "=" not in w and w != "params:"]


def _count_text(count: int) -> str:
    """An element count for a message; _COUNT_CAP, where counting stops, reads "more than"."""
    return f"more than {_COUNT_CAP - 1:,}" if count >= _COUNT_CAP else f"{count:,}"


def _fail(message: str, card: Card) -> NetlistSyntaxError:
    return NetlistSyntaxError(message, card.location)


class _Parser:
    """One parse: a structure pass (subcircuits, models, directives), then instantiation."""

    def __init__(self, title: str, filename: str):
        self.circuit = Circuit(title=title, source_file=filename)
        self.models: list[Card] = []
        self.directive_cards: list[Card] = []
        self.dc_card: Card | None = None
        self.option_cards: list[Card] = []
        self.had_control = False
        self.directives = Directives()
        self.scope: dict[str, float] = {}

    def parse(self, cards: list[Card]) -> Circuit:
        top = self._structure(cards)
        self.scope = self._evaluate_params(top.params, {})
        for card in self.models:
            self._model(card)
        for card in self.directive_cards:
            self.directives.read(card, lambda raw, at, what: self.value(raw, self.scope, at, what))
        if self.dc_card is not None:
            self.circuit.dc = self._dc(self.dc_card)
        self._options()
        self._count(top)
        self._instantiate(_Frame(top, self.scope, "", None))
        self._finish()
        return self.circuit

    # -- structure pass ------------------------------------------------------------
    def _structure(self, cards: list[Card]) -> _Body:
        top = body = _Body("")
        in_control = False
        for k, card in enumerate(cards):
            text = card.text
            if in_control:
                in_control = not text.startswith(".endc")
                continue
            if card.directive:
                if body is not top:
                    raise _fail(f"*@ directives belong at the top level, not inside "
                                f".subckt {body.name}", card)
                self.directive_cards.append(card)
                continue
            first = text[0]
            if first != ".":
                if first != "x" and (not first.isascii() or first.upper() not in ELEMENT_KINDS):
                    raise self._unsupported_element(card)  # 'ı'.upper() is 'I': only ASCII letters
                body.elements.append(card)
                continue
            word = text.split(None, 1)[0]
            if word == ".end":
                if k + 1 < len(cards):
                    raise _fail("a card after .end: ngspice reads the cards after .end, other "
                                "SPICEs stop there; move it above .end or delete it", cards[k + 1])
                break
            if word == ".subckt":
                body = self._subckt(card, body)
            elif word == ".ends":
                body = self._ends(card, body)
            elif word == ".model":
                self.models.append(card)
            elif word == ".param":
                body.params.append(card)
            elif word == ".control":
                in_control = self.had_control = True
            elif word in _OPTIONS or word == ".temp":
                self.option_cards.append(card)
            elif word == ".dc":
                if body is not top or self.dc_card is not None:
                    raise _fail("circuitnet reads one .dc card, at the top level", card)
                self.dc_card = card
            elif word not in _SKIPPED:
                raise self._unsupported_dot(card, word)
        if body is not top:
            raise _fail(f".subckt {body.name} has no matching .ends", body.card)
        return top

    def _subckt(self, card: Card, parent: _Body) -> _Body:
        words = tokens(card.text)
        if len(words) < 2 or "=" in words[1]:
            raise _fail(".subckt card needs a name: .subckt NAME pin1 pin2 ... "
                        "[params: name=value ...]", card)
        body = _Body(words[1], parent, card=card)
        pins: list[str] = []
        for word in words[2:]:
            if "=" in word:
                name, raw = word.split("=", 1)
                body.defaults.append((name, raw))
            elif word == "params:":
                continue
            elif body.defaults:
                raise _fail(f".subckt {body.name}: pin {word!r} after the parameters", card)
            else:
                pins.append(word)
        if len(set(pins)) != len(pins):
            raise _fail(f".subckt {body.name}: a pin is listed twice", card)
        if body.name in parent.subckts:
            raise _fail(f"subcircuit {body.name!r} is defined twice", card)
        body.pins = tuple(pins)
        parent.subckts[body.name] = body
        return body

    def _ends(self, card: Card, body: _Body) -> _Body:
        if body.parent is None:
            raise _fail(".ends without a .subckt", card)
        words = card.text.split()
        if len(words) > 1 and words[1] != body.name:
            raise _fail(f"'.ends {words[1]}' closes '.subckt {body.name}'", card)
        return body.parent

    def _unsupported_element(self, card: Card) -> NetlistSyntaxError:
        letter = card.text[0]
        what = _UNSUPPORTED.get(letter, f"elements of letter {letter.upper() if letter.isascii() else letter!r}")
        return _fail(f"{what} are not supported: circuitnet simulates DC resistive networks "
                     f"of {_supported()} cards", card)

    def _unsupported_dot(self, card: Card, word: str) -> NetlistSyntaxError:
        if word in _ANALYSES:
            return _fail(f"analysis card {word} is not supported: circuitnet computes DC "
                         f"operating points only (.op, .dc)", card)
        if word == ".endc":
            return _fail(".endc without a .control", card)
        return _fail(f"{word} cards are not supported: circuitnet reads .model, .param, "
                     f".subckt/.ends, .include, .lib, .dc, .temp, .options and .end (and skips "
                     f".op, .print, .save, .control blocks)", card)

    # -- values --------------------------------------------------------------------
    def value(self, token: str, scope: dict[str, float], card: Card, what: str,
              bare_expression: bool = False) -> float:
        """A number, `{expr}` or `'expr'` (or, for .param, a bare expression), as a float."""
        try:
            if token[:1] in ("{", "'"):
                close = "}" if token[0] == "{" else "'"
                if len(token) < 2 or token[-1] != close:
                    raise ValueError(f"no closing {close!r}")
                number = evaluate(token[1:-1], scope)
            else:
                try:
                    number = parse_value(token)
                except ValueError:
                    if not bare_expression:
                        raise ValueError("expected a number (with an optional scale "
                                         "suffix) or a {expression}") from None
                    number = evaluate(token, scope)
        except ValueError as error:
            raise _fail(f"cannot read {what} {token!r}: {error}", card) from None
        if not math.isfinite(number):
            raise _fail(f"{what} must be finite, got {token!r}", card)
        return number

    def _evaluate_params(self, cards: list[Card], base: dict[str, float]) -> dict[str, float]:
        scope = dict(base)
        for card in cards:
            assignments = tokens(card.text)[1:]
            if not assignments:
                raise _fail(".param card needs name=value pairs: .param NAME=VALUE ...", card)
            for assignment in assignments:
                name, _, raw = assignment.partition("=")
                if not _IDENTIFIER.fullmatch(name) or not raw:
                    raise _fail(f".param card needs name=value pairs: .param NAME=VALUE ..., "
                                f"got {assignment!r}", card)
                scope[name] = self.value(raw, scope, card, f"parameter {name}", True)
        return scope

    def _model(self, card: Card) -> None:
        words = tokens(card.text)
        if len(words) < 3 or "=" in words[1] or "=" in words[2]:
            raise _fail(".model card needs a name and a type: .model NAME D (IS=... N=... RS=...)",
                        card)
        name, kind = words[1], words[2]
        if kind != DIODE.model_type:
            raise _fail(f"only diode models are supported (.model NAME D ...), "
                        f"got type {kind!r}", card)
        params = {}
        for word in words[3:]:
            key, _, raw = word.partition("=")
            if not raw:
                raise _fail(f".model {name}: expected PARAM=VALUE, got {word!r}", card)
            params[key] = self.value(raw, self.scope, card, f"diode parameter {key}")
        self.circuit.add_model(DiodeModel(name, params, location=card.location))

    def _dc(self, card: Card) -> DcSweep:
        words = tokens(card.text)[1:]
        if len(words) not in (4, 8):
            raise _fail(".dc card needs a source and three values, optionally a second source "
                        "and three values: .dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]", card)
        sweep = None
        for at in (4, 0) if len(words) == 8 else (0,):
            name, *raw = words[at:at + 4]
            start, stop, step = [self.value(r, self.scope, card, f".dc {what} of {name}")
                                 for r, what in zip(raw, ("start", "stop", "step"))]
            sweep = DcSweep(name, start, stop, step, sweep, card.location)
        return sweep

    def _options(self) -> None:
        """`.options temp= tnom= gmin=` (the last card wins), then `.temp T`, which ngspice
        lets override `.options temp=` wherever it stands."""
        temp_card = None
        for card in self.option_cards:
            words = tokens(card.text)
            if words[0] == ".temp":
                if len(words) != 2:
                    raise _fail(".temp card needs one temperature in degrees Celsius: .temp T", card)
                temp_card = card
                continue
            for word in words[1:]:
                key, _, raw = word.partition("=")
                if key in SPICE_OPTION_FIELDS:
                    if not raw:
                        raise _fail(f".options {key} needs a value: {key}=VALUE", card)
                    setattr(self.circuit, key, self._option(key, raw, card, f"option {key}"))
        if temp_card is not None:
            self.circuit.temp = self._option("temp", tokens(temp_card.text)[1], temp_card, "temperature")
        if not self.circuit.gmin > 0.0:
            raise NetlistSyntaxError(f".options gmin must be positive (siemens), got {self.circuit.gmin:g}",
                                     next(c for c in reversed(self.option_cards) if "gmin" in c.text).location)

    def _option(self, key: str, raw: str, card: Card, what: str) -> float:
        """The value of `.options KEY=...` or of `.temp` (key "temp"); temp and tnom, in
        degrees Celsius, must be above absolute zero."""
        number = self.value(raw, self.scope, card, what)
        failed = temperature_failure(what, number) if key in ("temp", "tnom") else None
        if failed:
            raise _fail(failed, card)
        return number

    # -- instantiation -------------------------------------------------------------
    def _count(self, top: _Body) -> None:
        """Resolve the X cards of every body the deck instantiates (`_Body.calls`) and count
        the elements the deck expands to, before expanding anything.

        Raises NetlistSyntaxError for an unknown subcircuit, a wrong pin count, a subcircuit
        that instantiates itself, instances nested more than MAX_DEPTH levels deep, and a
        deck that would expand to more than MAX_ELEMENTS elements (naming its largest
        top-level X card). Iterative: the nesting depth comes from the input.
        """
        sizes: dict[_Body, int] = {}
        counts = {top: 0}
        stack = [(top, enumerate(top.elements))]
        while stack:
            body, cards = stack[-1]
            for index, card in cards:
                if card.text[0] != "x":
                    counts[body] += 1
                    continue
                definition = body.calls[index] = self._definition(card, body)
                if definition in counts:
                    raise _fail(f"subcircuit {definition.name!r} instantiates itself", card)
                if definition in sizes:
                    counts[body] = min(counts[body] + sizes[definition], _COUNT_CAP)
                    continue
                if len(stack) > MAX_DEPTH:
                    raise _fail(f"subcircuit {definition.name!r} would be instance level "
                                f"{len(stack)}: circuitnet nests subcircuit instances at most "
                                f"{MAX_DEPTH:,} levels deep (a guard against runaway nesting)", card)
                counts[definition] = 0
                stack.append((definition, enumerate(definition.elements)))
                break
            else:
                stack.pop()
                sizes[body] = counts.pop(body)
                if stack:
                    parent = stack[-1][0]
                    counts[parent] = min(counts[parent] + sizes[body], _COUNT_CAP)
        if sizes[top] > MAX_ELEMENTS and top.calls:
            index, definition = max(top.calls.items(), key=lambda call: sizes[call[1]])
            card = top.elements[index]
            raise _fail(f"{tokens(card.text)[0]}: subcircuit {definition.name!r} expands to "
                        f"{_count_text(sizes[definition])} elements, the deck to "
                        f"{_count_text(sizes[top])}: more than the {MAX_ELEMENTS:,} elements "
                        f"circuitnet expands (a guard against subcircuits that call each other "
                        f"into runaway sizes)", card)

    def _definition(self, card: Card, body: _Body) -> _Body:
        """The subcircuit an X card in `body` instantiates, its pin count checked."""
        positional = _positional(tokens(card.text))
        if not positional:
            raise _fail("X card needs nodes and a subcircuit name: "
                        "Xname n1 n2 ... SUBCKT [name=value ...]", card)
        definition = body.find(positional[-1])
        if definition is None:
            raise _fail(f"unknown subcircuit {positional[-1]!r}", card)
        if len(positional) - 1 != len(definition.pins):
            raise _fail(f"subcircuit {definition.name!r} has {len(definition.pins)} pins "
                        f"({' '.join(definition.pins)}), the X card gives {len(positional) - 1} "
                        f"nodes", card)
        return definition

    def _instantiate(self, top: _Frame) -> None:
        """Add the elements of `top` and of every instance in it, in card order (depth first,
        with an explicit stack: the nesting depth comes from the input)."""
        stack = [top]
        while stack:
            frame = stack[-1]
            for index, card in frame.cards:
                definition = frame.body.calls.get(index)
                if definition is not None:
                    stack.append(self._instance(card, frame, definition))
                    break
                self._element(card, frame)
            else:
                stack.pop()

    def _element(self, card: Card, frame: _Frame) -> None:
        """Add the element of one card (not an X card) of `frame`'s body."""
        words = tokens(card.text)
        letter = card.text[0]
        scope, path, pins = frame.scope, frame.path, frame.pins
        kind = ELEMENT_KINDS[letter.upper()]
        _refuse_behavioural(kind, words, card)
        npins = len(kind.pins) + len(kind.references)
        required = kind.value is None or kind.value.default is None
        if len(words) < npins + 1 + required:
            raise _fail(usage(kind), card)
        pin_words = words[1:len(kind.pins) + 1]
        if pins is None:
            name = words[0]
            nodes = tuple([canonical_node(n) for n in pin_words])
        else:
            name = f"{letter}.{path}.{words[0]}"
            nodes = tuple([self._inner_node(n, path, pins) for n in pin_words])
        rest = words[npins + 1:]
        element = Element(name, kind, nodes, None, None, card.location)
        if kind.references:
            named = words[len(kind.pins) + 1:npins + 1]
            element.spec = " ".join(n if pins is None else f"{n[0]}.{path}.{n}" for n in named)
        if kind.takes_model:
            element.model = rest[0]
            element.params = self._instance_params(kind, rest[1:], scope, card, positional=True)
        elif kind.dc_keyword:
            try:
                reading = read_source(rest, lambda raw, what: self.value(raw, scope, card, what))
            except SourceSpecError as error:
                raise _fail(f"{error}; {usage(kind)}", card) from None
            element.value, element.spec = reading.dc, reading.spec
        else:
            if len(rest) > 1 and kind.instance_params:
                element.params = self._instance_params(kind, rest[1:], scope, card)
            elif len(rest) > 1 or (required and not rest):
                raise _fail(usage(kind), card)
            element.value = self.value(rest[0], scope, card, kind.value.name) if rest \
                else kind.value.default
        failed = kind.value_failure(element)
        if failed:
            raise _fail(failed, card)
        self.circuit.add(element)

    def _instance_params(self, kind: ElementKind, words: list[str], scope: dict[str, float],
                         card: Card, positional: bool = False) -> dict[str, float]:
        """NAME=VALUE instance parameters (lower-case names, floats); with `positional`,
        first the kind's positional ones (a D card's area) and its dropped flags (off)."""
        names = list(_POSITIONAL.get(kind.letter, ())) if positional else []
        flags = _FLAGS.get(kind.letter, frozenset()) if positional else frozenset()
        params: dict[str, float] = {}
        for word in words:
            key, equals, raw = word.partition("=")
            if word in flags:
                continue
            if not equals and names and not params:
                key, raw = names.pop(0), word
            elif not equals or not raw or not _IDENTIFIER.fullmatch(key):
                raise _fail(f"expected an instance parameter NAME=VALUE, got {word!r}; "
                            f"{usage(kind)}", card)
            if key in params:
                raise _fail(f"instance parameter {key} is given twice", card)
            params[key] = self.value(raw, scope, card, f"instance parameter {key}")
        return params

    @staticmethod
    def _inner_node(node: str, path: str, pins: dict[str, str]) -> str:
        outer = pins.get(node)
        if outer is not None:
            return outer
        if is_ground(node):
            return GROUND
        return f"{path}.{node}"

    def _instance(self, card: Card, frame: _Frame, definition: _Body) -> _Frame:
        """The frame of the instance an X card of `frame` places: `definition`'s cards with
        its pins bound to the card's nodes and its parameters evaluated."""
        words = tokens(card.text)
        nodes = _positional(words)[:-1]
        if frame.pins is None:
            outer = [canonical_node(n) for n in nodes]
        else:
            outer = [self._inner_node(n, frame.path, frame.pins) for n in nodes]
        inner_scope = dict(frame.scope)  # ngspice scopes parameters by instantiation
        declared = {name for name, _ in definition.defaults}
        given = set()
        for word in words[1:]:
            if "=" in word:
                name, _, raw = word.partition("=")
                if name not in declared:
                    raise _fail(f"subcircuit {definition.name!r} has no parameter {name!r}", card)
                inner_scope[name] = self.value(raw, frame.scope, card, f"parameter {name}", True)
                given.add(name)
        for name, raw in definition.defaults:
            if name not in given:
                inner_scope[name] = self.value(raw, inner_scope, definition.card,
                                               f"parameter {name}", True)
        inner_scope = self._evaluate_params(definition.params, inner_scope)
        path = f"{frame.path}.{words[0]}" if frame.path else words[0]
        return _Frame(definition, inner_scope, path, dict(zip(definition.pins, outer)))

    # -- checks after the whole file -----------------------------------------------
    def _finish(self) -> None:
        if not self.circuit.elements:
            only = " (its .control block is ngspice's script, which circuitnet skips)" \
                if self.had_control else ""
            file = self.circuit.source_file
            raise NetlistSyntaxError(f"no elements: {file} has no element cards to solve{only}",
                                     Location(file, 1, self.circuit.title))
        self.directives.apply(self.circuit)
        sweep = self.circuit.dc
        while sweep is not None:
            element = self.circuit.elements.get(sweep.source)
            if element is None or element.kind.letter not in ("V", "I"):
                raise NetlistSyntaxError(f".dc sweeps a voltage or current source: no V or I "
                                         f"source named {sweep.source!r}", sweep.location)
            sweep = sweep.second
        models = self.circuit.models
        for element in self.circuit.elements.values():
            if element.kind.takes_model and element.model not in models:
                raise NetlistSyntaxError(f"{element.kind.name} {element.name} uses model "
                                         f"{element.model!r}, which no .model card defines",
                                         element.location)


def parse_netlist(text: str, filename: str = "<string>") -> Circuit:
    """Read a netlist.

    Args:
        text: the netlist; its first line is the title.
        filename: the name that error messages and `Circuit.source_file` give.

    Returns:
        The flat Circuit: parameters evaluated, subcircuits expanded, directives applied.

    Raises:
        NetlistSyntaxError: a card cannot be read, an included file cannot be found, or
            the deck has no elements; the message names file, line and card (the card
            that includes, for a missing file; the included file's own line, for an
            error inside it).
        CircuitValidationError: a duplicate element or model name.

    `.include` and `.lib` names are found from the directory of `filename`; for text
    with no real file behind it ("<string>") that is the current directory.
    """
    collecting = gc.isenabled()
    gc.disable()  # the cyclic collector would rescan the ~3 objects per card many times
    try:
        title, cards = lex(text, filename)
        cards = expand_includes(cards, filename)
        return _Parser(title, filename).parse(cards)
    finally:
        if collecting:
            gc.enable()


def read_netlist(path: str | os.PathLike[str]) -> Circuit:
    """Read a netlist file (see `parse_netlist`); OSError if it cannot be read."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse_netlist(handle.read(), os.fspath(path))

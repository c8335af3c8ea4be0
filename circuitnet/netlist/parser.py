"""Netlist text -> Circuit.

Reads the ngspice dialect the README's netlist section describes: R, D, V, I and E cards (as declared in
`circuitnet.model.elements`), `.model NAME D (...)`, `.param` with `{expr}` values, `.subckt` /
`.ends` with `X` instances (flattened), `.dc` sweeps (stored as `Circuit.dc`), `.end`,
and the `*@` directives. Cards that do not
change the DC circuit (`.op`, `.options`, `.print`, `.save`, `.control` blocks) are
skipped; everything else is an error that names the file, the line and the card.

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

from ..errors import NetlistSyntaxError
from ..model.circuit import Circuit, DcSweep
from ..model.elements import DIODE, ELEMENT_KINDS, DiodeModel, Element, ElementKind
from ..model.topology import GROUND, canonical_node, is_ground
from .directives import Directives
from .expressions import evaluate
from .lexer import Card, lex, tokens
from .units import parse_value

#: dot cards that do not change the DC circuit.
_SKIPPED = frozenset({".op", ".option", ".options", ".opt", ".print", ".plot", ".save",
                      ".probe", ".title", ".width"})
_ANALYSES = frozenset({".tran", ".ac", ".noise", ".tf", ".sens", ".pz", ".disto",
                       ".sp", ".pss", ".four", ".meas", ".measure"})
_INCLUDES = frozenset({".include", ".inc", ".lib"})
#: source keywords that ask for AC or transient behaviour.
_SOURCE_SPECS = frozenset({"ac", "pulse", "sin", "exp", "pwl", "sffm", "am", "trnoise",
                           "trrandom", "distof1", "distof2"})
#: SPICE element letters circuitnet does not simulate, for the error message.
_UNSUPPORTED = {
    "c": "capacitors (C cards)", "l": "inductors (L cards)", "k": "coupled inductors (K cards)",
    "b": "behavioural sources (B cards)", "g": "voltage-controlled current sources (G cards)",
    "f": "current-controlled current sources (F cards)",
    "h": "current-controlled voltage sources (H cards)", "m": "MOSFETs (M cards)",
    "q": "bipolar transistors (Q cards)", "j": "JFETs (J cards)", "z": "MESFETs (Z cards)",
    "s": "voltage-controlled switches (S cards)", "w": "current-controlled switches (W cards)",
    "t": "transmission lines (T cards)", "o": "lossy transmission lines (O cards)",
    "u": "RC lines (U cards)", "a": "XSPICE code models (A cards)",
}
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def _supported() -> str:
    letters = [*ELEMENT_KINDS, "X"]
    return ", ".join(letters[:-1]) + " and " + letters[-1]


def usage(kind: ElementKind) -> str:
    """The card syntax of an element kind, as an error message states it."""
    if kind.takes_model:
        what, tail = "a model name", "model"
    else:
        name = kind.value.name
        optional = kind.value.default is not None
        what = f"{'an optional' if optional else 'a'} {name}"
        tail = ("[DC] " if kind.dc_keyword else "") + (f"[{name}]" if optional else name)
    return (f"{kind.letter} card needs {len(kind.pins)} nodes and {what}: "
            f"{kind.letter}name {' '.join(kind.pins)} {tail}")


@dataclass(eq=False)
class _Body:
    """The cards of the top level or of one `.subckt` definition."""

    name: str
    parent: "_Body | None" = None
    pins: tuple[str, ...] = ()
    defaults: list[tuple[str, str]] = field(default_factory=list)
    params: list[Card] = field(default_factory=list)
    elements: list[Card] = field(default_factory=list)
    subckts: dict[str, "_Body"] = field(default_factory=dict)
    card: Card | None = None

    def find(self, name: str) -> "_Body | None":
        """The subcircuit `name` visible from here (own definitions, then enclosing ones)."""
        body: _Body | None = self
        while body is not None:
            if name in body.subckts:
                return body.subckts[name]
            body = body.parent
        return None


def _fail(message: str, card: Card) -> NetlistSyntaxError:
    return NetlistSyntaxError(message, card.location)


class _Parser:
    """One parse: a structure pass (subcircuits, models, directives), then instantiation."""

    def __init__(self, title: str, filename: str):
        self.circuit = Circuit(title=title, source_file=filename)
        self.models: list[Card] = []
        self.directive_cards: list[Card] = []
        self.dc_card: Card | None = None
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
        self._instantiate(top, self.scope, "", None, ())
        self._finish()
        return self.circuit

    # -- structure pass ------------------------------------------------------------
    def _structure(self, cards: list[Card]) -> _Body:
        top = body = _Body("")
        in_control = False
        for card in cards:
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
                if first != "x" and first.upper() not in ELEMENT_KINDS:
                    raise self._unsupported_element(card)
                body.elements.append(card)
                continue
            word = text.split(None, 1)[0]
            if word == ".end":
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
                in_control = True
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
        what = _UNSUPPORTED.get(letter, f"elements of letter {letter.upper()!r}")
        return _fail(f"{what} are not supported: circuitnet simulates DC resistive networks "
                     f"of {_supported()} cards", card)

    def _unsupported_dot(self, card: Card, word: str) -> NetlistSyntaxError:
        if word in _ANALYSES:
            return _fail(f"analysis card {word} is not supported: circuitnet computes DC "
                         f"operating points only (.op, .dc)", card)
        if word in _INCLUDES:
            return _fail(f"{word} is not supported: give circuitnet one self-contained "
                         f"netlist (paste the included cards in)", card)
        if word == ".endc":
            return _fail(".endc without a .control", card)
        return _fail(f"{word} cards are not supported: circuitnet reads .model, .param, "
                     f".subckt/.ends, .dc and .end (and skips .op, .options, .print, .save, "
                     f".control blocks)", card)

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

    # -- instantiation -------------------------------------------------------------
    def _instantiate(self, body: _Body, scope: dict[str, float], path: str,
                     pins: dict[str, str] | None, active: tuple[_Body, ...]) -> None:
        add = self.circuit.add
        for card in body.elements:
            words = tokens(card.text)
            letter = card.text[0]
            if letter == "x":
                self._instance(card, words, body, scope, path, pins, active)
                continue
            kind = ELEMENT_KINDS[letter.upper()]
            npins = len(kind.pins)
            required = kind.value is None or kind.value.default is None
            if len(words) < npins + 1 + required:
                raise _fail(usage(kind), card)
            if pins is None:
                name = words[0]
                nodes = tuple([canonical_node(n) for n in words[1:npins + 1]])
            else:
                name = f"{letter}.{path}.{words[0]}"
                nodes = tuple([self._inner_node(n, path, pins) for n in words[1:npins + 1]])
            rest = words[npins + 1:]
            if kind.takes_model:
                if len(rest) != 1:
                    raise _fail(usage(kind) + " (instance parameters such as area are not "
                                "supported)", card)
                add(Element(name, kind, nodes, None, rest[0], card.location))
                continue
            if kind.dc_keyword and rest[0][:2] == "dc":
                if rest[0] == "dc":
                    rest = rest[1:]
                elif rest[0][:3] == "dc=":
                    rest = [rest[0][3:], *rest[1:]]
            if len(rest) != 1 and (rest or required):
                spec = next((w for w in rest if w in _SOURCE_SPECS), None)
                if spec is not None:
                    raise _fail(f"{spec.upper()} source specifications are not supported: "
                                f"circuitnet computes DC only; {usage(kind)}", card)
                raise _fail(usage(kind), card)
            value = self.value(rest[0], scope, card, kind.value.name) if rest else kind.value.default
            element = Element(name, kind, nodes, value, None, card.location)
            failed = kind.value_failure(element)
            if failed:
                raise _fail(failed, card)
            add(element)

    @staticmethod
    def _inner_node(node: str, path: str, pins: dict[str, str]) -> str:
        outer = pins.get(node)
        if outer is not None:
            return outer
        if is_ground(node):
            return GROUND
        return f"{path}.{node}"

    def _instance(self, card: Card, words: list[str], body: _Body, scope: dict[str, float],
                  path: str, pins: dict[str, str] | None, active: tuple[_Body, ...]) -> None:
        positional = [w for w in words[1:] if "=" not in w and w != "params:"]
        if not positional:
            raise _fail("X card needs nodes and a subcircuit name: "
                        "Xname n1 n2 ... SUBCKT [name=value ...]", card)
        definition = body.find(positional[-1])
        if definition is None:
            raise _fail(f"unknown subcircuit {positional[-1]!r}", card)
        if definition in active:
            raise _fail(f"subcircuit {definition.name!r} instantiates itself", card)
        nodes = positional[:-1]
        if len(nodes) != len(definition.pins):
            raise _fail(f"subcircuit {definition.name!r} has {len(definition.pins)} pins "
                        f"({' '.join(definition.pins)}), the X card gives {len(nodes)} nodes",
                        card)
        if pins is None:
            outer = [canonical_node(n) for n in nodes]
        else:
            outer = [self._inner_node(n, path, pins) for n in nodes]
        inner_scope = dict(scope)  # ngspice scopes parameters by instantiation
        declared = {name for name, _ in definition.defaults}
        given = set()
        for word in words[1:]:
            if "=" in word:
                name, _, raw = word.partition("=")
                if name not in declared:
                    raise _fail(f"subcircuit {definition.name!r} has no parameter {name!r}", card)
                inner_scope[name] = self.value(raw, scope, card, f"parameter {name}", True)
                given.add(name)
        for name, raw in definition.defaults:
            if name not in given:
                inner_scope[name] = self.value(raw, inner_scope, definition.card,
                                               f"parameter {name}", True)
        inner_scope = self._evaluate_params(definition.params, inner_scope)
        self._instantiate(definition, inner_scope, f"{path}.{words[0]}" if path else words[0],
                          dict(zip(definition.pins, outer)), active + (definition,))

    # -- checks after the whole file -----------------------------------------------
    def _finish(self) -> None:
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
        NetlistSyntaxError: a card cannot be read; the message names file, line and card.
        CircuitValidationError: a duplicate element or model name.
    """
    collecting = gc.isenabled()
    gc.disable()  # the cyclic collector would rescan the ~3 objects per card many times
    try:
        title, cards = lex(text, filename)
        return _Parser(title, filename).parse(cards)
    finally:
        if collecting:
            gc.enable()


def read_netlist(path: str | os.PathLike[str]) -> Circuit:
    """Read a netlist file (see `parse_netlist`); OSError if it cannot be read."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse_netlist(handle.read(), os.fspath(path))

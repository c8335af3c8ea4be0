"""Tests of circuitnet.model.elements: every declared kind's card, checks and physics, and that a
new declaration is all the parser and validator need."""
import math

import pytest

from circuitnet import Circuit, CircuitValidationError, Element, NetlistSyntaxError
from circuitnet.model.elements import (DIODE, DIODE_DEFAULTS, DISTINCT_TERMINALS, ELEMENT_KINDS, RESISTOR,
                                       VOLTAGE_SOURCE, Conduction, ElementKind, Param, Term)
from circuitnet.netlist import parse_netlist, write_netlist

#: one card per declared kind, and the element it reads as (name, nodes, value, model).
CARDS = {
    "R": ("R1 a 0 2.2k", ("r1", ("a", "0"), 2200.0, None)),
    "D": ("D1 a 0 dm", ("d1", ("a", "0"), None, "dm")),
    "V": ("V1 a 0 DC 1.5", ("v1", ("a", "0"), 1.5, None)),
    "I": ("I1 0 a -2m", ("i1", ("0", "a"), -2e-3, None)),
    "E": ("E1 b 0 a 0 3", ("e1", ("b", "0", "a", "0"), 3.0, None)),
    "G": ("G1 b 0 a 0 2m", ("g1", ("b", "0", "a", "0"), 2e-3, None)),
    "F": ("F1 b 0 VX 3\nVX a 0 1", ("f1", ("b", "0"), 3.0, None)),
    "H": ("H1 b 0 vx 1k\nVX a 0 1", ("h1", ("b", "0"), 1000.0, None)),
    "C": ("C1 a b 10p", ("c1", ("a", "b"), 1e-11, None)),
    "L": ("L1 a b 1u", ("l1", ("a", "b"), 1e-6, None)),
    "K": ("K1 la lb 0.9\nLA a 0 1u\nLB b 0 2u", ("k1", (), 0.9, None)),
}
MODEL = ".model dm D (is=1e-15)\nRL a 0 1k\nRB b 0 1k\n"


def parse(body: str):
    return parse_netlist(f"test\n{body}", "t.cir")


def test_every_declared_kind_has_a_sample_card():
    assert set(CARDS) == set(ELEMENT_KINDS)


@pytest.mark.parametrize("letter", sorted(CARDS))
def test_card_parses_writes_back_and_reparses_to_the_same_element(letter):
    card, (name, nodes, value, model) = CARDS[letter]
    circuit = parse(f"{card}\n{MODEL}")
    element = circuit.elements[name]
    assert element.kind is ELEMENT_KINDS[letter]
    assert (element.nodes, element.value, element.model) == (nodes, value, model)
    assert element.location.line == 2 and element.location.file == "t.cir"
    again = parse_netlist(write_netlist(circuit), "t.cir")
    assert again.elements[name] == element
    again.validate()


@pytest.mark.parametrize("card, match", [
    ("R1 a 0 -5", r"t\.cir:2: 'R1 a 0 -5': r1: resistance must be positive, got -5 ohm"),
    ("R1 a 0 0", r"t\.cir:2: .*r1: resistance must be positive, got 0 ohm"),
])
def test_value_checks_fail_at_parse_time_naming_file_line_and_element(card, match):
    with pytest.raises(NetlistSyntaxError, match=match) as info:
        parse(card + "\n")
    assert info.value.location.line == 2


@pytest.mark.parametrize("card, name", [("V1 a a 1", "v1"), ("E1 a a b 0 2", "e1")])
def test_distinct_terminals_fail_at_validation_naming_file_line_and_element(card, name):
    circuit = parse(f"{card}\nR1 a 0 1\nR2 b 0 1\n")
    with pytest.raises(CircuitValidationError,
                       match=rf"t\.cir:2: .*{name}: both terminals on node 'a'") as info:
        circuit.validate()
    assert info.value.location.line == 2


@pytest.mark.parametrize("kind", [k for k in ELEMENT_KINDS.values() if k.value], ids=lambda k: k.letter)
def test_non_finite_values_fail_every_valued_kind(kind):
    element = Element(kind.letter.lower() + "1", kind, ("a", "b", "c", "d")[:len(kind.pins)], math.nan)
    assert kind.failure(element) == f"{element.name}: {kind.value.name} must be a finite number, got nan"


def test_declared_physics():
    assert [ELEMENT_KINDS[k].term for k in "RDVIE"] == [
        Term.EDGE, Term.JUNCTION, Term.TIE, Term.INJECTION, Term.CONTROLLED]
    assert DIODE.term_for(ideal=True) is Term.IDEAL_LIMIT and DIODE.term_for(ideal=False) is Term.JUNCTION
    assert RESISTOR.term_for(ideal=True) is Term.EDGE
    assert [k.letter for k in ELEMENT_KINDS.values() if k.trainable] == ["R", "I"]
    assert [ELEMENT_KINDS[k].current_vector("x1") for k in "RDVIE"] == [
        "@x1[i]", "@x1[id]", "x1#branch", None, "x1#branch"]
    assert DIODE_DEFAULTS == {"is": 1e-14, "n": 1.0, "rs": 0.0}
    assert [t for t in Term if t.fixes_voltage] == [Term.TIE, Term.CONTROLLED, Term.TRANSRESISTANCE]
    # G, F, H: nonsymmetric, newton's alone; G and F are current outputs (no DC path), H a tie
    assert [ELEMENT_KINDS[k].term.newton_only for k in "REGFH"] == [False, False, True, True, True]
    assert [ELEMENT_KINDS[k].conduction for k in "GFH"] == [Conduction.NEVER, Conduction.NEVER,
                                                           Conduction.ALWAYS]
    assert [ELEMENT_KINDS[k].current_vector("x1") for k in "GFH"] == ["@x1[i]", "@x1[i]", "x1#branch"]
    # at DC a capacitor is a 0 A injection, an inductor a 0 V tie, a coupling nothing
    assert [ELEMENT_KINDS[k].term for k in "CLK"] == [Term.INJECTION, Term.TIE, Term.OPEN]
    assert [ELEMENT_KINDS[k].dc_value for k in "RVICLK"] == [None, None, None, 0.0, 0.0, None]
    assert [ELEMENT_KINDS[k].conduction for k in "CLK"] == [Conduction.NEVER, Conduction.ALWAYS,
                                                           Conduction.NEVER]
    assert [ELEMENT_KINDS[k].current_vector("x1") for k in "CLK"] == ["@x1[i]", "x1#branch", None]
    inductor = Element("l1", ELEMENT_KINDS["L"], ("a", "b"), 1e-3)
    assert inductor.kind.dc(inductor) == 0.0 and RESISTOR.dc(Element("r1", RESISTOR, ("a", "b"), 5.0)) == 5.0


@pytest.mark.parametrize("rule, ideal, shockley", [
    (Conduction.ALWAYS, True, True), (Conduction.NEVER, False, False),
    (Conduction.UNLESS_IDEAL, False, True)])
def test_conduction_rules(rule, ideal, shockley):
    assert (rule.holds(ideal=True), rule.holds(ideal=False)) == (ideal, shockley)


#: a kind only this test declares: a fixed voltage with an optional value, letter Y.
FIXED = ElementKind("Y", "fixed voltage", ("n+", "n-"), Param("voltage", "V", default=0.0),
                    Term.TIE, Conduction.ALWAYS, "{name}#branch", checks=(DISTINCT_TERMINALS,))


@pytest.fixture
def fixed_kind(monkeypatch):
    monkeypatch.setitem(ELEMENT_KINDS, "Y", FIXED)
    return FIXED


def test_without_the_declaration_a_y_card_is_refused():
    with pytest.raises(NetlistSyntaxError, match="elements of letter 'Y' are not supported"):
        parse("Y1 a 0 2\n")


def test_a_new_declaration_is_picked_up_by_parser_writer_and_validator(fixed_kind):
    circuit = parse("*@ input y1\nY1 a 0 2\nY2 b 0\nR1 a b 1k\n")
    y1, y2 = circuit.elements["y1"], circuit.elements["y2"]
    assert (y1.kind, y1.nodes, y1.value) == (fixed_kind, ("a", "0"), 2.0)
    assert y2.value == 0.0  # the declared default
    circuit.validate()  # a TIE: a valid `*@ input` source and a DC path for a and b
    assert circuit.term_of(y1) is Term.TIE and circuit.conducts(y1)
    assert parse_netlist(write_netlist(circuit), "t.cir") == circuit
    assert "Y card needs 2 nodes and an optional voltage" in str(
        pytest.raises(NetlistSyntaxError, parse, "Y1 a 0 1 2\n").value)
    with pytest.raises(CircuitValidationError, match=r"t\.cir:2: .*y1: both terminals on node 'a'"):
        parse("Y1 a a 1\nR1 a 0 1\n").validate()
    with pytest.raises(CircuitValidationError, match="y1: closes a loop of voltage sources"):
        parse("V1 a 0 1\nY1 a 0 2\n").validate()


def test_circuit_reads_the_declarations_for_elements_built_in_code(fixed_kind):
    circuit = Circuit()
    circuit.add(Element("y1", fixed_kind, ("a", "0"), 1.0))
    circuit.add(Element("v1", VOLTAGE_SOURCE, ("a", "b"), 1.0))
    assert [e.name for e in circuit.with_term(Term.TIE)] == ["y1", "v1"]
    circuit.validate()

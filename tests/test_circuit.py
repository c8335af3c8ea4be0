"""Tests of circuitnet.model.circuit: the Circuit model, its declarations-driven queries, Bounds."""
import pytest

from circuitnet import Bounds, Circuit, CircuitValidationError, DiodeModel, Element
from circuitnet.model.elements import CURRENT_SOURCE, DIODE, RESISTOR, VCVS, VOLTAGE_SOURCE, Term
from circuitnet.netlist import parse_netlist

NETLIST = """graph
V1 in 0 1
R1 in a 1k
D1 a 0 ds
D2 a b di
E1 out 0 a 0 2
R2 out 0 1k
I1 0 b 1m
RB b 0 1k
.model ds D
.model di D
*@ ideal di
*@ trainable r1 i* v*
"""


@pytest.fixture
def circuit() -> Circuit:
    return parse_netlist(NETLIST, "g.cir")


def test_nodes_in_order_of_first_appearance_without_ground(circuit):
    assert circuit.nodes == ["in", "a", "b", "out"]


def test_graph_edges_and_dc_flags(circuit):
    graph = circuit.graph()
    assert set(graph.nodes) == {"0", "in", "a", "b", "out"}
    dc = {data["element"]: data["dc"] for _, _, data in graph.edges(data=True)}
    assert dc == {"v1": True, "r1": True, "d1": True, "d2": False, "e1": True, "r2": True,
                  "i1": False, "rb": True}
    assert graph.number_of_edges("out", "0") == 2  # e1's output and r2; its control pins are nodes


def test_trainable_names_follow_patterns_and_the_declarations(circuit):
    assert circuit.trainable_names() == ["r1"]
    assert circuit.trainable_names("I") == ["i1"]
    assert circuit.trainable_names("V") == []  # matches v*, but a source voltage is not trainable


def test_default_trainable_is_every_resistor():
    circuit = parse_netlist("t\nR1 a 0 1\nRX a 0 2\nI1 0 a 1\n")
    assert circuit.trainable_names("R") == ["r1", "rx"] and circuit.trainable_names("I") == []


def test_terms_and_conduction(circuit):
    terms = {e.name: circuit.term_of(e) for e in circuit.elements.values()}
    assert terms == {"v1": Term.TIE, "r1": Term.EDGE, "d1": Term.JUNCTION, "d2": Term.IDEAL_LIMIT,
                     "e1": Term.CONTROLLED, "r2": Term.EDGE, "i1": Term.INJECTION, "rb": Term.EDGE}
    assert [e.name for e in circuit.with_term(Term.EDGE)] == ["r1", "r2", "rb"]
    assert circuit.is_ideal(circuit.elements["d2"]) and not circuit.is_ideal(circuit.elements["r1"])


def test_an_element_with_an_unknown_model_does_not_conduct():
    circuit = Circuit()
    circuit.add(Element("d1", DIODE, ("a", "0"), model="missing"))
    assert not circuit.conducts(circuit.elements["d1"])


def test_of_kind_and_duplicates():
    circuit = Circuit()
    for element in (Element("r1", RESISTOR, ("a", "0"), 1.0), Element("v1", VOLTAGE_SOURCE, ("a", "0"), 1.0),
                    Element("i1", CURRENT_SOURCE, ("0", "a"), 1.0), Element("e1", VCVS, ("b", "0", "a", "0"), 1.0)):
        circuit.add(element)
    assert [e.name for e in circuit.of_kind("V")] == ["v1"]
    with pytest.raises(CircuitValidationError, match="duplicate element name 'r1'"):
        circuit.add(Element("r1", RESISTOR, ("b", "0"), 1.0))
    circuit.add_model(DiodeModel("dm"))
    with pytest.raises(CircuitValidationError, match="duplicate model name 'dm'"):
        circuit.add_model(DiodeModel("dm"))


@pytest.mark.parametrize("gmin, gmax", [(0.0, 1.0), (-1e-3, 1.0), (0.5, 0.5), (1.0, 0.1)])
def test_bounds_check_refuses(gmin, gmax):
    with pytest.raises(CircuitValidationError, match="need 0 < gmin < gmax"):
        Bounds(gmin, gmax).check()


def test_bounds_check_accepts_and_defaults():
    Bounds(1e-9, 1e-8).check()
    Bounds().check()

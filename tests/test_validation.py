"""Tests of circuitnet.model.validation: every check fires, with its message and card."""
import math

import pytest

from circuitnet import Bounds, CircuitValidationError, Element, NetlistSyntaxError
from circuitnet.model.elements import RESISTOR
from circuitnet.netlist import parse_netlist


def parse(body: str):
    return parse_netlist(f"test\n{body}", "t.cir")


def invalid(body: str, match: str, line: int | None = 2):
    circuit = parse(body)
    with pytest.raises(CircuitValidationError, match=match) as info:
        circuit.validate()
    assert (info.value.location.line if info.value.location else None) == line
    return circuit


def test_a_valid_circuit_passes():
    parse("V1 a 0 1\nR1 a b 1k\nD1 b 0 dm\n.model dm D\nI1 0 b 1m\nE1 c 0 b 0 2\nR2 c 0 1\n").validate()


@pytest.mark.parametrize("body, match, line", [
    ("V1 a a 1\nR1 a 0 1\n", r"t\.cir:2: .*v1: both terminals on node 'a'", 2),
    ("R1 a 0 1\nE1 b b a 0 2\n", r"t\.cir:3: .*e1: both terminals on node 'b'", 3),
    ("V1 a 0 1\nV2 a 0 2\nR1 a 0 1\n", r"v2: closes a loop of voltage sources .* 'a' and '0'", 3),
    ("V1 a 0 1\nE1 b a a 0 1\nV2 b 0 1\nR1 a 0 1\n", "v2: closes a loop", 4),
    ("R1 a 0 1\nR2 b c 1\n", r"node\(s\) 'b', 'c' have no DC path to ground.*first seen on r2", 3),
    ("R1 a 0 1\nI1 a b 1m\n", "node\\(s\\) 'b' have no DC path", 3),
    ("R1 a 0 1\nD1 a b di\nR2 b c 1\n.model di D\n*@ ideal di\n", "'b', 'c' have no DC path.*first seen on d1", 3),
])
def test_circuit_checks(body, match, line):
    invalid(body, match, line)


def test_a_shockley_diode_is_a_dc_path():
    parse("R1 a 0 1\nD1 a b dm\n.model dm D\n").validate()


@pytest.mark.parametrize("body, match", [
    ("*@ input r1\nR1 a 0 1\n", "'\\*@ input' names 'r1', which is not a voltage source"),
    ("*@ input v9\nR1 a 0 1\n", "'\\*@ input' names 'v9', which is not a voltage source"),
])
def test_input_must_name_voltage_sources(body, match):
    invalid(body, match)


@pytest.mark.parametrize("node, match", [("zz", "names unknown node 'zz'"), ("0", "names ground")])
def test_output_must_name_a_node_other_than_ground(node, match):
    """The parser names the directive's card; a circuit built in code is checked too."""
    with pytest.raises(NetlistSyntaxError, match=rf"t\.cir:2: .*'\*@ output' {match}"):
        parse(f"*@ output {node}\nR1 a 0 1\n")
    circuit = parse("R1 a 0 1\n")
    circuit.outputs = [node]
    with pytest.raises(CircuitValidationError, match=f"'\\*@ output' {match}"):
        circuit.validate()


def test_mirror_needs_an_even_number_of_sources_when_built_in_code():
    circuit = parse("*@ input v1 v2\nV1 a 0 1\nV2 b 0 1\nR1 a b 1\nR2 b 0 1\n")
    circuit.inputs.sources.pop()
    circuit.inputs.mirror = True
    with pytest.raises(CircuitValidationError, match="mirror' needs an even number"):
        circuit.validate()


@pytest.mark.parametrize("bounds", [Bounds(0.0, 1.0), Bounds(1.0, 0.5), Bounds(-1.0, 1.0)])
def test_bounds(bounds):
    circuit = parse("R1 a 0 1\n")
    circuit.bounds = bounds
    with pytest.raises(CircuitValidationError, match="conductance bounds need 0 < gmin < gmax"):
        circuit.validate()


@pytest.mark.parametrize("element, match", [
    (Element("r9", RESISTOR, ("a", "0"), -1.0), "r9: resistance must be positive, got -1 ohm"),
    (Element("r9", RESISTOR, ("a", "0"), math.inf), "r9: resistance must be a finite number, got inf"),
    (Element("r9", RESISTOR, ("a", "0"), None), "r9: resistance must be a finite number, got None"),
    (Element("r9", RESISTOR, ("a",), 1.0), "r9: a resistor has 2 pins, got 1"),
])
def test_element_checks_on_elements_built_in_code(element, match):
    circuit = parse("R1 a 0 1\n")
    circuit.add(element)
    with pytest.raises(CircuitValidationError, match=match):
        circuit.validate()


def test_unknown_model():
    circuit = parse("R1 a 0 1\nD1 a 0 dm\n.model dm D\n")
    circuit.elements["d1"].model = "nope"
    with pytest.raises(CircuitValidationError, match=r"t\.cir:3: .*d1: unknown diode model 'nope'"):
        circuit.validate()

"""Tests of circuitnet.netlist.writer: write -> parse round trips, and ngspice agreement."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ngspice_util import assert_same_voltages, run_ngspice_op, spice_test

from circuitnet import Bounds, Circuit, CircuitValidationError, DiodeModel, Element, InputSpec
from circuitnet.model.elements import ELEMENT_KINDS, RESISTOR, VOLTAGE_SOURCE, Term
from circuitnet.netlist import parse_netlist, read_netlist, write_netlist
from circuitnet.netlist.writer import REFERENCE_CURRENT, ideal_spice_params, spice_forward_drop

NETLISTS = sorted((Path(__file__).parent.parent / "netlists").glob("*.cir"))


def round_trip(circuit: Circuit) -> Circuit:
    """write -> parse, under the circuit's own file name (which Circuit equality compares)."""
    return parse_netlist(write_netlist(circuit), circuit.source_file)


# -- hypothesis: random circuits survive write -> parse ------------------------------------
finite = st.floats(allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=5e-324, allow_infinity=False)
suffix = st.from_regex(r"[a-z0-9_.]{0,6}", fullmatch=True)
node = st.from_regex(r"[a-z][a-z0-9_.]{0,5}", fullmatch=True).filter(lambda n: n != "gnd")
model_params = st.dictionaries(st.sampled_from(["is", "n", "rs", "bv", "cjo", "tt"]), positive,
                               max_size=4)


@st.composite
def diode_models(draw, name):
    params = draw(model_params)
    ideal = draw(st.booleans())
    vf = draw(st.floats(min_value=0.0, max_value=5.0)) if ideal else 0.0
    return DiodeModel(name, params, ideal, vf)


@st.composite
def circuits(draw):
    title = draw(st.from_regex(r"[A-Za-z0-9 *@_.:-]{0,30}", fullmatch=True)).strip()
    circuit = Circuit(title=title, source_file="random.cir")
    nodes = draw(st.lists(node, min_size=1, max_size=6, unique=True)) + ["0"]
    for name in draw(st.lists(st.from_regex(r"d[a-z0-9_]{0,5}", fullmatch=True), min_size=1,
                              max_size=3, unique=True)):
        circuit.add_model(draw(diode_models(name)))
    kinds = st.sampled_from(list(ELEMENT_KINDS.values()))
    specs = draw(st.lists(st.tuples(kinds, suffix), min_size=1, max_size=12,  # no elements: an error
                          unique_by=lambda spec: spec[0].letter + spec[1]))
    for kind, tail in specs:
        pins = tuple(draw(st.sampled_from(nodes)) for _ in kind.pins)
        if kind.takes_model:
            circuit.add(Element(f"d{tail}", kind, pins, None, draw(st.sampled_from(list(circuit.models)))))
        else:
            value = draw(positive if kind is RESISTOR else finite)
            element = circuit.add(Element(kind.letter.lower() + tail, kind, pins, value))
            if kind.references:  # names of the elements it couples (any names: not validated here)
                element.spec = " ".join(draw(st.lists(node, min_size=len(kind.references),
                                                      max_size=len(kind.references))))
            elif kind.dc_keyword and draw(st.booleans()):
                element.spec = draw(st.sampled_from(["ac 1.0", "sin(0.0 1.0 1000.0)",
                                                     "ac 1.0 0.5 pwl(0.0 1.0 0.001 2.0) td=1e-06"]))
            if kind.instance_params:
                element.params = draw(st.dictionaries(st.sampled_from(["ic", "m", "tc1"]), finite, max_size=2))
    sources = [e.name for e in circuit.of_kind("V")]
    if sources and draw(st.booleans()):
        mirror = len(sources) % 2 == 0 and draw(st.booleans())
        circuit.inputs = InputSpec(sources, draw(finite), mirror)
    used = circuit.nodes  # outputs are nodes an element uses, not ground, each once (parser checks)
    circuit.outputs = draw(st.lists(st.sampled_from(used), max_size=3, unique=True)) if used else []
    if draw(st.booleans()):
        circuit.trainable = draw(st.lists(st.from_regex(r"[a-z*?]{1,4}", fullmatch=True), max_size=3))
    if draw(st.booleans()):  # .options temp= tnom= (degrees Celsius) gmin= (siemens)
        celsius = st.floats(-273.0, 1e4, allow_nan=False)  # above absolute zero, as the parser requires
        circuit.temp, circuit.tnom = draw(celsius), draw(celsius)
        circuit.gmin = draw(st.floats(min_value=1e-300, max_value=1.0))
    if draw(st.booleans()):
        gmin = draw(st.floats(min_value=0.0, max_value=1.0, exclude_min=True))
        circuit.bounds = Bounds(gmin, gmin + draw(st.floats(min_value=1e-9, max_value=10.0)))
    return circuit


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(circuits())
def test_random_circuits_survive_write_and_parse(circuit):
    again = round_trip(circuit)
    assert again == circuit
    for name, element in circuit.elements.items():  # bit-identical, -0.0 included
        assert repr(again.elements[name].value) == repr(element.value)


@pytest.mark.parametrize("path", NETLISTS, ids=lambda p: p.name)
def test_example_netlists_survive_parse_write_parse(path):
    circuit = read_netlist(path)
    assert round_trip(circuit) == circuit
    assert write_netlist(round_trip(circuit)) == write_netlist(circuit)


def test_examples_are_there():
    assert {p.name for p in NETLISTS} >= {"divider.cir", "clipper.cir", "xor.cir", "subckt_param.cir"}
    kinds = {e.kind.letter for p in NETLISTS for e in read_netlist(p).elements.values()}
    # every kind the solvers simulate; a K card (Term.OPEN) waits for qp and spice to skip
    # Term.OPEN elements (spice_ref/ solves every example with qp)
    assert kinds == {letter for letter, kind in ELEMENT_KINDS.items() if kind.term is not Term.OPEN}


# -- the text itself ------------------------------------------------------------------------
def test_layout_of_the_written_netlist():
    circuit = parse_netlist("Title  Case\n*@ output b\n*@ input v1 gain=2\n.model dm D (is=1n)\n"
                            "V1 a 0 DC 1\nR1 a b 1k\nD1 b 0 dm\nE1 c 0 b 0 3\nR2 c 0 1\n")
    assert write_netlist(circuit).splitlines() == [
        "Title  Case", "*@ input v1 gain=2.0", "*@ output b", ".model dm D (is=1e-09)",
        "v1 a 0 dc 1.0", "r1 a b 1000.0", "d1 b 0 dm", "e1 c 0 b 0 3.0", "r2 c 0 1.0", ".op", ".end"]
    assert write_netlist(circuit, analysis=None).splitlines()[-2:] == ["r2 c 0 1.0", ".end"]


def test_write_netlist_to_a_file_returns_the_text_too(tmp_path):
    circuit = parse_netlist("t\n*@ output a\nV1 a 0 1\nR1 a 0 1k\n", "t.cir")
    path = tmp_path / "out.cir"
    text = write_netlist(circuit, path)
    assert text == write_netlist(circuit) and path.read_text(encoding="utf-8") == text
    write_netlist(circuit, str(path), analysis=None)  # a str path; the file is replaced
    assert path.read_text(encoding="utf-8") == write_netlist(circuit, analysis=None)
    assert read_netlist(path) == parse_netlist(text, str(path))
    with pytest.raises(OSError):
        write_netlist(circuit, tmp_path / "no" / "such" / "dir.cir")


def test_default_metadata_writes_no_directives():
    text = write_netlist(parse_netlist("t\nR1 a 0 1\n"))
    assert "*@" not in text


def test_ideal_model_without_params_gets_a_commented_stand_in():
    circuit = parse_netlist("t\n*@ ideal dm vf=0\n.model dm D\nD1 a 0 dm\nR1 a 0 1\n")
    text = write_netlist(circuit)
    assert "*@ ideal dm vf=0.0 approx" in text
    assert ".model dm D (is=1e-15 n=0.0001)" in text
    assert "forward drop is 0.07147 mV at 1 mA and 0.00596 mV more per decade" in text
    assert round_trip(circuit).models["dm"] == circuit.models["dm"]


def test_ideal_model_with_params_keeps_them():
    circuit = parse_netlist("t\n*@ ideal dm vf=0.2\n.model dm D (is=1e-14 n=0.01)\nD1 a 0 dm\n")
    text = write_netlist(circuit)
    assert "*@ ideal dm vf=0.2\n.model dm D (is=1e-14 n=0.01)" in text


@pytest.mark.parametrize("vf", [0.0, 1e-4, 0.01, 0.3, 0.7, 2.0])
def test_ideal_stand_in_drops_vf_at_the_reference_current(vf):
    params = ideal_spice_params(vf)
    drop = spice_forward_drop(params, REFERENCE_CURRENT)
    assert abs(drop - vf) < 1e-4 + 1e-6 * vf
    assert params["is"] >= 1e-20  # ngspice ignores smaller saturation currents


def test_negative_vf_cannot_be_written_as_a_spice_diode():
    circuit = Circuit()
    circuit.add_model(DiodeModel("dm", ideal=True, vf=-0.1))
    with pytest.raises(CircuitValidationError, match="vf must be >= 0"):
        write_netlist(circuit)


def test_names_without_their_letter_get_it_in_front():
    circuit = Circuit()
    circuit.add(Element("load", RESISTOR, ("a", "0"), 5.0))
    assert "rload a 0 5.0" in write_netlist(circuit)


@pytest.mark.parametrize("nodes", [("a b", "0"), ("", "0"), ("a", "x=1"), ("a;", "0")])
def test_unwritable_names_are_an_error(nodes):
    circuit = Circuit()
    circuit.add(Element("r1", RESISTOR, nodes, 5.0))
    with pytest.raises(CircuitValidationError, match="cannot be written"):
        write_netlist(circuit)


def test_non_finite_values_are_an_error():
    circuit = Circuit()
    circuit.add(Element("v1", VOLTAGE_SOURCE, ("a", "0"), float("nan")))
    with pytest.raises(ValueError, match="non-finite"):
        write_netlist(circuit)


# -- ngspice: the written netlist has the same operating point ------------------------------
@spice_test
@pytest.mark.parametrize("path", NETLISTS, ids=lambda p: p.name)
def test_ngspice_agrees_on_example_netlists(path):
    original = run_ngspice_op(path.read_text())
    written = run_ngspice_op(write_netlist(read_netlist(path)))
    assert_same_voltages(original, written)


def _style(rng: np.random.Generator, value: float) -> str:
    """A value the way a person writes it: a scale suffix, a unit, or plain."""
    for scale, letter in ((1e3, "k"), (1e-3, "m"), (1e-6, "u"), (1e6, "meg")):
        if rng.random() < 0.3 and 1.0 <= abs(value) / scale < 1000.0:
            return f"{value / scale!r}{letter}{rng.choice(['', 'ohm', 'A', 'V'])}"
    return repr(value)


def spice_style_netlist(seed: int) -> str:
    """A random R/D/V/I/E netlist in varied SPICE style; every node has a DC path to ground."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 12))
    nodes = [f"N{k}" for k in range(n)]
    lines = [f"random circuit {seed}", "* written by hand, more or less"]
    for k, name in enumerate(nodes):  # a random spanning tree of resistors to ground
        other = "0" if k == 0 else rng.choice(["0", *nodes[:k]])
        lines.append(f"R{k} {name} {other} {_style(rng, float(rng.uniform(100, 1e5)))}")
    for k in range(int(rng.integers(0, n))):
        a, b = rng.choice(nodes, 2, replace=False)
        lines.append(f"Rx{k} {a}\n+ {b} {_style(rng, float(rng.uniform(100, 1e5)))}")
    for k, name in enumerate(rng.choice(nodes, int(rng.integers(1, 3)), replace=False)):
        keyword = rng.choice(["DC ", "", "dc "])
        lines.append(f"V{k} {name} GND {keyword}{_style(rng, float(rng.uniform(-5, 5)))}")
    for k in range(int(rng.integers(0, 3))):
        a, b = rng.choice(["0", *nodes], 2, replace=False)
        lines.append(f"I{k} {a} {b} DC {_style(rng, float(rng.uniform(-5e-3, 5e-3)))} ; source")
    lines.append(f".model DA D (IS={_style(rng, float(rng.uniform(1e-15, 1e-12)))} N=1.3)")
    lines.append(f".model db d is={_style(rng, float(rng.uniform(1e-15, 1e-12)))} n=1.9 rs=2")
    for k in range(int(rng.integers(0, 4))):
        a, b = rng.choice(["0", *nodes], 2, replace=False)
        lines.append(f"D{k} {a} {b} {rng.choice(['DA', 'db'])}")
    if rng.random() < 0.5:  # a feed-forward VCVS driving its own loaded node
        a, b = rng.choice(["0", *nodes], 2, replace=False)
        lines += [f"E1 amp 0 {a} {b} {_style(rng, float(rng.uniform(-10, 10)))}", "Rl amp 0 1k"]
    lines += [".op", ".end"]
    return "\n".join(lines) + "\n"


@spice_test
@pytest.mark.parametrize("seed", range(20))
def test_ngspice_agrees_on_random_circuits(seed):
    original = spice_style_netlist(seed)
    circuit = parse_netlist(original)
    written = write_netlist(circuit)
    assert parse_netlist(written) == circuit
    assert_same_voltages(run_ngspice_op(original), run_ngspice_op(written))


@spice_test
def test_ngspice_ideal_stand_in_forward_drop():
    for vf in (0.0, 0.5):
        circuit = parse_netlist(f"t\n*@ ideal dm vf={vf}\n.model dm D\nI1 0 a DC 1m\nD1 a 0 dm\n"
                                f"R1 a 0 1e15\n")
        volts = run_ngspice_op(write_netlist(circuit))["a"]
        assert abs(volts - vf) < 1e-4

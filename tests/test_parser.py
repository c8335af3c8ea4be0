"""Tests of circuitnet.netlist.parser: cards, parameters, subcircuits, directives, errors."""
import time

import pytest

from circuitnet import Bounds, CircuitValidationError, InputSpec, NetlistSyntaxError
from circuitnet.model.elements import CURRENT_SOURCE, DIODE, RESISTOR, VCVS, VOLTAGE_SOURCE
from circuitnet.netlist import parse_netlist, read_netlist


def parse(body: str, title: str = "test"):
    return parse_netlist(f"{title}\n{body}", "t.cir")


def element(body: str, name: str):
    return parse(body).elements[name]


def fails(body: str, line: int, match: str, error=NetlistSyntaxError):
    with pytest.raises(error, match=rf"t\.cir:{line}:.*{match}") as info:
        parse(body)
    assert info.value.location.line == line
    return info.value


# -- element cards -----------------------------------------------------------------
def test_resistor():
    r = element("R1 A b 4.7K\n", "r1")
    assert (r.kind, r.nodes, r.value, r.model) == (RESISTOR, ("a", "b"), 4700.0, None)
    assert r.location.line == 2 and r.location.file == "t.cir"


@pytest.mark.parametrize("card", ["V1 a 0 DC 5", "V1 a 0 5", "v1 a 0 dc 5v", "V1 a 0 dc=5"])
def test_voltage_source_forms(card):
    v = element(card + "\n", "v1")
    assert (v.kind, v.nodes, v.value) == (VOLTAGE_SOURCE, ("a", "0"), 5.0)


def test_current_source_keeps_the_spice_sign():
    i = element("I1 a 0 DC -2m\nR1 a 0 1\n", "i1")
    assert (i.kind, i.nodes, i.value) == (CURRENT_SOURCE, ("a", "0"), -2e-3)


def test_vcvs():
    e = element("E1 out 0 in 0 10\n", "e1")
    assert (e.kind, e.nodes, e.value) == (VCVS, ("out", "0", "in", "0"), 10.0)


def test_diode_and_model_with_and_without_parentheses():
    circuit = parse("D1 a k dm\nD2 a k dn\n.model DM D (IS=1e-12 N=1.5 RS=10 CJO=2p)\n"
                    ".model dn d is=2n n=2\n.model dp D(is=3n)\n")
    d = circuit.elements["d1"]
    assert (d.kind, d.nodes, d.value, d.model) == (DIODE, ("a", "k"), None, "dm")
    assert circuit.models["dm"].params == {"is": 1e-12, "n": 1.5, "rs": 10.0, "cjo": 2e-12}
    assert circuit.models["dn"].params == {"is": 2e-9, "n": 2.0}
    assert circuit.models["dp"].params == {"is": 3e-9}
    assert not circuit.models["dm"].ideal


def test_gnd_is_ground_and_names_are_lower_case():
    circuit = parse("RA NODE1 GND 1\nRB node1 0 2\n")
    assert circuit.elements["ra"].nodes == ("node1", "0")
    assert circuit.nodes == ["node1"]


def test_title_and_source_file():
    circuit = parse_netlist("My Title\nR1 a 0 1\n", "dir/x.cir")
    assert circuit.title == "My Title"
    assert circuit.source_file == "dir/x.cir"


def test_read_netlist_uses_the_path_as_source_file(tmp_path):
    path = tmp_path / "d.cir"
    path.write_text("t\nR1 a 0 1\nR2 a 0 bad\n")
    with pytest.raises(NetlistSyntaxError, match=r"d\.cir:3:"):
        read_netlist(path)
    path.write_text("t\nR1 a 0 1\n")
    assert read_netlist(path).source_file == str(path)


def test_end_stops_parsing_and_control_cards_are_skipped():
    circuit = parse(".options reltol=1e-6\n.option gmin=1e-12\nR1 a 0 1\n.op\n.print dc v(a)\n"
                    ".save all\n.title another\n.control\nop\nC1 x 0 1\nprint all\n.endc\n"
                    ".end\n* only comments after the end\n\n")
    assert list(circuit.elements) == ["r1"]


@pytest.mark.parametrize("after", ["C1 a 0 1p", ".tran 1n 1u", "*@ output a", ".end"])
def test_a_card_after_end_is_an_error(after):
    """ngspice reads the cards after .end, SPICE3 stops: a deck with any has no one answer."""
    fails(f"R1 a 0 1\n.end\n{after}\n", 4, "a card after .end: ngspice reads the cards after .end")


# -- parameters ------------------------------------------------------------------------
def test_param_expressions():
    circuit = parse(".param r0=1k two=2\n.param r1={r0*two+1} r2='sqrt(r1-1)' r3=r0/4 big=1meg\n"
                    "R1 a 0 {r1}\nR2 a 0 {r2}\nR3 a 0 {r3}\nR4 a 0 {max(r0, 2k) ** 2 / big}\n"
                    "V1 a 0 {-two}\nE1 b 0 a 0 {pow(two, 3)}\nR5 b 0 {abs(-3)+exp(0)+log(1)+min(4,5)}\n")
    values = {name: e.value for name, e in circuit.elements.items()}
    assert values == {"r1": 2001.0, "r2": 2000.0 ** 0.5, "r3": 250.0, "r4": 4.0, "v1": -2.0,
                      "e1": 8.0, "r5": 8.0}


def test_param_may_be_used_before_its_card():
    assert element("R1 a 0 {r}\n.param r=5\n", "r1").value == 5.0


PARAMETER_ERRORS = [
    ("R1 a 0 {nope}\n", "unknown parameter 'nope'"),
    ("R1 a 0 {1/0}\n", "division by zero"),
    ("R1 a 0 {2 +}\n", "malformed expression"),
    ("R1 a 0 {foo(1)}\n", "unknown function 'foo'"),
    ("R1 a 0 {__import__('os')}\n", "unknown function|unexpected character"),
    ("R1 a 0 {1\n", "no closing"),
    (".param x\n", "name=value"),
    (".param 2x=1\n", "name=value"),
    (".param\n", "name=value"),
]


# -- subcircuits -------------------------------------------------------------------------
SUBCKT = """.param rb=1k
.subckt inner a b params: r=1k
R1 a m {r}
R2 m b {2*r}
.ends inner
.subckt outer p q
X2 p mid inner r={rb/2}
R1 mid q 3k
D1 mid 0 dm
.ends
V1 in 0 5
X1 in 0 outer
X3 in gnd inner
.model dm D
"""


def test_subcircuits_are_flattened_with_ngspice_names():
    circuit = parse(SUBCKT)
    got = {name: (e.nodes, e.value) for name, e in circuit.elements.items()}
    assert got == {
        "v1": (("in", "0"), 5.0),
        "r.x1.x2.r1": (("in", "x1.x2.m"), 500.0),
        "r.x1.x2.r2": (("x1.x2.m", "x1.mid"), 1000.0),
        "r.x1.r1": (("x1.mid", "0"), 3000.0),
        "d.x1.d1": (("x1.mid", "0"), None),
        "r.x3.r1": (("in", "x3.m"), 1000.0),
        "r.x3.r2": (("x3.m", "0"), 2000.0),
    }
    assert circuit.elements["d.x1.d1"].model == "dm"
    assert circuit.elements["r.x1.x2.r1"].location.line == 4


def test_subckt_local_params_defaults_and_nested_definitions():
    circuit = parse(".param g=10\n.subckt amp i o params: k=2 m={k*g}\n.param kk={m+1}\n"
                    ".subckt load n\nR1 n 0 {kk}\n.ends\nE1 o 0 i 0 {m}\nXl o load\n.ends\n"
                    "V1 a 0 1\nXa a b amp\nXb a c amp k=3\n")
    values = {name: e.value for name, e in circuit.elements.items()}
    assert values == {"v1": 1.0, "e.xa.e1": 20.0, "r.xa.xl.r1": 21.0, "e.xb.e1": 30.0,
                      "r.xb.xl.r1": 31.0}


@pytest.mark.parametrize("body, line, match", [
    ("X1 a b nosuch\n", 2, "unknown subcircuit 'nosuch'"),
    (".subckt s a b\nR1 a b 1\n.ends\nX1 a s\n", 5, "has 2 pins \\(a b\\), the X card gives 1"),
    (".subckt s a\nR1 a 0 1\n.ends\nX1 a s w=1\n", 5, "has no parameter 'w'"),
    (".subckt s a\nX1 a s\n.ends\nX1 a s\n", 3, "instantiates itself"),
    (".subckt s a\nR1 a 0 1\n", 2, "no matching .ends"),
    (".ends\n", 2, ".ends without a .subckt"),
    (".subckt s a\n.ends t\n", 3, "closes '.subckt s'"),
    (".subckt s a\n.ends\n.subckt s b\n.ends\n", 4, "defined twice"),
    (".subckt\n", 2, "needs a name"),
    ("X1\n", 2, "X card needs nodes and a subcircuit name"),
    (".subckt s a\n*@ output a\n.ends\n", 3, "top level"),
])
def test_subcircuit_errors(body, line, match):
    fails(body, line, match)


# -- element-card errors ---------------------------------------------------------------
ELEMENT_ERRORS = [
    ("R1 a b\n", "R card needs 2 nodes and a resistance: Rname n1 n2 resistance"),
    ("R1 a b 1 2\n", "R card needs 2 nodes"),
    ("R1 a b -5\n", "resistance must be positive, got -5"),
    ("R1 a b 0\n", "resistance must be positive, got 0"),
    ("R1 a b 1e999\n", "must be finite"),
    ("R1 a b abc\n", "cannot read resistance 'abc': expected a number"),
    ("V1 a b dc x\n", "cannot read DC value 'x': expected a number"),
    ("V1 a b 1 2\n", r"unexpected '2'; V card needs 2 nodes and an optional voltage: "
                     r"Vname n\+ n- \[\[DC\] voltage\] \[AC mag \[phase\]\]"),
    ("V1 a b DC 1 AC 1 0 3\n", "unexpected '3'"),
    ("V1 a b PULSE(0)\n", "PULSE needs at least 2 parameters, got 1"),
    ("I1 a b sin(0 1 1k 0 0 0 5)\n", "SIN takes at most 6 parameters, got 7"),
    ("I1 a b pwl(0 1 1m)\n", "PWL needs time-value pairs, got 3 numbers"),
    ("I1 a b pwl(1m 1 0 2)\n", "PWL times must not decrease"),
    ("V1 a b sin(0 1) pulse(0 1)\n", "two transient functions \\(SIN and PULSE\\)"),
    ("V1 a b dc 1 dc 2\n", "DC is given twice"),
    ("V1 a b ac 1 ac 2\n", "AC is given twice"),
    ("V1 a b sin(0 {nope})\n", "cannot read SIN parameter '\\{nope\\}'"),
    ("I1 a b pwl(0 1) td\n", "unexpected 'td'"),
    ("E1 a b c 2\n", "E card needs 4 nodes and a gain: Ename n\\+ n- nc\\+ nc- gain"),
    ("D1 a b\n.model d D\n", "D card needs 2 nodes and a model name: Dname anode cathode model"),
    ("D1 a b d 2 3\n.model d D\n", "expected an instance parameter NAME=VALUE, got '3'"),
    ("D1 a b d area=1 area=2\n.model d D\n", "instance parameter area is given twice"),
    ("D1 a b d m=x\n.model d D\n", "cannot read instance parameter m 'x'"),
    ("C1 a 0\n", r"C card needs 2 nodes and a capacitance: Cname n1 n2 capacitance \[name=value \.\.\.\]"),
    ("C1 a 0 1p 2\n", "expected an instance parameter NAME=VALUE, got '2'"),
    ("L1 a 0 1u ic\n", "expected an instance parameter NAME=VALUE, got 'ic'"),
    ("K1 l1 0.5\n", "K card needs 2 inductor names and a coupling: Kname inductor1 inductor2 coupling"),
    ("K1 l1 l2 0.5 7\n", "K card needs 2 inductor names"),
    ("Q1 c b e npn\n", "bipolar transistors"),
    ("M1 d g s b nmos\n", "MOSFETs"),
    ("F1 a 0 1\n", "F card needs 2 nodes and 1 branch name and a gain: Fname n\\+ n- branch1 gain"),
    ("H1 a 0 vx 1 2\n", "H card needs 2 nodes and 1 branch name and a transresistance"),
    ("E1 a 0 poly(1) b 0 0 2\n", r"the POLY form of a voltage-controlled voltage source is not supported: "
                                  r"circuitnet solves linear controlled sources \(POLY\(1\) with coefficients 0 k"),
    ("G1 a 0 value={v(b)}\n", "the VALUE form of a voltage-controlled current source"),
    ("E1 a 0 vol='v(b)'\n", "the VOL form"),
    ("E1 a 0 table {v(b)} = (0,0) (1,1)\n", "the TABLE form"),
    ("F1 a 0 poly(1) v1 0 2\n", "the POLY form of a current-controlled current source"),
    ("B1 a 0 v=1\n", r"B cards"),
    ("Y1 a 0\n", "elements of letter 'Y'"),
]


@pytest.mark.parametrize("card, match", [
    (".tran 1n 1u", "analysis card .tran is not supported"),
    (".ac dec 10 1 1meg", "analysis card .ac"),
    (".dc v1 0 1 0.1", "no V or I source named 'v1'"),
    (".include other.cir", "cannot read included file other.cir: No such file"),
    (".lib models.lib tt", "cannot read library models.lib: No such file"),
    (".lib tt", ".lib needs a file and a section: .lib FILE SECTION"),
    (".endl", ".endl without a .lib section"),
    (".temp", ".temp card needs one temperature"),
    (".options temp", ".options temp needs a value"),
    (".options gmin=0", ".options gmin must be positive"),
    (".ic v(a)=1", ".ic cards are not supported"),
    (".global vdd", ".global cards are not supported"),
    (".endc", ".endc without a .control"),
])
def test_unsupported_dot_cards(card, match):
    fails(f"R1 a 0 1\n{card}\n", 3, match)


def test_model_errors():
    fails(".model q1 npn (bf=100)\n", 2, "only diode models are supported .* got type 'npn'")
    fails(".model dm\n", 2, ".model card needs a name and a type")
    fails(".model dm D (is)\n", 2, "expected PARAM=VALUE")
    fails(".model dm D (is=x)\n", 2, "cannot read diode parameter is 'x'")
    fails(".model dm D\n.model dm D\n", 3, "duplicate model name", CircuitValidationError)


def test_undefined_diode_model_names_the_diode_line():
    fails("R1 a 0 1\nD7 a 0 missing\n", 3, "diode d7 uses model 'missing', which no .model")


def test_duplicate_element_names():
    error = fails("R1 a 0 1\nr1 b 0 2\n", 3, "duplicate element name 'r1'", CircuitValidationError)
    assert "t.cir:2" in str(error)


# -- directives -----------------------------------------------------------------------------
DIRECTIVES = """*@ input Vx0 VX1 vx0n vx1n gain=2.5 mirror
*@ output OUT h1
*@ output Gnd_x
*@ trainable R* I?
*@ trainable e1
*@ bounds gmin=1u gmax=10m
*@ ideal DMOD vf=0.3
Vx0 a 0 1
R1 out h1 1
R2 h1 gnd_X 1
.model dmod D (is=1n)
"""


def test_directives():
    circuit = parse(DIRECTIVES)
    assert circuit.inputs == InputSpec(["vx0", "vx1", "vx0n", "vx1n"], 2.5, True)
    assert circuit.inputs.location.line == 2
    assert circuit.outputs == ["out", "h1", "gnd_x"]
    assert circuit.trainable == ["r*", "i?", "e1"]
    assert circuit.bounds == Bounds(1e-6, 1e-2)
    model = circuit.models["dmod"]
    assert (model.ideal, model.vf, model.params) == (True, 0.3, {"is": 1e-9})


def test_defaults_without_directives():
    circuit = parse("R1 a 0 1\n")
    assert (circuit.inputs, circuit.outputs, circuit.trainable, circuit.bounds) == (
        None, [], ["r*"], Bounds())


def test_ideal_directive_after_the_model_and_approx_drops_params():
    circuit = parse(".model dm D (is=1e-15 n=1e-4)\nD1 a 0 dm\n*@ ideal dm approx\n")
    model = circuit.models["dm"]
    assert (model.ideal, model.vf, model.params) == (True, 0.0, {})


def test_empty_trainable_means_nothing_is_trainable():
    assert parse("*@ trainable\nR1 a 0 1\n").trainable == []


DIRECTIVE_ERRORS = [
    ("*@ frobnicate x\n", "unknown \\*@ directive 'frobnicate': expected one of input"),
    ("*@\n", "unknown \\*@ directive nothing"),
    ("*@ input v1 v2 v3 mirror\n", "even number of sources"),
    ("*@ input\n", "needs at least one name"),
    ("*@ input v1 gain=x\n", "cannot read gain 'x'"),
    ("*@ input v1 scale=2\n", "unknown option 'scale' \\(options: gain\\)"),
    ("*@ output\n", "needs at least one name"),
    ("*@ output nope\nR1 a 0 1\n", "'\\*@ output' names unknown node 'nope'"),
    ("*@ output gnd\nR1 a 0 1\n", "'\\*@ output' names ground \\('0'\\), which is 0 V by definition"),
    ("*@ output a A\nR1 a 0 1\n", "\\*@ output names node 'a' twice"),
    ("*@ input v1 V1\n", "\\*@ input names source 'v1' twice"),
    ("*@ bounds 3\n", "gmin=VALUE gmax=VALUE"),
    ("*@ ideal\n", "needs at least one name"),
    ("*@ ideal a b\n", "names one model"),
    ("*@ ideal nomodel vf=0.2\nR1 a 0 1\n", "\\*@ ideal names model 'nomodel', but no .model"),
]


@pytest.mark.parametrize("body, match", PARAMETER_ERRORS + ELEMENT_ERRORS + DIRECTIVE_ERRORS)
def test_errors_name_the_line_of_the_card(body, match):
    fails(body, 2, match)


@pytest.mark.parametrize("card", ["*@ bounds gmin=1 gmax=0.5", "*@ bounds gmin=0 gmax=1"])
def test_bounds_need_a_positive_gmin_below_gmax(card):
    fails(card + "\n", 2, "0 < gmin < gmax", CircuitValidationError)


def test_repeated_input_output_and_ideal_directives():
    fails("*@ input v1\n*@ input v2\n", 3, "second \\*@ input directive \\(the first is at line 2\\)")
    fails("*@ output a\n*@ output b a\nR1 a b 1\nR2 b 0 1\n", 3, "\\*@ output names node 'a' twice")
    fails("R1 a b 1\nR2 b 0 1\n*@ output a\n*@ output nope\n", 5, "unknown node 'nope'")
    fails("*@ ideal d\n*@ ideal d\n.model d D\n", 3, "declared ideal twice")


# -- speed -------------------------------------------------------------------------------------
def test_parsing_is_fast():
    n = 20_000
    lines = ["speed", "V1 n0 0 DC 1", ".model dm D (IS=1e-14)"]
    lines += [f"R{k} n{k} n{k + 1} {k + 1}.5k" for k in range(n)]
    text = "\n".join(lines) + "\n"
    start = time.perf_counter()
    circuit = parse_netlist(text)
    elapsed = time.perf_counter() - start
    assert len(circuit.elements) == n + 1
    assert elapsed < 0.4 * 5  # 100,000 elements in under 2 s (scripts/bench_parse.py); 5x margin


# -- input sizes that come from the deck ---------------------------------------------------
def _chain(levels: int, calls: int = 1) -> str:
    """A deck of `levels` subcircuits, each placing the next `calls` times in series; the
    last holds one 1k resistor."""
    lines = ["chain"]
    for k in range(levels):
        if k + 1 < levels:
            nodes = ["a", *(f"m{j}" for j in range(calls - 1)), "b"]
            body = [f"X{j} {nodes[j]} {nodes[j + 1]} s{k + 1}" for j in range(calls)]
        else:
            body = ["R1 a b 1k"]
        lines += [f".subckt s{k} a b", *body, ".ends"]
    return "\n".join(lines + ["V1 in 0 1", "X0 in 0 s0"]) + "\n"


def test_600_nested_subcircuits_expand_without_recursion():
    circuit = parse_netlist(_chain(600))
    (name,) = [n for n in circuit.elements if n != "v1"]
    assert name == "r." + ".".join(["x0"] + ["x0"] * 599) + ".r1"


def test_instances_nest_at_most_max_depth_levels():
    from circuitnet.netlist.parser import MAX_DEPTH

    assert len(parse_netlist(_chain(MAX_DEPTH)).elements) == 2
    with pytest.raises(NetlistSyntaxError, match="at most 1,000 levels deep") as info:
        parse_netlist(_chain(MAX_DEPTH + 1))
    assert info.value.location.line == 3 * MAX_DEPTH  # X0 of s999, placing s1000


def test_a_runaway_expansion_is_counted_and_refused_before_expanding():
    """22 levels of two calls each would be 2**21 resistors: refused in well under a second,
    at the top-level X card, with the count."""
    start = time.perf_counter()
    with pytest.raises(NetlistSyntaxError, match=r"x0: subcircuit 's0' expands to 2,097,152 elements") as info:
        parse_netlist(_chain(22, calls=2))
    assert time.perf_counter() - start < 0.5
    assert info.value.location.card == "X0 in 0 s0"
    with pytest.raises(NetlistSyntaxError, match="expands to more than 1,000,000,000,000 elements"):
        parse_netlist(_chain(200, calls=2))
    assert len(parse_netlist(_chain(12, calls=2)).elements) == 2**11 + 1


@pytest.mark.parametrize("value", ["1" * 10**6 + "!", "1" * 10**6 + "x", "1." + "1" * 10**6 + "e+",
                                   "1" * 10**6 + "." + "1" * 10**6 + "-", "1e" + "9" * 10**6 + "k",
                                   "{" + "1" * 10**6 + "!}", "{" + "1" * 10**6 + "e" + "1" * 10**6 + "}"])
def test_million_character_values_fail_quickly(value):
    """Number patterns do not backtrack: a 1e6-character value is refused in well under a second."""
    start = time.perf_counter()
    with pytest.raises(NetlistSyntaxError, match="t.cir:2:"):
        parse(f"R1 a 0 {value}\n")
    assert time.perf_counter() - start < 0.5


def test_deep_and_long_parameter_expressions_evaluate():
    """100,000 terms and 100,000 nested parentheses: evaluated, no RecursionError."""
    n = 100_000
    circuit = parse(".param s={" + "+".join(["1"] * n) + "}\n.param p={" + "(" * n + "2" + ")" * n + "}\n"
                    "R1 a 0 {s}\nR2 a 0 {p}\n")
    assert (circuit.elements["r1"].value, circuit.elements["r2"].value) == (float(n), 2.0)


def test_no_elements_is_reported_before_the_directives_are_checked():
    fails("*@ output nowhere\n", 1, "no elements")

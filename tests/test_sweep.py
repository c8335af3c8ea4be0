"""Tests of circuitnet.solvers.sweep (DC sweeps) and of the `.dc` card's reading and writing.

Every sweep point is compared with an independent answer: closed forms (a divider, an
ideal-diode clipper), a root of the clipper's scalar KCL equation (Shockley diodes), and
ngspice's own `.dc` run of the same netlist.
"""
import math
from pathlib import Path

import numpy as np
import pytest
from ngspice_util import run_ngspice_dc, spice_test
from scipy.optimize import brentq

from circuitnet import CircuitValidationError, NetlistSyntaxError, parse_netlist, read_netlist, solve, write_netlist
from circuitnet.model.circuit import DcSweep
from circuitnet.model.physics import GMIN, THERMAL_VOLTAGE
from circuitnet.solvers.spice import SHOCKLEY_TOLERANCE, agreement_tolerance, netlist_text
from circuitnet.solvers.sweep import MAX_POINTS, dc_sweep, dc_sweep_of, sweep_values

NETLISTS = Path(__file__).parents[1] / "netlists"

CLIPPER = """ideal clipper: out follows vin * 10k/11k until an ideal diode (vf=0.5) conducts
*@ ideal dmod vf=0.5
vin in 0 dc 0
r1 in out 1k
d1 out 0 dmod
d2 0 out dmod
rload out 0 10k
.model dmod D
.end
"""

SHOCKLEY = """Shockley clipper without RS (so that KCL at out is one scalar equation)
vin in 0 dc 0
r1 in out 1k
d1 out 0 dm
d2 0 out dm
rload out 0 10k
.model dm D (is=1e-12 n=1.5)
.end
"""

TWO_SOURCES = """two sources and a diode
vx x 0 dc 0
iy 0 y dc 0
rx x y 2k
ry y 0 1k
d1 y z dm
rz z 0 500
.model dm D (is=1e-14 n=1 rs=10)
.options reltol=1e-9 abstol=1e-15 vntol=1e-12 gmin=1e-12 itl1=1000
.dc vx -2 3 0.25 iy -1m 2m 0.5m
.end
"""


# -- sweep_values: ngspice's points -----------------------------------------------------
@pytest.mark.parametrize("start, stop, step, count", [
    (0, 1, 0.1, 11), (0, 0.3, 0.1, 4), (0, 1, 0.3, 4), (1, 0, -0.25, 5), (-1, 1, 0.7, 3),
    (0, 0, 0.1, 1), (0, 0, -1, 1), (0, 1, 2, 1), (-1e-6, 1e-6, 1e-7, 21), (5, -5, -0.1, 101),
])
def test_sweep_values_count_and_ends(start, stop, step, count):
    values = sweep_values(start, stop, step)
    assert values.shape == (count,) and values[0] == start
    np.testing.assert_allclose(values, start + np.arange(count) * step, rtol=0, atol=1e-15 * max(1, abs(stop)))
    whole = abs((stop - start) / step - round((stop - start) / step)) < 1e-6
    if whole:
        assert values[-1] == stop  # exactly, not 0.30000000000000004


@spice_test
@pytest.mark.parametrize("spec", ["0 1 0.1", "0 0.3 0.1", "0 1 0.3", "1 0 -0.25", "-1 1 0.7", "0 0 0.1",
                                  "0 1 2", "-1u 1u 0.1u", "5 -5 -0.1", "0 1m 0.1m"])
def test_sweep_values_match_ngspice(spec):
    points = run_ngspice_dc(f"t\nv1 a 0 dc 0\nr1 a 0 1k\n.dc v1 {spec}\n.end\n")["v(a)"]
    values = sweep_values(*map(float, spec.replace("u", "e-6").replace("m", "e-3").split()))
    assert values.shape == points.shape
    np.testing.assert_allclose(values, points, rtol=0, atol=1e-12 * max(1.0, np.abs(points).max()))


@pytest.mark.parametrize("start, stop, step, match", [
    (0, 1, 0, "must not be 0"), (0, 0, 0, "must not be 0"),
    (0, 1, -0.1, "must be positive"), (1, 0, 0.1, "must be negative"),
    (0, math.nan, 1, "stop must be a finite number"), (math.inf, 1, 1, "start must be a finite"),
    (0, 1, 1e-7, "more than"), (0, 1e300, 1e-300, "more than"),
])
def test_sweep_values_refuse_bad_steps(start, stop, step, match):
    with pytest.raises(ValueError, match=match):
        sweep_values(start, stop, step)


# -- analytic answers ------------------------------------------------------------------
def test_divider_every_point_and_current():
    circuit = read_netlist(NETLISTS / "divider.cir")  # 1k over 2k, v(out) = 2/3 v1
    result = dc_sweep(circuit, "V1", sweep_values(-5, 5, 0.5))
    assert result.source == "v1" and result.n_points == 21 and result.shape == (21,)
    assert result.voltages.shape == (21, len(result.nodes)) and result.solver == "cd"
    v1 = np.linspace(-5, 5, 21)
    np.testing.assert_allclose(result.values, v1, atol=1e-15)
    np.testing.assert_allclose(result.voltage("out"), 2 / 3 * v1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.voltage("in"), v1, atol=1e-15)
    np.testing.assert_allclose(result.current("R1"), v1 / 3e3, rtol=1e-12, atol=1e-17)
    np.testing.assert_allclose(result.current("v1"), -v1 / 3e3, rtol=1e-12, atol=1e-17)  # SPICE's sign


def test_ideal_clipper_is_piecewise_linear():
    result = dc_sweep(parse_netlist(CLIPPER), "vin", sweep_values(-3, 3, 0.05))
    vin = result.values
    expected = np.clip(vin * 10 / 11, -0.5, 0.5)
    np.testing.assert_allclose(result.voltage("out"), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.current("r1"), (vin - expected) / 1e3, rtol=0, atol=1e-15)
    forward = np.where(vin * 10 / 11 > 0.5, (vin - 0.5) / 1e3 - 0.5 / 1e4, 0.0)
    np.testing.assert_allclose(result.current("d1"), forward, rtol=0, atol=1e-14)


def shockley_out(vin: float) -> float:
    """v(out) of SHOCKLEY, a root of its KCL equation (each diode with ngspice's GMIN)."""
    nvt = 1.5 * THERMAL_VOLTAGE

    def kcl(v):
        diodes = 1e-12 * (math.expm1(v / nvt) - math.expm1(-v / nvt)) + 2 * GMIN * v
        return (vin - v) / 1e3 - v / 1e4 - diodes

    return brentq(kcl, -abs(vin) - 1, abs(vin) + 1, xtol=1e-15, rtol=1e-15)


@pytest.mark.parametrize("solver, method", [("cd", "batch"), ("cd", "continuation"), ("newton", "batch"),
                                            ("newton", "continuation"), ("auto", "auto")])
def test_shockley_clipper_matches_its_kcl_root(solver, method):
    result = dc_sweep(parse_netlist(SHOCKLEY), "vin", sweep_values(-4, 4, 0.25), solver=solver, method=method)
    expected = np.array([shockley_out(v) for v in result.values])
    np.testing.assert_allclose(result.voltage("out"), expected, rtol=0, atol=1e-8)
    assert result.method == ("batch" if method == "auto" else method)


# -- ngspice's own .dc -------------------------------------------------------------------
def spice_deck(circuit, card: str, saves: str = "") -> str:
    """The netlist the spice solver runs (SPICE_OPTIONS), with a `.dc` card and saves."""
    extra = f".save all {saves}\n" if saves else ""
    return netlist_text(circuit).replace(".end\n", f"{extra}{card}\n.end\n")


@spice_test
@pytest.mark.parametrize("method", ["batch", "continuation"])
def test_clipper_with_rs_matches_ngspice_dc(method):
    circuit = read_netlist(NETLISTS / "clipper.cir")
    spice = run_ngspice_dc(spice_deck(circuit, ".dc vin -3 3 0.1", "@r1[i] @d1[id] @d2[id] @rload[i]"))
    result = dc_sweep(circuit, "vin", sweep_values(-3, 3, 0.1), method=method)
    assert result.n_points == len(spice["v(out)"]) == 61
    np.testing.assert_allclose(result.values, spice["v(v-sweep)"], atol=1e-12)
    for node in ("in", "out"):
        np.testing.assert_allclose(result.voltage(node), spice[f"v({node})"], rtol=0, atol=SHOCKLEY_TOLERANCE)
    # amperes: the README's cd-ngspice bound (cd's reverse diode current is 1.3e-12 A off ngspice's)
    amperes = agreement_tolerance(circuit, solve(circuit))[1]
    for name in ("r1", "d1", "d2", "rload"):
        vector = spice[f"i(@{name}[{'id' if name[0] == 'd' else 'i'}])"]
        np.testing.assert_allclose(result.current(name), vector, rtol=1e-6, atol=amperes)
    np.testing.assert_allclose(result.current("vin"), spice["i(vin)"], rtol=1e-6, atol=amperes)


@spice_test
@pytest.mark.parametrize("solver", ["cd", "newton", "spice"])
def test_two_source_card_matches_ngspice_order_and_values(solver):
    circuit = parse_netlist(TWO_SOURCES)
    assert circuit.dc == DcSweep("vx", -2, 3, 0.25, DcSweep("iy", -1e-3, 2e-3, 0.5e-3))
    spice = run_ngspice_dc(TWO_SOURCES.replace(".dc", ".save all @ry[i] @d1[id]\n.dc"))
    result = dc_sweep_of(circuit, solver=solver)
    assert result.shape == (7, 21) and result.n_points == 147 == len(spice["v(x)"])
    assert (result.source, result.source2) == ("vx", "iy")
    np.testing.assert_allclose(result.values, spice["v(x)"], atol=1e-12)  # inner, fastest
    np.testing.assert_allclose(result.values2, np.repeat(np.linspace(-1e-3, 2e-3, 7), 21), atol=1e-15)
    for node in result.nodes:
        np.testing.assert_allclose(result.voltage(node), spice[f"v({node})"], rtol=0, atol=SHOCKLEY_TOLERANCE)
    amperes = agreement_tolerance(circuit, solve(circuit))[1]
    for name, vector in (("d1", "i(@d1[id])"), ("ry", "i(@ry[i])"), ("vx", "i(vx)")):
        np.testing.assert_allclose(result.current(name), spice[vector], rtol=1e-6, atol=amperes)


@spice_test
def test_written_dc_card_runs_in_ngspice():
    circuit = parse_netlist(TWO_SOURCES)
    text = write_netlist(circuit)  # .op, then the .dc card
    assert ".dc vx -2.0 3.0 0.25 iy -0.001 0.002 0.0005" in text.splitlines()
    options = TWO_SOURCES.splitlines()[-3]  # the writer keeps no .options: ngspice's reltol is 1e-3
    spice = run_ngspice_dc(text.replace(".op\n", f".op\n{options}\n"))
    assert len(spice["v(y)"]) == 147
    np.testing.assert_allclose(dc_sweep_of(circuit).voltage("y"), spice["v(y)"], atol=SHOCKLEY_TOLERANCE)


# -- batch and continuation, options -------------------------------------------------------
def test_batch_and_continuation_agree_in_two_source_order():
    circuit = parse_netlist(TWO_SOURCES)
    vx, iy = sweep_values(-2, 3, 0.5), sweep_values(-1e-3, 2e-3, 1e-3)
    batch = dc_sweep(circuit, "vx", vx, second=("IY", iy), solver="newton", method="batch")
    walk = dc_sweep(circuit, "vx", vx, second=("iy", iy), solver="newton", method="continuation")
    np.testing.assert_allclose(walk.voltages, batch.voltages, rtol=0, atol=1e-9)
    np.testing.assert_allclose(walk.current("d1"), batch.current("d1"), rtol=1e-7, atol=1e-15)
    for k2, i in enumerate(iy):  # point k = k2 * len(vx) + k1
        single = dc_sweep(circuit, "vx", vx, solver="newton", fixed={"iy": i})
        np.testing.assert_allclose(batch.voltages[k2 * len(vx):(k2 + 1) * len(vx)], single.voltages, atol=1e-12)


def test_compiled_circuit_and_edited_values():
    circuit = read_netlist(NETLISTS / "divider.cir")
    compiled = circuit.compile()
    values = compiled.values()
    values.set_conductances([1e-3], [compiled.res_names.index("r2")])  # r2 = 1k: v(out) = v1 / 2
    result = dc_sweep(compiled, "v1", [1.0, 2.0, 4.0], circuit_values=values)
    np.testing.assert_allclose(result.voltage("out"), [0.5, 1.0, 2.0], rtol=1e-12)
    spice = dc_sweep(compiled, "v1", [1.0, 2.0, 4.0], circuit_values=values, solver="qp")
    np.testing.assert_allclose(spice.voltage("out"), [0.5, 1.0, 2.0], rtol=1e-9)


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda c: dc_sweep(c, "vnope", [1]), r"cannot sweep 'vnope': no V or I source .*sources: v1"),
    (lambda c: dc_sweep(c, "r1", [1]), "r1 is a resistor, not a V or I source"),
    (lambda c: dc_sweep(c, "v1", [1], second=("V1", [2])), "two different sources"),
    (lambda c: dc_sweep(c, "v1", []), "has no values"),
    (lambda c: dc_sweep(c, "v1", [1, math.nan]), "not finite"),
    (lambda c: dc_sweep(c, "v1", [1], fixed={"v1": 2}), "cannot also be held fixed"),
    (lambda c: dc_sweep(c, "v1", [1], method="walk"), "unknown sweep method"),
    (lambda c: dc_sweep(c, "v1", [1], solver="qp", method="continuation"), "takes no warm start"),
    (lambda c: dc_sweep(c, "v1", [1], solver="magic"), "unknown solver"),
    (lambda c: dc_sweep(c, "v1", np.zeros(1001), second=("v1x", [0])), "v1x"),
    (lambda c: dc_sweep_of(c), "has no .dc card"),
    (lambda c: dc_sweep_of(c, DcSweep("v1", 0, 1, -0.1)), r"\.dc v1: sweep step -0.1 points away"),
])
def test_errors_name_what_is_wrong(call, match):
    with pytest.raises(CircuitValidationError, match=match):
        call(read_netlist(NETLISTS / "divider.cir"))


def test_too_many_points():
    circuit = parse_netlist(TWO_SOURCES)
    with pytest.raises(CircuitValidationError, match="more than"):
        dc_sweep(circuit, "vx", np.zeros(MAX_POINTS // 10 + 1), second=("iy", np.zeros(10)))


# -- the .dc card ----------------------------------------------------------------------------
def test_card_values_take_suffixes_and_expressions():
    circuit = parse_netlist("t\n.param top=2\nV1 a 0 1\nI1 0 a 1m\nR1 a 0 1k\n"
                            ".DC V1 {-top} {top*2} 100m I1 1u -1u -500n\n.end\n")
    assert circuit.dc == DcSweep("v1", -2.0, 4.0, 0.1, DcSweep("i1", 1e-6, -1e-6, -5e-7))
    assert circuit.dc.location.line == 6
    assert parse_netlist(write_netlist(circuit)).dc == circuit.dc
    assert parse_netlist(write_netlist(circuit, analysis=None)).dc is None  # no analysis cards


def test_card_of_a_subcircuit_source():
    circuit = parse_netlist("t\n.subckt cell a\nv1 a b 1\nr1 b 0 1k\n.ends\nx1 n cell\nr2 n 0 1k\n"
                            ".dc v.x1.v1 0 1 0.5\n.end\n")
    np.testing.assert_allclose(dc_sweep_of(circuit).voltage("n"), [0, 0.25, 0.5], atol=1e-12)  # v1 across two 1k


@pytest.mark.parametrize("card, match", [
    (".dc v1 0 1", "needs a source and three values"),
    (".dc v1 0 1 0.1 v2 0", "needs a source and three values"),
    (".dc vx 0 1 0.1", "no V or I source named 'vx'"),
    (".dc r1 0 1 0.1", "no V or I source named 'r1'"),
    (".dc temp 0 100 10", "no V or I source named 'temp'"),
    (".dc v1 0 {nope} 0.1", r"cannot read \.dc stop of v1"),
    (".dc v1 0 1 0.1\n.dc v1 0 2 0.1", "one .dc card"),
    (".subckt s a\n.dc v1 0 1 0.1\n.ends", "one .dc card, at the top level"),
])
def test_bad_cards_name_the_card(card, match):
    with pytest.raises(NetlistSyntaxError, match=match) as error:
        parse_netlist(f"t\nv1 a 0 1\nr1 a 0 1k\n{card}\n.end\n", "net.cir")
    assert error.value.location is not None and error.value.location.file == "net.cir"

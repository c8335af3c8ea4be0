"""Independent sources' DC value as ngspice's `.op` takes it (circuitnet.netlist.sources),
and the AC and transient specifications the writer keeps for ngspice."""
from __future__ import annotations

import math
import os
import subprocess
import tempfile

import numpy as np
import pytest
from ngspice_util import NGSPICE, run_ngspice_op, spice_test

from circuitnet.netlist import parse_netlist, write_netlist
from circuitnet.netlist.sources import SourceSpecError, read_source, value_at_zero
from circuitnet.netlist.units import parse_value
from circuitnet.solvers import solve

#: (what follows a V card's nodes, the DC value by hand from ngspice's manual, volts)
CASES = [
    ("DC 2 AC 1 SIN(0 1 1k)", 2.0),
    ("2.5 AC 1 0", 2.5),
    ("dc=1.5 ac=1", 1.5),
    ("AC 1", 0.0),
    ("AC 1 SIN(0.25 1 1k)", 0.25),
    ("ac 1 dc 3", 3.0),
    ("", 0.0),
    ("DC", 0.0),
    ("PULSE(1 5 1u 1n 1n 1u 2u)", 1.0),
    ("PULSE 1.25 5 1u", 1.25),
    ("PULSE(1 2) DC 4", 4.0),
    ("SIN(0.5 1 1k)", 0.5),
    ("SIN(0.1 1 1k 1m 0 90)", 1.1),  # VO + VA sin(PHASE), also before TD
    ("SIN(0.1 1 1k 0 5 -30)", -0.4),
    ("EXP(0.3 2 1u 1u 2u 1u)", 0.3),
    ("PWL(0 1.5 1m 3)", 1.5),
    ("PWL(1m 2 2m 3)", 2.0),  # before its first point the curve holds the first value
    ("PWL(-1m 0 1m 2)", 1.0),  # interpolated at t = 0
    ("PWL(0 1 1m 2) TD=0.5m", 1.0),
    ("PWL 0 1 1m 2 r=0", 1.0),
    ("SFFM(0.7 1 1k 5 100)", 0.7),
    ("SFFM(0.7 1 1k 5 100 90 90)", 0.7 + math.sin(math.pi / 2 + 5.0)),
    ("SFFM(0.7 1 1k 5 100 30)", 1.2),
    ("AM(1 0.5 1k 10k 0)", 0.0),
    ("AM(2 0.5 1k 10k 0 90 90)", 0.0),  # ngspice's AM is 0 until t > TD
    ("TRNOISE(0 1n 0 0)", 0.0),
    ("DC 1 TRNOISE(1 1n 0 0)", 1.0),
    ("TRRANDOM(1 1u 0 1 0.5)", 0.5),  # its offset
    ("TRRANDOM(4 1u 1m 1 0.5)", 0.5),
    ("TRRANDOM(1 1u 0 1)", 0.0),
    ("DC 2 DISTOF1 1 0", 2.0),
]


def _deck(cases: list[str]) -> str:
    lines = ["sources, each into its own 1k resistor"]
    for k, tail in enumerate(cases, start=1):
        lines += [f"V{k} n{k} 0 {tail}", f"R{k} n{k} 0 1k"]
    return "\n".join(lines + [".op", ".end"]) + "\n"


@pytest.mark.parametrize("tail, expected", CASES, ids=[c[0] or "nothing" for c in CASES])
def test_dc_value_by_hand(tail, expected):
    element = parse_netlist(_deck([tail]), "t.cir").elements["v1"]
    assert element.value == pytest.approx(expected, abs=1e-15)
    plain = tail.lower().replace("dc", "").replace("=", "").split()
    assert (element.spec is None) == all(_is_number(w) for w in plain)


def _is_number(word: str) -> bool:
    try:
        parse_value(word)
        return True
    except ValueError:
        return False


def test_current_sources_read_the_same_way():
    circuit = parse_netlist("t\nI1 0 a SIN(1m 1m 1k)\nI2 0 b AC 1\nI3 0 c PULSE(2m 5m)\n"
                            "R1 a 0 1k\nR2 b 0 1k\nR3 c 0 1k\n", "t.cir")
    assert [circuit.elements[n].value for n in ("i1", "i2", "i3")] == [1e-3, 0.0, 2e-3]


def test_the_spec_is_normalised_with_its_numbers_evaluated():
    circuit = parse_netlist("t\n.param amp=2 f=1k\nV1 a 0 DC 1 AC 1 SIN(0 {amp} {f}) \n"
                            "V2 b 0 pwl(0 1 1m 2) td=1u r=0\nR1 a 0 1\nR2 b 0 1\n", "t.cir")
    assert circuit.elements["v1"].spec == "ac 1.0 sin(0.0 2.0 1000.0)"
    assert circuit.elements["v2"].spec == "pwl(0.0 1.0 0.001 2.0) td=1e-06 r=0.0"
    assert write_netlist(circuit).splitlines()[1:3] == [
        "v1 a 0 dc 1.0 ac 1.0 sin(0.0 2.0 1000.0)", "v2 b 0 dc 1.0 pwl(0.0 1.0 0.001 2.0) td=1e-06 r=0.0"]


def test_specs_inside_subcircuits_are_evaluated_in_the_instance_scope():
    circuit = parse_netlist("t\n.subckt src p params: amp=1\nV1 p 0 SIN(0.5 {amp} 1k)\n.ends\n"
                            "X1 a src amp=3\nR1 a 0 1k\n", "t.cir")
    v = circuit.elements["v.x1.v1"]
    assert (v.value, v.spec) == (0.5, "sin(0.5 3.0 1000.0)")


def test_written_specs_read_back_to_the_same_circuit():
    circuit = parse_netlist(_deck([tail for tail, _ in CASES]), "t.cir")
    again = parse_netlist(write_netlist(circuit), "t.cir")
    assert again == circuit


def test_read_source_directly():
    def read(token, what):
        return parse_value(token)

    assert read_source(["ac", "1", "sin", "0", "1", "1k"], read).dc == 0.0
    assert read_source([], read).spec is None
    with pytest.raises(SourceSpecError, match="two transient functions"):
        read_source(["pulse", "0", "1", "exp", "0", "1"], read)
    assert value_at_zero("pwl", [0.0, 1.0, 1.0, 3.0], {"td": -0.5}) == 2.0  # the curve at t = 0.5


@spice_test
def test_every_dc_reading_agrees_with_ngspice_op():
    text = _deck([tail for tail, _ in CASES])
    reference = run_ngspice_op(text)  # ngspice reads the original cards
    circuit = parse_netlist(text, "t.cir")
    solution = solve(circuit, solver="cd")
    for k, (tail, expected) in enumerate(CASES, start=1):
        node = f"n{k}"
        assert reference[node] == pytest.approx(expected, abs=1e-9), tail
        assert solution.voltage(node)[0] == pytest.approx(reference[node], abs=1e-9), tail
    written = run_ngspice_op(write_netlist(circuit))  # the written deck: DC value + specs
    assert written == pytest.approx(reference, abs=1e-12)


@pytest.mark.spice
def test_the_spice_solver_runs_the_written_specs(ngspice):
    circuit = parse_netlist(_deck([tail for tail, _ in CASES]), "t.cir")
    spice, exact = solve(circuit, solver="spice"), solve(circuit, solver="cd")
    np.testing.assert_allclose(spice.voltages, exact.voltages, atol=1e-9)


def _transient(netlist: str, node: str) -> tuple[np.ndarray, np.ndarray]:
    """(times, voltages of `node`) of a deck's `.tran`, read from ngspice's ASCII rawfile."""
    with tempfile.TemporaryDirectory() as folder:
        path, raw = os.path.join(folder, "c.cir"), os.path.join(folder, "c.raw")
        with open(path, "w") as handle:
            handle.write(netlist)
        subprocess.run([NGSPICE, "-b", "-r", raw, path], cwd=folder, capture_output=True, timeout=60,
                       env=dict(os.environ, SPICE_ASCIIRAWFILE="1"), check=True)
        with open(raw) as handle:
            lines = handle.read().splitlines()
    count = int(next(line for line in lines if line.startswith("No. Variables:")).split(":")[1])
    start = lines.index("Variables:") + 1
    names = [lines[start + k].split()[1].lower() for k in range(count)]
    values = np.array(" ".join(lines[lines.index("Values:") + 1:]).split(), dtype=float)
    table = values.reshape(-1, count + 1)[:, 1:]
    return table[:, names.index("time")], table[:, names.index(f"v({node})")]


@spice_test
def test_exported_transient_specs_still_drive_ngspice_transients():
    circuit = parse_netlist("t\nV1 a 0 SIN(0.5 1 1k)\nR1 a 0 1k\nV2 b 0 PULSE(0 2 0.1m 1u 1u 1 2)\n"
                            "R2 b 0 1k\n", "t.cir")
    text = write_netlist(circuit, analysis=".tran 1u 0.5m")
    times, a = _transient(text, "a")
    _, b = _transient(text, "b")
    quarter = np.argmin(np.abs(times - 0.25e-3))
    assert a[0] == pytest.approx(0.5) and a[quarter] == pytest.approx(1.5, abs=1e-3)  # the SIN's crest
    assert b[0] == 0.0 and b[-1] == pytest.approx(2.0)  # the PULSE has risen

""".temp and .options (temp, tnom, gmin), D-card instance parameters, and decks with
nothing to solve: read, written back, and read by ngspice as circuitnet reads them."""
from __future__ import annotations

import os
import re
import subprocess

import pytest
from ngspice_util import NGSPICE, assert_same_voltages, run_ngspice_op, spice_test

from circuitnet import NetlistSyntaxError
from circuitnet.cli import main
from circuitnet.netlist import parse_netlist, read_netlist, write_netlist


def parse(body: str):
    return parse_netlist(f"t\n{body}", "t.cir")


DIODE = "V1 a 0 DC 1\nR1 a k 1k\nD1 k 0 dm\n.model dm D (is=1e-14 n=1.2)\n"


# -- .temp and .options -----------------------------------------------------------------------
@pytest.mark.parametrize("cards, temp, tnom, gmin", [
    ("", 27.0, 27.0, 1e-12),
    (".temp 50", 50.0, 27.0, 1e-12),
    (".options temp=40 tnom=30 gmin=1e-10 reltol=1e-6 noacct", 40.0, 30.0, 1e-10),
    (".option TEMP = 0.1k", 100.0, 27.0, 1e-12),
    (".opt gmin=1p", 27.0, 27.0, 1e-12),
    (".temp 60\n.options temp=40", 60.0, 27.0, 1e-12),  # .temp wins wherever it stands
    (".options temp=40\n.temp 60", 60.0, 27.0, 1e-12),
    (".options temp=40\n.options temp=45 tnom=20", 45.0, 20.0, 1e-12),  # the last one wins
    (".param t=85\n.temp {t}", 85.0, 27.0, 1e-12),
])
def test_temperatures_and_gmin(cards, temp, tnom, gmin):
    circuit = parse(f"{DIODE}{cards}\n")
    assert (circuit.temp, circuit.tnom, circuit.gmin) == (temp, tnom, gmin)
    again = parse_netlist(write_netlist(circuit), "t.cir")
    assert (again.temp, again.tnom, again.gmin) == (temp, tnom, gmin)


def test_the_writer_writes_one_options_card_for_what_is_not_default():
    assert ".options" not in write_netlist(parse(DIODE))
    circuit = parse(DIODE + ".temp 50\n.options gmin=1e-10\n")
    lines = write_netlist(circuit).splitlines()
    assert [line for line in lines if line.startswith(".options")] == [".options temp=50.0 gmin=1e-10"]


def _ngspice_log(text: str, folder) -> str:
    path = os.path.join(folder, "deck.cir")
    with open(path, "w") as handle:
        handle.write(text)
    done = subprocess.run([NGSPICE, "-b", path], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


@spice_test
def test_ngspice_runs_the_written_options_at_the_same_temperatures(tmp_path):
    original = f"t\n{DIODE}.temp 75\n.options tnom=35 reltol=1e-9 abstol=1e-15 vntol=1e-12\n.op\n.end\n"
    circuit = parse_netlist(original, "t.cir")
    written = write_netlist(circuit).replace(".op", ".options reltol=1e-9 abstol=1e-15 vntol=1e-12\n.op")
    assert "TEMP = 75.000000 and TNOM = 35.000000" in _ngspice_log(written, tmp_path)
    assert_same_voltages(run_ngspice_op(written), run_ngspice_op(original), rel=1e-12)
    assert abs(run_ngspice_op(written)["k"] - run_ngspice_op(f"t\n{DIODE}.op\n.end\n")["k"]) > 1e-3


# -- D-card instance parameters ---------------------------------------------------------------
@pytest.mark.parametrize("tail, params", [
    ("", {}),
    ("2", {"area": 2.0}),
    ("area=3", {"area": 3.0}),
    ("1.5 m=2 off", {"area": 1.5, "m": 2.0}),
    ("off", {}),
    ("area=2 m=3 pj=1u temp=50 dtemp=5 ic=0.6", {"area": 2.0, "m": 3.0, "pj": 1e-6, "temp": 50.0,
                                                  "dtemp": 5.0, "ic": 0.6}),
    ("AREA = {2*2}", {"area": 4.0}),
])
def test_diode_instance_parameters(tail, params):
    circuit = parse(DIODE.replace("D1 k 0 dm", f"D1 k 0 dm {tail}"))
    assert circuit.elements["d1"].params == params
    again = parse_netlist(write_netlist(circuit), "t.cir")
    assert again == circuit and again.elements["d1"].params == params


def test_written_diode_card():
    circuit = parse(DIODE.replace("D1 k 0 dm", "D1 k 0 dm 2 m=3 off"))
    assert "d1 k 0 dm area=2.0 m=3.0" in write_netlist(circuit).splitlines()


@spice_test
def test_ngspice_reads_the_written_instance_parameters_as_the_original_card():
    tight = ".options reltol=1e-9 abstol=1e-15 vntol=1e-12\n.op\n.end\n"
    # (ngspice 39 refuses a bare AREA after the model name, which circuitnet reads and
    # writes back as area=)
    original = "t\n" + DIODE.replace("D1 k 0 dm", "D1 k 0 dm area=2 m=3 temp=60 off") + tight
    assert "area=2.0" in write_netlist(parse_netlist(original.replace("area=2", "2"), "t.cir"))
    written = write_netlist(parse_netlist(original, "t.cir")).replace(".op", tight.split("\n")[0] + "\n.op")
    assert_same_voltages(run_ngspice_op(written), run_ngspice_op(original), rel=1e-12)
    plain = run_ngspice_op("t\n" + DIODE + tight)
    assert abs(run_ngspice_op(written)["k"] - plain["k"]) > 1e-3  # the parameters matter


# -- nothing to solve -------------------------------------------------------------------------
@pytest.mark.parametrize("text, control", [
    ("", False),
    ("only a title\n", False),
    ("comments\n* nothing\n.op\n.end\n", False),
    ("a script\n.control\nsource other.cir\nop\n.endc\n.end\n", True),
    ("definitions only\n.subckt s a\nR1 a 0 1\n.ends\n.model dm D\n", False),
])
def test_a_deck_without_elements_is_an_error_naming_the_file(text, control):
    with pytest.raises(NetlistSyntaxError, match=r"^t\.cir:1: .*no elements: t\.cir has no element cards") as info:
        parse_netlist(text, "t.cir")
    assert ("control block" in str(info.value)) == control


def test_read_netlist_and_the_cli_name_the_empty_file(tmp_path, capsys):
    empty = tmp_path / "empty.cir"
    empty.write_text("t\n.control\nop\n.endc\n")
    with pytest.raises(NetlistSyntaxError, match=re.escape(f"no elements: {empty}")):
        read_netlist(empty)
    for verb in (["solve"], ["check", "--solvers", "cd,qp"]):
        assert main([verb[0], str(empty), *verb[1:]]) == 2
        err = capsys.readouterr().err
        assert f"circuitnet {verb[0]}: error:" in err and "no elements" in err and "Traceback" not in err

"""Tests of `circuitnet export`."""
from pathlib import Path

import pytest

from circuitnet.cli import main
from circuitnet.netlist import parse_netlist, read_netlist, write_netlist
from ngspice_util import assert_same_voltages, run_ngspice_op, spice_test

NETLISTS = Path(__file__).parent.parent / "netlists"


def test_export_writes_the_flat_netlist(tmp_path):
    out = tmp_path / "flat.cir"
    assert main(["export", str(NETLISTS / "subckt_param.cir"), "-o", str(out)]) == 0
    text = out.read_text()
    assert text == write_netlist(read_netlist(NETLISTS / "subckt_param.cir"))
    assert ".subckt" not in text and "{" not in text and ".param" not in text
    assert "r.xa.x1.r1 in xa.tap 2000.0" in text
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_export_to_standard_output(capsys):
    assert main(["export", str(NETLISTS / "divider.cir"), "-o", "-"]) == 0
    circuit = parse_netlist(capsys.readouterr().out, str(NETLISTS / "divider.cir"))
    assert circuit == read_netlist(NETLISTS / "divider.cir")


def test_export_reports_netlist_errors_with_their_line(tmp_path, capsys):
    bad = tmp_path / "bad.cir"
    bad.write_text("t\nR1 a 0 1k\nQ1 a 0 0 npn\n")
    assert main(["export", str(bad), "-o", str(tmp_path / "out.cir")]) == 2
    err = capsys.readouterr().err
    assert "circuitnet export: error:" in err and "bad.cir:3:" in err and "bipolar transistors" in err
    assert not (tmp_path / "out.cir").exists()


@pytest.mark.parametrize("make", [lambda p: p, lambda p: p / "missing.cir",
                                  lambda p: p / "weights.npz"])
def test_export_rejects_inputs_it_cannot_read(tmp_path, capsys, make):
    (tmp_path / "weights.npz").write_bytes(b"PK")
    assert main(["export", str(make(tmp_path)), "-o", str(tmp_path / "o.cir")]) == 2
    err = capsys.readouterr().err
    assert "cannot export" in err or "no such file" in err or "cannot read checkpoint" in err


def test_export_reports_an_unwritable_output(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "dir.cir"
    assert main(["export", str(NETLISTS / "divider.cir"), "-o", str(target)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_export_needs_an_output():
    with pytest.raises(SystemExit):
        main(["export", str(NETLISTS / "divider.cir")])


@spice_test
def test_exported_netlist_runs_in_ngspice(tmp_path):
    out = tmp_path / "xor.cir"
    assert main(["export", str(NETLISTS / "xor.cir"), "-o", str(out)]) == 0
    assert_same_voltages(run_ngspice_op((NETLISTS / "xor.cir").read_text()),
                         run_ngspice_op(out.read_text()))

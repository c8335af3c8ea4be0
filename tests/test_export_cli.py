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


@pytest.fixture
def run(tmp_path) -> Path:
    """A run directory whose last.npz (epoch 2) and best.npz (epoch 1) hold different values of r1_0_0."""
    import numpy as np

    from circuitnet.learning.checkpoint import save_checkpoint
    from circuitnet.learning.parameters import Parameters

    text = (NETLISTS / "xor_drn.cir").read_text()
    params = Parameters.from_circuit(parse_netlist(text, "xor_drn.cir"))
    directory = tmp_path / "run"
    directory.mkdir()
    for name, epoch, g in (("best.npz", 1, 0.5), ("last.npz", 2, 0.25)):
        conductances = params.conductances.copy()
        conductances[params.resistors.index("r1_0_0")] = g
        state = {"conductances": conductances, "biases": params.biases, "epoch": np.array(epoch),
                 "resistors": np.array(params.resistors), "sources": np.array(params.sources)}
        save_checkpoint(directory / name, state, text, "xor_drn.cir")
    return directory


@pytest.mark.parametrize("options, ohms", [([], 4.0), (["--best"], 2.0)])
def test_export_of_a_run_takes_last_npz_unless_best(run, tmp_path, options, ohms):
    out = tmp_path / "trained.cir"
    assert main(["export", str(run), "-o", str(out), *options]) == 0
    assert read_netlist(out).elements["r1_0_0"].value == ohms


def test_export_help_names_the_checkpoint_it_uses(capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "last.npz, the latest epoch, unless --best" in text and "--best for a run directory: export best.npz" in text


def test_export_of_a_damaged_last_npz_says_what_to_do(run, tmp_path, capsys):
    (run / "last.npz").write_bytes((run / "last.npz").read_bytes()[:300])
    assert main(["export", str(run), "-o", str(tmp_path / "o.cir")]) == 2
    err = capsys.readouterr().err
    assert f"{run / 'last.npz'}: cannot read checkpoint" in err and f"circuitnet export {run} --best" in err
    assert main(["export", str(run), "-o", str(tmp_path / "o.cir"), "--best"]) == 0


def test_export_best_needs_a_run_directory(run, tmp_path, capsys):
    assert main(["export", str(run / "last.npz"), "-o", str(tmp_path / "o.cir"), "--best"]) == 2
    assert "--best picks best.npz of a training run directory" in capsys.readouterr().err


def test_export_of_a_run_without_an_epoch(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{}\n")
    assert main(["export", str(tmp_path), "-o", str(tmp_path / "o.cir")]) == 2
    assert "no last.npz: not a training run directory, or no epoch finished yet" in capsys.readouterr().err

"""`circuitnet train` on bad input: a start that fails, options given with --resume, option values
that train nothing; each ends in a one-line error or a run that works, never a traceback."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from circuitnet.cli import main
from circuitnet.learning.checkpoint import load_checkpoint

XOR = Path(__file__).resolve().parent.parent / "netlists" / "xor_drn.cir"  # 2 features, 1 output


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> str:
    """--data for a 40-row XOR CSV (32 training rows, 8 test rows)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(40, 2))
    y = (x[:, 0] > 0.5) != (x[:, 1] > 0.5)
    path = tmp_path_factory.mktemp("data") / "xor.csv"
    np.savetxt(path, np.c_[x, y], delimiter=",", fmt="%.4f")
    return f"csv:{path}"


def train(*args) -> int:
    return main(["train", str(XOR), *map(str, args), "--quiet"])


def error_line(capsys) -> str:
    """The one line on stderr (no traceback, no warning before it)."""
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("circuitnet train: error: "), err
    return err


def settings(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())["settings"]


def test_the_corrected_command_works_after_a_start_that_failed(tmp_path, data, capsys):
    """nep at beta 5 fails in its first epoch, leaving config.json; the same command with a
    good beta is not refused as 'already holds a run' and trains with the new settings."""
    run = tmp_path / "r1"
    assert train("--data", data, "--out", run, "--algorithm", "nep", "--beta", "5") == 2
    assert "no steady state" in error_line(capsys)
    assert (run / "config.json").exists() and not (run / "last.npz").exists()
    assert train("--data", data, "--out", run, "--algorithm", "nep", "--beta", "0.1", "--epochs", "1") == 0
    assert settings(run)["beta"] == 0.1 and load_checkpoint(run / "last.npz").epoch == 1


def test_resume_of_a_start_that_failed_takes_the_corrected_settings(tmp_path, data, capsys):
    run = tmp_path / "r1"
    assert train("--data", data, "--out", run, "--algorithm", "nep", "--beta", "5") == 2
    capsys.readouterr()
    assert train("--out", run, "--resume", "--beta", "0.1", "--epochs", "1") == 0
    assert settings(run)["beta"] == 0.1 and settings(run)["algorithm"] == "nep"
    assert load_checkpoint(run / "last.npz").epoch == 1


def test_a_run_with_an_epoch_is_still_refused(tmp_path, data, capsys):
    run = tmp_path / "run"
    assert train("--data", data, "--out", run, "--epochs", "1") == 0
    capsys.readouterr()
    assert train("--data", data, "--out", run, "--epochs", "1") == 2
    assert "already holds a run: pass --resume" in error_line(capsys)


def test_options_given_with_resume_override_the_stored_ones(tmp_path, data):
    """--lr given with --resume trains the later epochs at that rate (the run differs from one
    resumed without it) and config.json records the settings the run now uses."""
    for name in ("same", "faster"):
        assert train("--data", data, "--out", tmp_path / name, "--epochs", "1", "--lr", "0.01") == 0
    assert train("--out", tmp_path / "same", "--resume", "--epochs", "2") == 0
    assert train("--out", tmp_path / "faster", "--resume", "--epochs", "2", "--lr", "0.05") == 0
    same, faster = (load_checkpoint(tmp_path / name / "last.npz") for name in ("same", "faster"))
    assert same.epoch == faster.epoch == 2
    assert not np.array_equal(same.state["conductances"], faster.state["conductances"])
    config = json.loads((tmp_path / "faster" / "config.json").read_text())
    assert config["settings"]["lr"] == 0.05 and config["settings"]["epochs"] == 2
    assert settings(tmp_path / "same")["lr"] == 0.01  # an option not given keeps the stored value
    assert len(config["resumed"]) == 1  # the command line of each resume (here pytest's)


@pytest.mark.parametrize("change, message", [
    (["--algorithm", "pep"], "--algorithm pep (the run's: cep)"),
    (["--data", "digits"], "--data digits (the run's: csv:"),
    (["--netlist"], "NETLIST "),
])
def test_resume_refuses_what_cannot_change_mid_run(tmp_path, data, capsys, change, message):
    run = tmp_path / "run"
    assert train("--data", data, "--out", run, "--epochs", "1") == 0
    before = (run / "config.json").read_text()
    capsys.readouterr()
    if change == ["--netlist"]:
        other = tmp_path / "copy.cir"
        other.write_text(XOR.read_text())
        status = main(["train", str(other), "--out", str(run), "--resume", "--epochs", "2", "--quiet"])
    else:
        status = train("--out", run, "--resume", "--epochs", "2", *change)
    assert status == 2
    err = error_line(capsys)
    assert "cannot change mid-run" in err and message in err and "another --out" in err
    assert (run / "config.json").read_text() == before and load_checkpoint(run / "last.npz").epoch == 1


def test_epochs_zero_is_refused_before_anything_is_written(tmp_path, data, capsys):
    run = tmp_path / "run"
    assert train("--data", data, "--out", run, "--epochs", "0") == 2
    assert "--epochs 0 trains nothing" in error_line(capsys)
    assert not run.exists()


def test_resume_with_fewer_epochs_than_done(tmp_path, data, capsys):
    run = tmp_path / "run"
    assert train("--data", data, "--out", run, "--epochs", "2") == 0
    capsys.readouterr()
    assert train("--out", run, "--resume", "--epochs", "1") == 2
    assert "--epochs 1 is fewer than the 2 epochs" in error_line(capsys)
    assert train("--out", run, "--resume") == 0  # as many as done: says so, rewrites the results
    assert "nothing left to train" in capsys.readouterr().out


@pytest.mark.parametrize("options, message", [
    (["--batch-size", "0"], "batch_size must be an integer >= 1, got 0"),
    (["--batch-size", "-2"], "batch_size must be an integer >= 1, got -2"),
    (["--sweeps", "0"], "sweeps must be an integer >= 1, got 0"),
    (["--seed", "-1"], "seed must be an integer >= 0, got -1"),
    (["--epochs", "-1"], "epochs must be an integer >= 0, got -1"),
    (["--algorithm", "agnostic-ep", "--rounds", "0"], "rounds must be an integer >= 1, got 0"),
    (["--lr", "inf"], "lr must be a number > 0"),
    (["--lr", "0.01,nan"], "lr must be a number > 0"),
    (["--beta", "inf"], "beta must be positive, got inf"),
    (["--lr-decay", "nan"], r"lr_decay must be in (0, 1]"),
    (["--tol", "inf"], "tol must be positive"),
])
def test_bad_option_values_are_one_line_errors(tmp_path, data, capsys, options, message):
    run = tmp_path / "run"
    assert train("--data", data, "--out", run, *options) == 2
    assert message in error_line(capsys)
    assert not run.exists()


def test_bad_option_values_with_resume_are_refused_before_training(tmp_path, data, capsys):
    run = tmp_path / "run"
    assert train("--data", data, "--out", run, "--epochs", "1") == 0
    before = (run / "config.json").read_text()
    capsys.readouterr()
    assert train("--out", run, "--resume", "--epochs", "2", "--lr", "inf") == 2
    assert "lr must be a number > 0" in error_line(capsys)
    assert (run / "config.json").read_text() == before and load_checkpoint(run / "last.npz").epoch == 1


def test_a_damaged_last_checkpoint_on_resume_names_the_file_and_the_way_out(tmp_path, data, capsys):
    run = tmp_path / "run"
    assert train("--data", data, "--out", run, "--epochs", "1") == 0
    capsys.readouterr()
    whole = (run / "last.npz").read_bytes()
    (run / "last.npz").write_bytes(whole[:len(whole) // 2])
    assert train("--out", run, "--resume", "--epochs", "2") == 2
    err = error_line(capsys)
    assert f"{run / 'last.npz'}: cannot read checkpoint" in err and f"copy {run / 'best.npz'} over it" in err

"""`circuitnet sweep`: a 2x2 grid on digits in Ray tasks (run directories as `circuitnet train`
writes them, the summary, --resume), grid errors before anything starts, a missing Ray, and a
run whose worker is killed mid-run ending as an uninterrupted run ends."""
from __future__ import annotations

import csv
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from circuitnet.cli import main
from circuitnet.learning.checkpoint import load_checkpoint

ray = pytest.importorskip("ray")

#: tiny-network settings that train (beta small enough for 4 hidden units)
FIXED = ["--grid", "beta=0.05"]


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module (the sweeps use the Ray already initialised)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """A 64-4-10 deep resistive network for digits."""
    path = tmp_path_factory.mktemp("net") / "tiny.cir"
    assert main(["build", "drn", "--inputs", "64", "--hidden", "4", "--outputs", "10", "-o", str(path)]) == 0
    return path


def sweep(netlist: Path, out: Path, *args: str) -> int:
    return main(["sweep", str(netlist), "--data", "digits", "--out", str(out), *args])


def states_equal(a: Path, b: Path) -> None:
    """Two last.npz hold the same parameters, optimizer state and history (but the seconds)."""
    sa, sb = load_checkpoint(a).state, load_checkpoint(b).state
    assert sorted(sa) == sorted(sb)
    for key in sa:
        x, y = (sa[key][:, :4], sb[key][:, :4]) if key == "history" else (sa[key], sb[key])
        np.testing.assert_array_equal(x, y, err_msg=key)


def test_a_2x2_sweep_trains_every_run_like_train_and_resume_skips_them(local_ray, tiny, tmp_path, capsys):
    out = tmp_path / "sweep"
    assert sweep(tiny, out, "--grid", "lr=0.01,0.05", "--grid", "batch-size=16,32", "--grid", "epochs=1",
                 *FIXED) == 0
    printed = capsys.readouterr().out
    names = [f"lr={lr}_batch_size={b}_epochs=1_beta=0.05_seed=0" for lr in ("0.01", "0.05") for b in (16, 32)]
    with open(out / "summary.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["run"] for r in rows] == names
    assert {(r["lr"], r["batch_size"], r["seed"]) for r in rows} == {(lr, b, "0") for lr in ("0.01", "0.05")
                                                                      for b in ("16", "32")}
    assert all(0 <= float(r["best_test_error"]) <= float(r["final_test_error"]) <= 1 and float(r["seconds"]) > 0
               and r["error"] == "" for r in rows)
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    best = min(rows, key=lambda r: float(r["best_test_error"]))
    assert f"best configuration: --lr {best['lr']} --batch-size {best['batch_size']}" in printed
    for name in names:
        assert {p.name for p in (out / name).iterdir()} == {"config.json", "metrics.csv", "last.npz", "best.npz",
                                                           "trained.cir", "curves.png"}
    # a run is the run `circuitnet train` makes with the same options (config.json records that command)
    run = out / names[1]
    argv = json.loads((run / "config.json").read_text())["argv"]
    assert argv[:2] == ["train", str(tiny)] and "--batch-size" in argv
    alone = tmp_path / "alone"
    assert main([*argv[:argv.index("--out") + 1], str(alone), *argv[argv.index("--out") + 2:]]) == 0
    states_equal(run / "last.npz", alone / "last.npz")

    # the same command again refuses before training; with --resume every run is skipped
    capsys.readouterr()
    args = ["--grid", "lr=0.01,0.05", "--grid", "batch-size=16,32", "--grid", "epochs=1", *FIXED]
    assert sweep(tiny, out, *args) == 2
    assert "already holds a run: pass --resume" in capsys.readouterr().err
    stamps = {name: (out / name / "last.npz").stat().st_mtime_ns for name in names}
    assert sweep(tiny, out, *args, "--resume") == 0
    assert capsys.readouterr().out.count(": finished") == 4
    assert {name: (out / name / "last.npz").stat().st_mtime_ns for name in names} == stamps
    with open(out / "summary.csv", newline="") as handle:
        assert list(csv.DictReader(handle)) == rows


def test_a_failing_run_is_reported_and_the_others_go_on(local_ray, tiny, tmp_path, capsys):
    """beta 0.2 exceeds what 4 hidden units can take (no steady state): that run fails in
    summary.csv with train's message, the other finishes, the exit status is 1."""
    out = tmp_path / "sweep"
    assert sweep(tiny, out, "--grid", "beta=0.05,0.2", "--grid", "epochs=1") == 1
    with open(out / "summary.csv", newline="") as handle:
        failed, finished = sorted(csv.DictReader(handle), key=lambda r: r["error"], reverse=True)
    assert failed["beta"] == "0.2" and "no steady state" in failed["error"] and failed["best_test_error"] == "nan"
    assert finished["beta"] == "0.05" and finished["error"] == "" and float(finished["best_test_error"]) <= 1
    printed = capsys.readouterr().out
    assert "1 of 2 runs failed: beta=0.2_epochs=1_seed=0" in printed
    assert "best configuration: --beta 0.05 --epochs 1" in printed


@pytest.mark.parametrize("grid, message", [
    (["lr=0.01", "foo=1", "momentom=0.5"], "unknown --grid key(s) foo, momentom; valid keys: algorithm, "),
    (["seed=0,1"], "unknown --grid key(s) seed; valid keys: algorithm, batch-size, beta, bias-lr, device, "
                   "device-energy, device-scale, dtype, epochs, homeostasis, lr, lr-decay, mode, momentum, rounds, "
                   "solver, sweeps, tol; give seeds with --seeds N"),
    (["lr=0.01,x"], "--grid lr: bad value 'x': expected a number"),
    (["algorithm=cep,ep2"], "--grid algorithm: bad value 'ep2': choose from "),
    (["epochs=1,two"], "--grid epochs: bad value 'two'"),
    (["momentum=0.5,1.5"], "run momentum=1.5_seed=0: momentum must be in [0, 1), got 1.5"),
    (["algorithm=cep,agnostic-ep", "rounds=2"], "run algorithm=cep_rounds=2_seed=0: rounds is a setting of "
                                                "agnostic-ep only"),
    (["lr=0.01,0.010"], "lr: value(s) 0.01 given more than once"),
    (["lr=0.01", "lr=0.02"], "--grid lr given twice"),
    (["lr"], "--grid 'lr': expected KEY=V1,V2"),
    (["sweeps=5", "tol=1e-5"], "--grid sweeps and --grid tol exclude each other"),
])
def test_a_bad_grid_is_one_line_before_anything_starts(tiny, tmp_path, capsys, grid, message):
    out = tmp_path / "sweep"
    assert sweep(tiny, out, *[a for g in grid for a in ("--grid", g)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"circuitnet sweep: error: {message}"), err
    assert not out.exists()


def test_without_ray_the_error_says_what_to_install(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    assert sweep(tiny, tmp_path / "sweep", "--grid", "lr=0.01", "--grid", "epochs=1", *FIXED) == 2
    assert capsys.readouterr().err == ("circuitnet sweep: error: circuitnet sweep needs Ray: "
                                       "pip install 'circuitnet[cluster]'\n")


def test_a_run_whose_worker_is_killed_resumes_and_ends_as_if_never_interrupted(local_ray, tiny, tmp_path, capsys):
    """SIGKILL the worker once the first epoch's checkpoint is written: Ray retries the task,
    which continues from last.npz; the run's last.npz equals an uninterrupted run's."""
    out = tmp_path / "sweep"
    grid = ["--grid", "epochs=3", "--grid", "batch-size=2", *FIXED]
    run = out / "epochs=3_batch_size=2_beta=0.05_seed=0"
    codes = []
    driver = threading.Thread(target=lambda: codes.append(sweep(tiny, out, *grid)))
    driver.start()
    deadline = time.monotonic() + 60
    while not ((run / "last.npz").exists() and (run / "worker.pid").exists()) and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = int((run / "worker.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    killed_after = load_checkpoint(run / "last.npz").epoch
    driver.join(timeout=120)
    assert codes == [0]
    assert killed_after < 3  # the kill did interrupt the run
    config = json.loads((run / "config.json").read_text())
    assert len(config["resumed"]) == 1  # the retry continued the run
    assert not (run / "worker.pid").exists()
    uninterrupted = tmp_path / "uninterrupted"
    assert main(["train", str(tiny), "--data", "digits", "--out", str(uninterrupted), "--epochs", "3",
                 "--batch-size", "2", "--beta", "0.05", "--quiet"]) == 0
    states_equal(run / "last.npz", uninterrupted / "last.npz")
    assert load_checkpoint(run / "last.npz").epoch == 3

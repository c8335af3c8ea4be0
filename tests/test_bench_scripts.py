"""Smoke test of the benchmark scripts: a --quick run writes JSON with rows."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_quick(script: str, tmp_path: Path) -> dict:
    """Run scripts/<script>.py --quick; returns the JSON it wrote."""
    out = tmp_path / f"{script}.json"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / f"{script}.py"), "--quick",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / f"{script}.md").exists()  # --quick writes no markdown
    return json.loads(out.read_text())


def test_bench_solver_quick(tmp_path):
    payload = run_quick("bench_solver", tmp_path)
    assert payload["rows"], "no rows"
    assert payload["machine"]["cores"] >= 1 and payload["machine"]["cpu"]
    assert {"numpy", "numba", "cvxpy", "ngspice"} <= set(payload["versions"])
    cd_rows = [row for row in payload["rows"] if row["family"] == "cd"]
    newton_rows = {row["kind"]: row for row in payload["rows"] if row["family"] == "newton"}
    assert cd_rows and set(newton_rows) == {"ladder", "grid", "expander", "opamp", "vccs"}
    for row in cd_rows:
        assert row["cd"]["median_s"] > 0 and row["cd"]["sweeps"] >= 1
    assert any(row.get("matmul_per_sweep_s") for row in cd_rows)
    for row in newton_rows.values():
        newton = row["newton"]
        assert newton["median_s"] > 0 and newton["iterations"] >= 1 and newton["residual_A"] < 1e-9
        assert newton["profile_s"]["lu"] > 0 and newton["profile_s"]["total"] >= newton["profile_s"]["lu"]
        assert row["auto"]["method"] == "newton" and row["auto"]["max_abs_dv_vs_newton"] < 1e-12
    ladder = newton_rows["ladder"]
    assert ladder["qp"]["max_abs_dv_vs_newton"] < 1e-6
    if payload["versions"]["ngspice"]:
        assert payload["ngspice_start"]["median_s"] > 0
        assert ladder["spice"]["max_abs_dv_vs_newton"] < 1e-6 and "own_s" in ladder["spice"]


def test_bench_train_quick(tmp_path):
    row = run_quick("bench_train", tmp_path)["rows"][0]
    assert row["fast_rule"] and row["step_s"] > 0 and row["bound"]["total_s"] > 0 and row["ratio"] > 0



def test_reproduce_refuses_a_model_too_large_for_the_memory():
    import importlib.util

    import pytest

    spec = importlib.util.spec_from_file_location("reproduce_drn", ROOT / "scripts" / "reproduce_drn.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.resistors_of("drn-1h") == 1568 * 1024 + 1024 * 10
    script.check_memory("drn-1h", 24 * 2**30)  # fits: no error
    with pytest.raises(SystemExit, match="51,707,904 resistors need about .* --ignore-memory"):
        script.check_memory("drn-xl", 24 * 2**30)

"""Smoke test of the benchmark scripts: a --quick run writes JSON with rows."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_solver_quick(tmp_path):
    out = tmp_path / "bench_solver.json"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_solver.py"), "--quick",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(out.read_text())
    assert payload["rows"], "no rows"
    assert payload["machine"]["cores"] >= 1 and payload["machine"]["cpu"]
    assert {"numpy", "numba", "cvxpy", "ngspice"} <= set(payload["versions"])
    for row in payload["rows"]:
        assert row["cd"]["median_s"] > 0 and row["cd"]["sweeps"] >= 1
    assert any(row.get("matmul_per_sweep_s") for row in payload["rows"])
    assert not (tmp_path / "bench_solver.md").exists()  # --quick writes no markdown


def test_bench_train_quick(tmp_path):
    out = tmp_path / "bench_train.json"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_train.py"), "--quick",
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(out.read_text())
    row = payload["rows"][0]
    assert row["fast_rule"] and row["step_s"] > 0 and row["bound"]["total_s"] > 0 and row["ratio"] > 0
    assert not (tmp_path / "bench_train.md").exists()

"""Run ngspice's operating point on netlist text and read the node voltages back."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

NGSPICE = shutil.which("ngspice")



def spice_test(function):
    """Mark a test that runs ngspice (`spice`), skipped where ngspice is not installed."""
    skip = pytest.mark.skipif(NGSPICE is None, reason="ngspice is not installed")
    return pytest.mark.spice(skip(function))


def _read_ascii_raw(text: str) -> dict[str, float]:
    """Voltages of an ASCII rawfile with one point: {node name: volts}."""
    lines = text.splitlines()
    start = lines.index("Variables:") + 1
    count = int(next(l for l in lines if l.startswith("No. Variables:")).split(":")[1])
    names = [lines[start + k].split()[1] for k in range(count)]
    values_at = lines.index("Values:") + 1
    values = " ".join(lines[values_at:]).split()[1:]  # the first number is the point index
    result = {}
    for name, value in zip(names, values):
        if name.startswith("v(") and name.endswith(")"):
            result[name[2:-1]] = float(value)
    return result


def run_ngspice_op(netlist: str, timeout: float = 30.0) -> dict[str, float]:
    """Run `ngspice -b` on `netlist` and return its `.op` node voltages {node: volts}.

    The netlist must contain its analysis card (`.op`). ngspice writes an ASCII rawfile
    (full double precision) into a temporary directory. RuntimeError when ngspice fails,
    reports an error, or writes no operating point.
    """
    if NGSPICE is None:
        raise RuntimeError("ngspice is not installed")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "circuit.cir")
        raw = os.path.join(folder, "circuit.raw")
        with open(path, "w") as handle:
            handle.write(netlist)
        env = dict(os.environ, SPICE_ASCIIRAWFILE="1")
        done = subprocess.run([NGSPICE, "-b", "-r", raw, path], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=timeout)
        log = done.stdout + done.stderr
        errors = [line for line in log.splitlines() if line.lower().startswith("error")]
        if done.returncode != 0 or errors or not os.path.exists(raw):
            raise RuntimeError(f"ngspice failed (exit {done.returncode}):\n{log}")
        with open(raw) as handle:
            return _read_ascii_raw(handle.read())


def assert_same_voltages(a: dict[str, float], b: dict[str, float], rel: float = 1e-9) -> None:
    """Same nodes, and voltages equal within `rel` of the largest voltage magnitude."""
    assert sorted(a) == sorted(b)
    scale = max([abs(v) for v in a.values()] + [1e-12])
    for node in a:
        assert abs(a[node] - b[node]) <= rel * max(abs(a[node]), scale), (node, a[node], b[node])

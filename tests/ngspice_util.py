"""Run ngspice (`.op` or `.dc`) on netlist text and read the results back."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np
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
    return _read_ascii_raw(_run_ngspice(netlist, timeout))


def run_ngspice_dc(netlist: str, timeout: float = 30.0) -> dict[str, np.ndarray]:
    """Run `ngspice -b` on a netlist with a `.dc` card and read the sweep's plot.

    Returns every vector of the rawfile by its lower-case name, shape (n_points,), in
    ngspice's point order: "v(node)" for node voltages, "i(vname)" for voltage-source
    branch currents, "i(@rname[i])" and the like for what a `.save` card asks for, and
    "v(v-sweep)" or "i(i-sweep)" for the swept value. RuntimeError as `run_ngspice_op`.
    """
    lines = _run_ngspice(netlist, timeout).splitlines()
    first = lines.index("Plotname: DC transfer characteristic")  # skip an .op plot before it
    end = next((k for k in range(first, len(lines)) if lines[k].startswith("Title:")), len(lines))
    lines = lines[first:end]
    count = int(next(l for l in lines if l.startswith("No. Variables:")).split(":")[1])
    start = lines.index("Variables:") + 1
    names = [lines[start + k].split()[1].lower() for k in range(count)]
    numbers = " ".join(lines[lines.index("Values:") + 1:]).split()
    table = np.array(numbers, dtype=float).reshape(-1, count + 1)[:, 1:]  # drop the point index
    return {name: table[:, k] for k, name in enumerate(names)}


def _run_ngspice(netlist: str, timeout: float) -> str:
    """The ASCII rawfile `ngspice -b` writes for `netlist`; RuntimeError when it fails."""
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
            return handle.read()


def assert_same_voltages(a: dict[str, float], b: dict[str, float], rel: float = 1e-9) -> None:
    """Same nodes, and voltages equal within `rel` of the largest voltage magnitude."""
    assert sorted(a) == sorted(b)
    scale = max([abs(v) for v in a.values()] + [1e-12])
    for node in a:
        assert abs(a[node] - b[node]) <= rel * max(abs(a[node]), scale), (node, a[node], b[node])

"""Regenerate the ngspice reference operating points in spice_ref/.

    python spice_ref/generate.py            # writes spice_ref/*.json and spice_ref/random/*.cir

For every netlist in netlists/ and for RANDOM_COUNT seeded random circuits (resistor
networks with Shockley diodes, current sources and one feed-forward VCVS; written to
spice_ref/random/ by circuitnet's writer), runs `ngspice -b` as a subprocess (independent
of PySpice) with `OPTIONS`, and stores spice_ref/<name>.json:

    {"netlist": path, "ngspice": version, "options": {...},
     "nodes": {node: volts}, "currents": {source: amperes}}

Currents are ngspice's branch currents (rawfile `i(vname)`, `i(ename)`), SPICE's sign.
tests/test_spice_ref.py compares the solvers with these files without ngspice.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "spice_ref"
RANDOM_COUNT = 20
#: ngspice options of every reference run: tight enough that Newton's answer is exact to ~1e-12 V.
OPTIONS = {"reltol": 1e-9, "abstol": 1e-15, "vntol": 1e-12, "gmin": 1e-12, "itl1": 1000}


def ngspice_version(ngspice: str = "ngspice") -> str:
    """The version line of `ngspice -v`, e.g. "ngspice-39"."""
    out = subprocess.run([ngspice, "-v"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"ngspice-\S+", out)
    return match.group(0) if match else out.strip()


def with_options(text: str, options: dict = OPTIONS) -> str:
    """Netlist text with an `.options` card inserted before its `.end` card."""
    lines = text.rstrip("\n").split("\n")
    end = max(k for k, line in enumerate(lines) if line.strip().lower() == ".end")
    card = ".options " + " ".join(f"{key}={value!r}" for key, value in options.items())
    return "\n".join(lines[:end] + [card] + lines[end:]) + "\n"


def read_ascii_raw(text: str) -> tuple[dict[str, float], dict[str, float]]:
    """(node voltages, branch currents) of a one-point ASCII rawfile, names in lower case."""
    lines = text.splitlines()
    count = int(next(line for line in lines if line.startswith("No. Variables:")).split(":")[1])
    first = lines.index("Variables:") + 1
    names = [lines[first + k].split()[1].lower() for k in range(count)]
    values = " ".join(lines[lines.index("Values:") + 1:]).split()[1:]
    nodes, currents = {}, {}
    for name, value in zip(names, values):
        if name.startswith("v(") and name.endswith(")"):
            nodes[name[2:-1]] = float(value)
        elif name.startswith("i(") and name.endswith(")"):
            currents[name[2:-1]] = float(value)
    return nodes, currents


def run_ngspice_file(path: Path, ngspice: str = "ngspice") -> dict:
    """Operating point of a deck file (with its `.op` card) by `ngspice -b`, run in the
    file's folder so that relative `.include`/`.lib` paths resolve: {"nodes", "currents"}."""
    with tempfile.TemporaryDirectory() as folder:
        raw = os.path.join(folder, "circuit.raw")
        done = subprocess.run([ngspice, "-b", "-r", raw, str(path)], cwd=Path(path).parent, capture_output=True,
                              text=True, timeout=60, env=dict(os.environ, SPICE_ASCIIRAWFILE="1"))
        log = done.stdout + done.stderr
        if done.returncode or not os.path.exists(raw) or re.search(r"^error", log, re.I | re.M):
            raise RuntimeError(f"ngspice failed on {path} (exit {done.returncode}):\n{log}")
        nodes, currents = read_ascii_raw(Path(raw).read_text())
    return {"nodes": nodes, "currents": currents}


def run_ngspice(text: str, ngspice: str = "ngspice", options: dict = OPTIONS) -> dict:
    """Operating point of a netlist (with its `.op` card) by `ngspice -b`: {"nodes", "currents"}."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "circuit.cir"
        path.write_text(with_options(text, options))
        return run_ngspice_file(path, ngspice)


def random_netlists(count: int = RANDOM_COUNT) -> dict[str, str]:
    """{name: netlist text} of the seeded random circuits, written by circuitnet's writer."""
    sys.path.insert(0, str(ROOT / "tests"))
    from random_circuits import random_circuit

    from circuitnet.netlist import write_netlist

    texts = {}
    for seed in range(count):
        circuit = random_circuit(seed, n_nodes=6 + seed % 5, ideal=0, shockley=2 + seed % 3,
                                 currents=1 + seed % 2, vcvs=1)
        circuit.title = f"random circuit {seed}: Shockley diodes, current sources, one VCVS"
        texts[f"random_{seed:02d}"] = write_netlist(circuit)
    return texts


def reference_inputs() -> dict[str, Path]:
    """{reference name: netlist path} for netlists/*.cir and spice_ref/random/*.cir."""
    found = {p.stem: p for p in sorted((ROOT / "netlists").glob("*.cir"))}
    found.update({p.stem: p for p in sorted((HERE / "random").glob("*.cir"))})
    return found


def main() -> int:
    """Write the random netlists, run ngspice on every input, write the JSON files."""
    ngspice = shutil.which("ngspice")
    if ngspice is None:
        print("ngspice is not installed: apt-get install ngspice", file=sys.stderr)
        return 1
    (HERE / "random").mkdir(exist_ok=True)
    for name, text in random_netlists().items():
        (HERE / "random" / f"{name}.cir").write_text(text)
    version = ngspice_version(ngspice)
    for name, path in reference_inputs().items():
        result = run_ngspice(path.read_text(), ngspice)
        record = {"netlist": str(path.relative_to(ROOT)), "ngspice": version, "options": OPTIONS, **result}
        (HERE / f"{name}.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"{name}: {len(result['nodes'])} nodes, {len(result['currents'])} branch currents")
    return 0


if __name__ == "__main__":
    sys.exit(main())

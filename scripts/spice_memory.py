"""Memory and speed of the spice solver: many consecutive solves in one process.

    python scripts/spice_memory.py [--solves 10000] [--batch 200]

Runs `--solves` consecutive `solve(..., solver="spice")` calls (each loads the circuit,
runs one operating point and frees it) and prints the resident-set growth; then times a
batch of `--batch` operating points done with `alter` on one loaded circuit against the
same number of separate solves that reload the netlist each time.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def rss_mib() -> float:
    """Current resident set size, MiB (from /proc; the peak where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--solves", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    from random_circuits import random_circuit

    from circuitnet.solvers import solve

    circuit = random_circuit(5, ideal=1, shockley=2, currents=1, vcvs=1)
    source = next(e.name for e in circuit.of_kind("V"))
    values = np.random.default_rng(0).uniform(-5, 5, max(args.solves, args.batch))
    solve(circuit, {source: values[:1]}, solver="spice")  # load the library once
    checkpoints = {}
    start_rss, start = rss_mib(), time.perf_counter()
    for k in range(args.solves):
        solve(circuit, {source: values[k:k + 1]}, solver="spice")
        if (k + 1) in (args.solves // 10, args.solves // 2, args.solves):
            checkpoints[k + 1] = rss_mib()
    seconds = time.perf_counter() - start
    print(f"{args.solves} consecutive spice solves in {seconds:.1f} s "
          f"({1e3 * seconds / args.solves:.2f} ms each, netlist loaded and freed every time)")
    print("RSS: start %.1f MiB; " % start_rss
          + "; ".join(f"after {k}: {v:.1f} MiB" for k, v in checkpoints.items())
          + f"; growth {checkpoints[args.solves] - start_rss:+.1f} MiB")
    start = time.perf_counter()
    solve(circuit, {source: values[:args.batch]}, solver="spice")
    altered = time.perf_counter() - start
    start = time.perf_counter()
    for k in range(args.batch):
        solve(circuit, {source: values[k:k + 1]}, solver="spice")
    reloaded = time.perf_counter() - start
    print(f"batch of {args.batch}: alter + op on one loaded circuit {1e3 * altered / args.batch:.3f} ms per "
          f"point; reload per point {1e3 * reloaded / args.batch:.3f} ms per point "
          f"({reloaded / altered:.1f}x slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

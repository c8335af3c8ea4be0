"""Time parse_netlist and write_netlist on a 100,000-element netlist.

Generates a random resistor network (a spanning tree plus extra resistors) with Shockley
and ideal diodes, voltage and current sources and a few VCVS, in SPICE style with scale
suffixes. Prints a table and writes scripts/results/bench_parse.json.

    python scripts/bench_parse.py [--elements N] [--repeats K] [--seed S]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from circuitnet.netlist import parse_netlist, write_netlist

RESULTS = Path(__file__).parent / "results" / "bench_parse.json"


def generate(n_elements: int, seed: int) -> str:
    """A random netlist with about `n_elements` element cards."""
    rng = np.random.default_rng(seed)
    n_nodes = n_elements // 3
    lines = [f"benchmark: {n_elements} elements", "*@ ideal dideal",
             ".model dideal D (IS=1e-15 N=1e-4)", ".model dshock D (IS=2.5n N=1.75 RS=0.5)"]
    parents = rng.integers(0, np.maximum(np.arange(n_nodes), 1))
    ohms = rng.uniform(0.1, 100.0, n_elements)
    for k in range(n_nodes):
        lines.append(f"R{k} n{k} {'0' if k == 0 else f'n{parents[k]}'} {ohms[k]:.4f}k")
    extra = rng.integers(0, n_nodes, (n_elements, 2))
    kinds = rng.choice(["R", "D", "V", "I", "E"], n_elements, p=[0.8, 0.1, 0.02, 0.07, 0.01])
    for k in range(n_elements - n_nodes):
        a, b = extra[k]
        kind = kinds[k]
        if kind == "R":
            lines.append(f"Rx{k} n{a} n{b} {ohms[k]:.6g}k")
        elif kind == "D":
            lines.append(f"D{k} n{a} n{b} {'dideal' if k % 2 else 'dshock'}")
        elif kind == "V":
            lines.append(f"V{k} n{a} 0 DC {ohms[k] / 10:.3f}")
        elif kind == "I":
            lines.append(f"I{k} n{a} n{b} DC {ohms[k]:.3f}u")
        else:
            lines.append(f"E{k} e{k} 0 n{a} n{b} 2.5\nRe{k} e{k} 0 1k")
    return "\n".join(lines + [".op", ".end"]) + "\n"


def timed(function, repeats: int) -> list[float]:
    """Wall-clock seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    text = generate(args.elements, args.seed)
    circuit = parse_netlist(text, "bench.cir")
    parse_times = timed(lambda: parse_netlist(text, "bench.cir"), args.repeats)
    write_times = timed(lambda: write_netlist(circuit), args.repeats)
    result = {
        "elements": len(circuit.elements),
        "nodes": len(circuit.nodes),
        "lines": text.count("\n"),
        "megabytes": len(text) / 1e6,
        "repeats": args.repeats,
        "parse_median_s": statistics.median(parse_times),
        "parse_min_s": min(parse_times),
        "write_median_s": statistics.median(write_times),
        "write_min_s": min(write_times),
        "parse_elements_per_s": len(circuit.elements) / statistics.median(parse_times),
        "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
    }
    print(f"{result['elements']} elements, {result['nodes']} nodes, {result['megabytes']:.1f} MB")
    print(f"{'step':<8}{'median s':>10}{'min s':>10}")
    print(f"{'parse':<8}{result['parse_median_s']:>10.3f}{result['parse_min_s']:>10.3f}")
    print(f"{'write':<8}{result['write_median_s']:>10.3f}{result['write_min_s']:>10.3f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

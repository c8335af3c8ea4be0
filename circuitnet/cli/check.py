"""`circuitnet check NETLIST [--solvers cd,qp,spice] [--samples N] [--seed S]`: cross-check solvers.

Solves the netlist with every solver named (for a netlist with `*@ input` sources, on N
random input vectors in [0, 1]), prints the largest voltage and current difference of
every pair of solvers with its tolerance, and exits 1 when a difference exceeds it.
Tolerances: 1 uV between the exact solvers (cd, qp); a pair with spice adds the
near-ideal SPICE diode's forward-drop error (`circuitnet.solvers.spice.agreement_tolerance`).
"""
from __future__ import annotations

import argparse
import itertools

import numpy as np

from ..errors import CircuitValidationError
from ..model.circuit import Circuit
from ..solvers.solution import Solution

#: solvers whose answers are exact (up to their tolerance), so pairs of them get the tight tolerance.
EXACT = ("cd", "qp")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `check` verb."""
    parser = subparsers.add_parser(
        "check", help="solve a netlist with several solvers and compare the answers",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("netlist", help="SPICE netlist file")
    parser.add_argument("--solvers", default="cd,qp,spice",
                        help="comma-separated solvers to compare (default: cd,qp,spice)")
    parser.add_argument("--samples", type=int, default=8,
                        help="random input vectors for a netlist with '*@ input' sources (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default: 0)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Solve with each solver, print the comparison table; 0 when all pairs agree, else 1."""
    from ..netlist import read_netlist
    from ..solvers import SOLVERS, solve

    names = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = [s for s in names if s not in SOLVERS]
    if unknown or len(names) < 2:
        raise CircuitValidationError(f"--solvers needs two or more of {', '.join(SOLVERS)}, got {args.solvers!r}")
    circuit = read_netlist(args.netlist)
    inputs = random_inputs(circuit, args.samples, args.seed)
    solutions = {name: solve(circuit, inputs, solver=name) for name in names}
    batch = next(iter(solutions.values())).batch
    what = f"{batch} random input vector(s), seed {args.seed}" if inputs is not None else "the netlist's source values"
    print(f"circuitnet check {args.netlist}: {', '.join(names)} on {what}")
    rows = [compare(circuit, solutions[a], solutions[b]) for a, b in itertools.combinations(names, 2)]
    print(format_table(rows))
    print("tolerance: 1e-06 V between exact solvers (cd, qp); pairs with spice add the forward-drop "
          "error of the near-ideal SPICE diode that stands in for each ideal diode; currents: 2 x the "
          "voltage tolerance x the largest total conductance at a node")
    failed = [f"{r['pair']}" for r in rows if not r["ok"]]
    if failed:
        print(f"FAILED: {', '.join(failed)} differ by more than the tolerance")
        return 1
    print("all solvers agree")
    return 0


def random_inputs(circuit: Circuit, samples: int, seed: int) -> np.ndarray | None:
    """Uniform [0, 1] inputs (samples, n_features) for `*@ input` sources, or None without them."""
    if circuit.inputs is None:
        return None
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(samples, circuit.inputs.n_features))


def compare(circuit: Circuit, a: Solution, b: Solution) -> dict:
    """Largest voltage and current differences of two solutions, where, and the tolerance."""
    from ..solvers.spice import agreement_tolerance

    exact = a if a.solver in EXACT else b
    if a.solver in EXACT and b.solver in EXACT:
        tol_v, tol_i = agreement_tolerance(circuit, exact, spice=False)
    else:
        tol_v, tol_i = agreement_tolerance(circuit, exact)
    dv = np.abs(a.voltages - b.voltages).max(axis=0) if a.nodes else np.zeros(0)
    names = [n for n in a.currents if n in b.currents]
    di = np.array([np.max(np.abs(a.currents[n] - b.currents[n])) for n in names])
    worst_v, worst_i = (int(np.argmax(d)) if len(d) else None for d in (dv, di))
    row = {"pair": f"{a.solver} vs {b.solver}", "dv": float(dv.max(initial=0.0)), "tol_v": tol_v,
           "at_v": a.nodes[worst_v] if worst_v is not None else "-", "di": float(di.max(initial=0.0)),
           "tol_i": tol_i, "at_i": names[worst_i] if worst_i is not None else "-"}
    row["ok"] = row["dv"] <= tol_v and row["di"] <= tol_i
    return row


def format_table(rows: list[dict]) -> str:
    """The comparison table, one line per pair of solvers."""
    header = (f"{'pair':<14} {'max |dV| (V)':>12} {'at node':<10} {'tol (V)':>9}   "
              f"{'max |dI| (A)':>12} {'at element':<12} {'tol (A)':>9}   verdict")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r['pair']:<14} {r['dv']:>12.3e} {r['at_v']:<10} {r['tol_v']:>9.2e}   "
                     f"{r['di']:>12.3e} {r['at_i']:<12} {r['tol_i']:>9.2e}   {'ok' if r['ok'] else 'FAIL'}")
    return "\n".join(lines)

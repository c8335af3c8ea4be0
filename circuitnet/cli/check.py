"""`circuitnet check NETLIST [--solvers cd,qp,spice] [--samples N] [--seed S]`: cross-check solvers.

Solves the netlist with every solver named, by default every one of cd, newton, qp and
spice that models it (one that refuses it, such as qp on a G card, or that is not installed,
such as spice without PySpice and ngspice, is skipped and named with what to install),
for a netlist with `*@ input` sources on N random input vectors in [0, 1]; prints the
largest voltage and current difference of every pair of solvers with its tolerance, and
exits 1 when a difference exceeds it.
Tolerances: 1 uV between the exact solvers (cd, newton, qp); a pair with spice adds the
near-ideal SPICE diode's forward-drop error (`circuitnet.solvers.spice.agreement_tolerance`).
At DC an inductor is a short whose branch current is compared like a voltage source's, a
capacitor is open (0 A, compared too), and a mutual inductance (K card) carries no current:
the table's footer names such elements as not compared.
"""
from __future__ import annotations

import argparse
import itertools

import numpy as np

from ..errors import CircuitValidationError, ConvergenceError, SolverUnavailableError
from ..model.circuit import Circuit
from ..model.elements import Term
from ..solvers.solution import Solution

#: solvers whose answers are exact (up to their tolerance), so pairs of them get the tight tolerance.
EXACT = ("cd", "newton", "qp")
#: the solvers compared without --solvers, those that refuse the netlist left out.
DEFAULT_SOLVERS = ("cd", "newton", "qp", "spice")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `check` verb."""
    parser = subparsers.add_parser(
        "check", help="solve a netlist with several solvers and compare the answers",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("netlist", help="SPICE netlist file")
    parser.add_argument("--solvers", default=None,
                        help="comma-separated solvers to compare (default: every one of "
                             f"{','.join(DEFAULT_SOLVERS)} that models the netlist)")
    parser.add_argument("--samples", type=int, default=8,
                        help="random input vectors for a netlist with '*@ input' sources (default: 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default: 0)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Solve with each solver, print the comparison table; 0 when all pairs agree, else 1."""
    from ..netlist import read_netlist
    from ..solvers import SOLVERS, solve

    if args.solvers is None:
        names = list(DEFAULT_SOLVERS)
    else:
        names = [s.strip() for s in args.solvers.split(",") if s.strip()]
        unknown = [s for s in names if s not in SOLVERS]
        if unknown or len(names) < 2:
            raise CircuitValidationError(f"--solvers needs two or more of {', '.join(SOLVERS)}, got {args.solvers!r}")
    for flag, value, least in (("--samples", args.samples, 1), ("--seed", args.seed, 0)):
        if value < least:
            raise CircuitValidationError(f"{flag} must be an integer >= {least}, got {value}")
    circuit = read_netlist(args.netlist)
    circuit.validate()  # so that a refusal below is the solver's, not the circuit's
    inputs = random_inputs(circuit, args.samples, args.seed)
    solutions, refusals, missing, unsolved = {}, {}, {}, {}
    for name in names:
        try:
            solutions[name] = solve(circuit, inputs, solver=name)
        except ConvergenceError as error:  # models the netlist but finds no answer: a finding, not an abort
            unsolved[name] = str(error)
        except (CircuitValidationError, SolverUnavailableError) as error:
            if args.solvers is not None:
                raise
            (missing if isinstance(error, SolverUnavailableError) else refusals)[name] = str(error)
    if len(solutions) < 2:
        raise CircuitValidationError(f"fewer than two solvers solve {args.netlist}: " + "; ".join(
            f"{n}: {why}" for n, why in {**refusals, **missing, **unsolved}.items()))
    batch = next(iter(solutions.values())).batch
    what = f"{batch} random input vector(s), seed {args.seed}" if inputs is not None else "the netlist's source values"
    print(f"circuitnet check {args.netlist}: {', '.join(solutions)} on {what}")
    for name, why in refusals.items():
        print(f"skipped {name}, which does not model the netlist: {why}")
    for name, why in missing.items():
        print(f"skipped {name}, which is not installed: {why}")
    rows = [compare(circuit, solutions[a], solutions[b]) for a, b in itertools.combinations(solutions, 2)]
    print(format_table(rows))
    print(f"tolerance: 1e-06 V between exact solvers ({', '.join(EXACT)}); pairs with spice add the forward-drop "
          "error of the near-ideal SPICE diode that stands in for each ideal diode; currents: 2 x the "
          "voltage tolerance x the largest total conductance at a node")
    open_at_dc = [e.name for e in circuit.with_term(Term.OPEN)]
    if open_at_dc:
        print(f"not compared, no current at DC: {', '.join(open_at_dc)}")
    for name, why in unsolved.items():
        print(f"FAILED: {name} found no operating point: {why}")
    failed = [f"{r['pair']}" for r in rows if not r["ok"]]
    if failed:
        print(f"FAILED: {', '.join(failed)} differ by more than the tolerance")
    if failed or unsolved:
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

"""`circuitnet solve NETLIST [--solver cd|qp|spice] [--set NAME=VALUE ...] [--tol T] [--json]`.

Prints the DC operating point: node voltages and element currents, as a table or, with
--json, one JSON object {"nodes", "currents", "solver", "sweeps", "residual", "seconds"}
(names in lower case as ngspice prints them; ground not listed).
"""
from __future__ import annotations

import argparse
import json

from ..errors import CircuitValidationError
from ..solvers.solution import Solution


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `solve` verb."""
    parser = subparsers.add_parser("solve", help="find the DC operating point of a netlist",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("netlist", help="SPICE netlist file")
    parser.add_argument("--solver", default="cd", choices=["cd", "qp", "spice"],
                        help="cd: exact coordinate descent (default); qp: cvxpy reference; spice: ngspice")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a voltage or current source value (volts or amperes; "
                             "SPICE suffixes allowed); repeatable")
    parser.add_argument("--tol", type=float, default=1e-9,
                        help="voltage tolerance, relative to the largest source voltage (default 1e-9)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)
    return parser


def parse_settings(pairs: list[str]) -> dict[str, float]:
    """{'vin': 3.0} from ['Vin=3']; values take SPICE suffixes."""
    from ..netlist import parse_value

    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            settings[name.strip().lower()] = parse_value(value.strip())
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise CircuitValidationError(f"--set expects NAME=VALUE with a number, got {pair!r}")
    return settings


def run(args: argparse.Namespace) -> int:
    """Solve and print."""
    from ..netlist import read_netlist
    from ..solvers import solve

    circuit = read_netlist(args.netlist)
    solution = solve(circuit, parse_settings(args.set) or None, solver=args.solver, tol=args.tol)
    print(json.dumps(as_json(solution)) if args.json else as_table(solution))
    return 0


def as_json(solution: Solution) -> dict:
    """The operating point of the first example as the JSON object the README's command-line section describes."""
    return {
        "nodes": {name: float(solution.voltages[0, k]) for k, name in enumerate(solution.nodes)},
        "currents": {name: float(current[0]) for name, current in solution.currents.items()},
        "solver": solution.solver,
        "sweeps": int(solution.sweeps),
        "residual": float(solution.residual),
        "seconds": float(solution.seconds),
    }


def as_table(solution: Solution) -> str:
    """A readable table of node voltages and element currents."""
    data = as_json(solution)
    width = max([len(n) for n in [*data["nodes"], *data["currents"]]] + [8])
    lines = [f"{'node':<{width}}  {'voltage (V)':>16}"]
    lines += [f"{name:<{width}}  {value:>16.9g}" for name, value in data["nodes"].items()]
    lines += ["", f"{'element':<{width}}  {'current (A)':>16}"]
    lines += [f"{name:<{width}}  {value:>16.9g}" for name, value in data["currents"].items()]
    lines += ["", f"solver {data['solver']}, {data['sweeps']} sweeps, KKT residual "
                  f"{data['residual']:.3g} A, {data['seconds'] * 1e3:.2f} ms"]
    return "\n".join(lines)

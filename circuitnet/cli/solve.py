"""`circuitnet solve NETLIST [--solver auto|cd|newton|qp|spice] [--set NAME=VALUE ...] [--tol T] [--json]
[--dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2] | --op] [--plot FILE.png]`.

Prints the DC operating point: node voltages and element currents, as a table or, with
--json, one JSON object {"nodes", "currents", "solver", "sweeps", "residual", "seconds"}
(names in lower case as ngspice prints them; ground not listed). With --dc, or when the
netlist has a .dc card (and no --op is given), prints the DC sweep instead: one table row
per sweep point, or {"sweep": {"source", "values"[, "source2", "values2"]}, "nodes",
"currents", "solver", "seconds"} with one value per point (in ngspice's order: the first
source runs fastest); --plot draws the node voltages against the swept source.
"""
from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from ..errors import CircuitValidationError
from ..model.circuit import Circuit, DcSweep
from ..solvers.solution import Solution

if TYPE_CHECKING:  # pragma: no cover
    from ..solvers.sweep import SweepResult


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `solve` verb."""
    parser = subparsers.add_parser("solve", help="find the DC operating point of a netlist",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("netlist", help="SPICE netlist file")
    parser.add_argument("--solver", default="auto", choices=["auto", "cd", "newton", "qp", "spice"],
                        help="auto (default): cd for ideal diodes, newton for Shockley diodes and "
                             "controlled sources; cd: exact coordinate descent; newton: Newton on the "
                             "nodal equations; qp: cvxpy reference; spice: ngspice")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a voltage or current source value (volts or amperes; "
                             "SPICE suffixes allowed); repeatable")
    parser.add_argument("--tol", type=float, default=1e-9,
                        help="voltage tolerance, relative to the largest source voltage (default 1e-9)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    sweep = parser.add_mutually_exclusive_group()
    sweep.add_argument("--dc", nargs="+", metavar="ARG",
                       help="DC sweep, as ngspice's .dc card: SRC START STOP STEP [SRC2 START2 STOP2 "
                            "STEP2] (volts or amperes, SPICE suffixes allowed; SRC runs fastest); "
                            "default: the netlist's .dc card, if any")
    sweep.add_argument("--op", action="store_true",
                       help="the operating point only, even when the netlist has a .dc card")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw the sweep's node voltages (the *@ output nodes, if any) to this image")
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


def parse_dc(words: list[str]) -> DcSweep:
    """The sweep of `--dc SRC START STOP STEP [SRC2 START2 STOP2 STEP2]`; values take SPICE
    suffixes. CircuitValidationError for the wrong number of words or a bad number."""
    from ..netlist import parse_value

    if len(words) not in (4, 8):
        raise CircuitValidationError(f"--dc expects SRC START STOP STEP [SRC2 START2 STOP2 STEP2], "
                                     f"got {len(words)} words: {' '.join(words)}")
    sweep = None
    for at in (4, 0) if len(words) == 8 else (0,):
        name, *numbers = words[at:at + 4]
        try:
            start, stop, step = map(parse_value, numbers)
        except ValueError:
            raise CircuitValidationError(f"--dc {name}: START STOP STEP must be numbers, got "
                                         f"{' '.join(numbers)}") from None
        sweep = DcSweep(name.lower(), start, stop, step, sweep)
    return sweep


def run(args: argparse.Namespace) -> int:
    """Solve (or sweep) and print."""
    from ..netlist import read_netlist
    from ..solvers import solve

    sweep = parse_dc(args.dc) if args.dc else None  # before reading: a usage error comes first
    circuit = read_netlist(args.netlist)
    settings = parse_settings(args.set)
    if sweep is None and not args.op:
        sweep = circuit.dc
    if sweep is None:
        if args.plot:
            raise CircuitValidationError("--plot draws a DC sweep: give --dc SRC START STOP STEP "
                                         "or a netlist with a .dc card")
        solution = solve(circuit, settings or None, solver=args.solver, tol=args.tol)
        print(json.dumps(as_json(solution)) if args.json else as_table(solution))
        return 0
    from ..solvers.sweep import dc_sweep_of

    result = dc_sweep_of(circuit, sweep, solver=args.solver, tol=args.tol, fixed=settings)
    print(json.dumps(sweep_json(result)) if args.json else sweep_table(result, circuit))
    if args.plot:
        plot_sweep(result, circuit, args.plot)
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
    steps = "Newton iterations" if data["solver"] == "newton" else "sweeps"
    lines += ["", f"solver {data['solver']}, {data['sweeps']} {steps}, KKT residual "
                  f"{data['residual']:.3g} A, {data['seconds'] * 1e3:.2f} ms"]
    return "\n".join(lines)


def sweep_json(result: "SweepResult") -> dict:
    """A DC sweep as the JSON object the README's command-line section describes: one value
    per point in every list, points in ngspice's order (the first source fastest)."""
    sweep = {"source": result.source, "values": result.values.tolist()}
    if result.source2 is not None:
        sweep.update(source2=result.source2, values2=result.values2.tolist())
    return {
        "sweep": sweep,
        "nodes": {name: result.voltages[:, k].tolist() for k, name in enumerate(result.nodes)},
        "currents": {name: [float(i) for i in current] for name, current in result.currents.items()},
        "solver": result.solver,
        "seconds": float(result.seconds),
    }


def _unit(circuit: Circuit, source: str) -> str:
    return "A" if circuit.elements[source].kind.letter == "I" else "V"


def sweep_table(result: "SweepResult", circuit: Circuit) -> str:
    """Two tables, one row per sweep point: the node voltages, then the element currents."""
    sources = [(f"{result.source} ({_unit(circuit, result.source)})", result.values)]
    if result.source2 is not None:
        sources.append((f"{result.source2} ({_unit(circuit, result.source2)})", result.values2))

    def table(columns: list[tuple[str, object]]) -> list[str]:
        columns = sources + columns
        widths = [max(len(header), 15) for header, _ in columns]
        lines = ["  ".join(f"{h:>{w}}" for (h, _), w in zip(columns, widths))]
        for k in range(result.n_points):
            lines.append("  ".join(f"{float(values[k]):>{w}.9g}" for (_, values), w in zip(columns, widths)))
        return lines

    lines = ["node voltages (V)"]
    lines += table([(f"v({n})", result.voltages[:, k]) for k, n in enumerate(result.nodes)])
    lines += ["", "element currents (A)"]
    lines += table([(f"i({n})", current) for n, current in result.currents.items()])
    lines += ["", f"solver {result.solver}, {result.n_points} points ({result.method}), KKT residual "
                  f"{result.residual:.3g} A, {result.seconds * 1e3:.2f} ms"]
    return "\n".join(lines)


def plot_sweep(result: "SweepResult", circuit: Circuit, path: str) -> None:
    """Draw the node voltages (the `*@ output` nodes, else every node) against the inner
    swept source, one curve per node (and per value of the outer source), into `path`."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CircuitValidationError("--plot needs matplotlib: pip install matplotlib") from None
    nodes = [n for n in circuit.outputs if n in result.nodes] or result.nodes
    rows, inner = (result.shape[0], result.shape[-1]) if result.source2 is not None else (1, result.n_points)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for node in nodes:
        voltage = result.voltage(node).reshape(rows, inner)
        for row in range(rows):
            label = f"v({node})"
            if result.source2 is not None:
                label += f", {result.source2} = {result.values2[row * inner]:.4g} {_unit(circuit, result.source2)}"
            axes.plot(result.values[:inner], voltage[row], label=label)
    axes.set_xlabel(f"{result.source} ({_unit(circuit, result.source)})")
    axes.set_ylabel("voltage (V)")
    swept = result.source + (f", {result.source2}" if result.source2 is not None else "")
    axes.set_title(f"{circuit.title or circuit.source_file}"[:70] + f": .dc {swept}")
    axes.grid(True, alpha=0.3)
    if len(nodes) * rows <= 12:
        axes.legend(fontsize="small")
    figure.tight_layout()
    try:
        figure.savefig(path, dpi=120)
    except (OSError, ValueError) as error:
        raise CircuitValidationError(f"--plot: cannot write {path}: {error}") from None
    finally:
        plt.close(figure)

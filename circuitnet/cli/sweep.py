"""`circuitnet sweep`: train every combination of a grid of `train` settings, in Ray tasks."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import CircuitError, CircuitValidationError
from ..learning.config import TrainingConfig


def add_parser(subparsers) -> None:
    """Register the `sweep` verb."""
    p = subparsers.add_parser(
        "sweep", help="train a grid of settings on Ray",
        description="Train NETLIST once per combination of the --grid values (times each seed) as "
                    "`circuitnet train` runs in Ray tasks, into DIR/<run name>; write DIR/summary.csv and "
                    "DIR/summary.png and print the best configuration. A run whose worker dies is retried "
                    "and continues from its last checkpoint.")
    p.add_argument("netlist", help="netlist with '*@ input' and '*@ output' directives")
    p.add_argument("--data", required=True, help="digits | mnist:DIR | csv:PATH")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="a `train` option and its values, e.g. lr=0.01,0.03 or algorithm=cep,agnostic-ep "
                        "(repeat for more keys; one value fixes a setting: epochs=5)")
    p.add_argument("--seeds", type=int, default=1, help="train each combination with the seeds 0 .. N-1 of the "
                                                        "example order (default 1)")
    p.add_argument("--out", required=True, help="sweep directory (one run directory per run, the summary)")
    p.add_argument("--address", help="Ray cluster to run on (default: a local Ray on this machine's CPUs); "
                                     "DIR must then be on a file system every node sees at the same path")
    p.add_argument("--cpus-per-run", type=float, default=1, help="CPUs a run takes (default 1)")
    p.add_argument("--resume", action="store_true", help="skip finished runs, continue the others")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate the grid, train the runs, write the summary; 1 when a run failed."""
    from ..learning.sweep import best_configuration, expand_grid, run_sweep, value_text, write_summary
    from ..netlist import read_netlist

    if not args.grid:
        raise CircuitError("give at least one --grid KEY=V1,V2")
    if args.cpus_per_run <= 0:
        raise CircuitError(f"--cpus-per-run must be positive, got {args.cpus_per_run:g}")
    runs = expand_grid(parse_grid(args.grid), args.seeds)
    netlist = str(Path(args.netlist).resolve())
    read_netlist(netlist)  # a bad netlist fails here, not in every run
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CircuitError(f"cannot create sweep directory {out}: {error}") from None
    print(f"sweep of {len(runs)} runs into {out}", flush=True)
    results = run_sweep(netlist, args.data, runs, out, address=args.address, cpus_per_run=args.cpus_per_run,
                        resume=args.resume)
    write_summary(results, out)
    print(f"\nwrote {out / 'summary.csv'} and {out / 'summary.png'}")
    failed = [r.run.name for r in results if r.error]
    if failed:
        print(f"{len(failed)} of {len(runs)} runs failed: {', '.join(failed)}")
    best = best_configuration(results)
    if best is not None:
        settings, error, seeds = best
        shown = " ".join(f"--{key.replace('_', '-')} {value_text(value)}" for key, value in settings.items())
        print(f"best configuration: {shown}: best test error {error:.2%}"
              + (f" (mean of {seeds} seeds)" if seeds > 1 else ""))
    return 1 if failed else 0


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """`--grid` items KEY=V1,V2 -> {TrainingConfig field: values}, each value read as
    `circuitnet train`'s option of that name reads it (type and choices); CircuitValidationError
    names unknown keys (with the valid ones), repeated keys and bad values."""
    options = train_options()
    grid: dict[str, list[Any]] = {}
    unknown = []
    for item in items:
        key, sep, values = item.partition("=")
        field = key.strip().replace("-", "_")
        if not sep or not values.strip():
            raise CircuitValidationError(f"--grid {item!r}: expected KEY=V1,V2 (e.g. lr=0.01,0.03)")
        if field not in options:
            unknown.append(key.strip())
        elif field in grid:
            raise CircuitValidationError(f"--grid {key.strip()} given twice: list all its values in one --grid")
        else:
            grid[field] = [_value(options[field], text.strip()) for text in values.split(",")]
    if unknown:
        hint = "; give seeds with --seeds N" if "seed" in unknown else ""
        raise CircuitValidationError(f"unknown --grid key(s) {', '.join(unknown)}; valid keys: "
                                     f"{', '.join(sorted(k.replace('_', '-') for k in options))}{hint}")
    if {"sweeps", "tol"} <= set(grid):
        raise CircuitValidationError("--grid sweeps and --grid tol exclude each other (as train's --sweeps and --tol)")
    return grid


def train_options() -> dict[str, argparse.Action]:
    """`circuitnet train`'s options that set a TrainingConfig field (seed excepted: --seeds), by field name."""
    from . import train

    subparsers = argparse.ArgumentParser().add_subparsers()
    train.add_parser(subparsers)
    names = set(TrainingConfig.names()) - {"seed"}
    return {action.dest: action for action in subparsers.choices["train"]._actions if action.dest in names}


def _value(action: argparse.Action, text: str) -> Any:
    """`text` read by the train option `action`; CircuitValidationError when it refuses it."""
    flag = action.option_strings[0][2:]
    try:
        value = action.type(text) if action.type else text
    except (argparse.ArgumentTypeError, ValueError) as error:
        raise CircuitValidationError(f"--grid {flag}: bad value {text!r}: {error}") from None
    if action.choices is not None and value not in action.choices:
        raise CircuitValidationError(f"--grid {flag}: bad value {text!r}: choose from {', '.join(action.choices)}")
    return value

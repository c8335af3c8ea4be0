"""`circuitnet export INPUT -o FILE.cir [--best] [--snap E24|E96|levels=N]`: a flat netlist for ngspice.

INPUT is a netlist, a training run directory (its last.npz: the latest epoch; with --best
its best.npz: the lowest test error) or a checkpoint .npz, read by the first loader in
LOADERS that accepts it. With --snap, or for a trained run, a CSV bill of materials is
written beside the netlist as `<stem>.bom.csv`.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable

from ..errors import CircuitError
from ..model.circuit import Circuit

#: file suffixes read as netlists.
NETLIST_SUFFIXES = frozenset({".cir", ".sp", ".spi", ".spice", ".net", ".ckt", ".txt"})


def _is_netlist(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in NETLIST_SUFFIXES


def _load_netlist(path: Path) -> Circuit:
    from ..netlist import read_netlist

    return read_netlist(path)


def _is_trained_run(path: Path) -> bool:
    from ..learning.export import is_trained_run

    return is_trained_run(path)


def _load_trained_run(path: Path) -> Circuit:
    from ..learning.export import trained_circuit

    return trained_circuit(path)


#: (accepts(path), load(path) -> Circuit), tried in order.
LOADERS: list[tuple[Callable[[Path], bool], Callable[[Path], Circuit]]] = [
    (_is_netlist, _load_netlist),
    (_is_trained_run, _load_trained_run),
]


def load_circuit(path: Path) -> Circuit:
    """The circuit that INPUT describes; CircuitError when no loader accepts it."""
    if not path.exists():
        raise CircuitError(f"{path}: no such file or directory")
    for accepts, load in LOADERS:
        if accepts(path):
            return load(path)
    raise CircuitError(f"{path}: cannot export this input: expected a netlist "
                       f"({', '.join(sorted(NETLIST_SUFFIXES))}), a run directory or a checkpoint .npz")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `export` verb."""
    parser = subparsers.add_parser(
        "export", help="write a flat netlist that ngspice runs unchanged",
        description="Write INPUT as a flat netlist: parameters evaluated, subcircuits "
                    "expanded, circuitnet's metadata kept in *@ comment lines.")
    parser.add_argument("input", metavar="INPUT", type=Path,
                        help="a netlist, a training run directory (exported from its last.npz, the latest "
                             "epoch, unless --best) or a checkpoint .npz")
    parser.add_argument("--best", action="store_true",
                        help="for a run directory: export best.npz, the epoch of lowest test error (train "
                             "error without a test set), instead of last.npz")
    parser.add_argument("-o", "--output", metavar="FILE.cir", required=True,
                        help="the netlist to write ('-' for standard output)")
    parser.add_argument("--snap", metavar="E24|E96|levels=N",
                        help="snap resistances to a standard series, or conductances to N levels")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Read INPUT, write the flat netlist (and the bill of materials); returns the exit status."""
    from ..learning.export import bill_of_materials, snap_circuit
    from ..netlist import write_netlist

    if args.best:
        from ..learning.export import trained_circuit

        if not args.input.is_dir():
            raise CircuitError(f"{args.input}: --best picks best.npz of a training run directory; "
                               "this is not a directory")
        circuit = trained_circuit(args.input, "best")
    else:
        circuit = load_circuit(args.input)
    exact = None
    if args.snap:
        circuit, exact = snap_circuit(circuit, args.snap)
    if args.output == "-":
        sys.stdout.write(write_netlist(circuit))
        return 0
    write_atomically(Path(args.output), write_netlist(circuit))
    if exact is not None or not _is_netlist(args.input):
        bom = Path(args.output).with_name(f"{Path(args.output).stem}.bom.csv")
        write_atomically(bom, bill_of_materials(circuit, exact))
        print(f"wrote {args.output} and its bill of materials {bom}")
    return 0


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename."""
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as error:
        raise CircuitError(f"cannot write {path}: {error.strerror}") from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)

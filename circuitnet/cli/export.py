"""`circuitnet export INPUT -o FILE.cir`: write a flat netlist that ngspice runs unchanged.

INPUT is read by the first loader in LOADERS that accepts it; loaders for checkpoints and
run directories are added to that list.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable

from ..circuit import Circuit
from ..errors import CircuitError

#: file suffixes read as netlists.
NETLIST_SUFFIXES = frozenset({".cir", ".sp", ".spi", ".spice", ".net", ".ckt", ".txt"})


def _is_netlist(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in NETLIST_SUFFIXES


def _load_netlist(path: Path) -> Circuit:
    from ..netlist import read_netlist

    return read_netlist(path)


#: (accepts(path), load(path) -> Circuit), tried in order.
LOADERS: list[tuple[Callable[[Path], bool], Callable[[Path], Circuit]]] = [
    (_is_netlist, _load_netlist),
]


def load_circuit(path: Path) -> Circuit:
    """The circuit that INPUT describes; CircuitError when no loader accepts it."""
    if not path.exists():
        raise CircuitError(f"{path}: no such file or directory")
    for accepts, load in LOADERS:
        if accepts(path):
            return load(path)
    raise CircuitError(f"{path}: cannot export this input: expected a netlist "
                       f"({', '.join(sorted(NETLIST_SUFFIXES))})")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `export` verb."""
    parser = subparsers.add_parser(
        "export", help="write a flat netlist that ngspice runs unchanged",
        description="Write INPUT as a flat netlist: parameters evaluated, subcircuits "
                    "expanded, circuitnet's metadata kept in *@ comment lines.")
    parser.add_argument("input", metavar="INPUT", type=Path, help="a netlist")
    parser.add_argument("-o", "--output", metavar="FILE.cir", required=True,
                        help="the netlist to write ('-' for standard output)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Read INPUT, write the flat netlist to args.output; returns the exit status."""
    from ..netlist import write_netlist

    text = write_netlist(load_circuit(args.input))
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    temporary = f"{args.output}.tmp{os.getpid()}"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, args.output)
    except OSError as error:
        raise CircuitError(f"cannot write {args.output}: {error.strerror}") from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return 0

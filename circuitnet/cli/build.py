"""`circuitnet build drn`: write a deep resistive network as a netlist."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import CircuitError


def add_parser(subparsers) -> None:
    """Register the `build` verb."""
    parser = subparsers.add_parser("build", help="build a trainable network and write its netlist",
                                   description="Build a trainable network and write it as a netlist.")
    parser.add_argument("topology", choices=["drn"], help="drn: deep resistive network (docs/design.md section 5)")
    parser.add_argument("--inputs", type=int, required=True, help="number of input features")
    parser.add_argument("--hidden", type=_sizes, required=True, help="hidden layer sizes, e.g. 32 or 64,32")
    parser.add_argument("--outputs", type=int, required=True, help="number of output nodes (classes)")
    parser.add_argument("--gain", type=float, default=None,
                        help="input gain, volts per unit feature (default 4 sqrt(inputs) 4^(hidden layers - 1), "
                             "without the depth factor with --vcvs-gain: 32 for 64 inputs and one hidden layer)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial conductances (default 0)")
    parser.add_argument("--vcvs-gain", type=float, default=None,
                        help="drive each next layer through VCVS buffers of this gain")
    parser.add_argument("--gmin", type=float, default=1e-6, help="smallest conductance, siemens")
    parser.add_argument("--gmax", type=float, default=1.0, help="largest conductance, siemens")
    parser.add_argument("-o", "--output", required=True, help="netlist file to write")
    parser.set_defaults(func=run)


def _sizes(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Build the network and write the netlist."""
    from ..model.networks import build_drn
    from ..netlist import write_netlist

    circuit = build_drn(args.inputs, args.hidden, args.outputs, gain=args.gain, seed=args.seed,
                        vcvs_gain=args.vcvs_gain, gmin=args.gmin, gmax=args.gmax)
    path = Path(args.output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(write_netlist(circuit))
    except OSError as error:
        raise CircuitError(f"cannot write {path}: {error}") from None
    n_resistors = sum(1 for _ in circuit.of_kind("R"))
    print(f"wrote {path}: {circuit.title}, {len(circuit.nodes)} nodes, {n_resistors} resistors")
    return 0

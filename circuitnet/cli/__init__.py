"""The `circuitnet` command: one module per verb, each with `add_parser` and `run`."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import CircuitError

#: verb -> module (inside circuitnet.cli) that defines add_parser(subparsers) and run(args).
VERBS = {
    "solve": "solve",
    "check": "check",
    "build": "build",
    "gradcheck": "gradcheck",
    "train": "train",
    "sweep": "sweep",
    "export": "export",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every verb registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="circuitnet",
        description="Simulate and train nonlinear resistive networks described as SPICE netlists.",
    )
    parser.add_argument("--version", action="version", version=f"circuitnet {__version__}")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB")
    subparsers.required = True
    for verb, module in VERBS.items():
        importlib.import_module(f".{module}", __name__).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse `argv`, run the verb, turn CircuitError into a one-line message."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CircuitError as error:
        print(f"circuitnet {args.verb}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `circuitnet solve ... | head`: the reader has gone, stay quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # a missing file, a directory, no permission
        where = f"cannot read {error.filename}: " if error.filename else ""
        print(f"circuitnet {args.verb}: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = "; the run directory keeps every finished epoch: continue with the same command and --resume" \
            if args.verb == "train" else ""
        print(f"circuitnet {args.verb}: interrupted{hint}", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

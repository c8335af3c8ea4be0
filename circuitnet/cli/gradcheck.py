"""`circuitnet gradcheck`: each algorithm's gradient estimate against the true gradient."""
from __future__ import annotations

import argparse
import json

from ..learning.gradcheck import RATE


def add_parser(subparsers) -> None:
    """Register the `gradcheck` verb."""
    p = subparsers.add_parser("gradcheck", help="check the learning rules against the true gradient",
                              description="Relative error of each algorithm's gradient estimate against "
                                          "the true gradient of the loss, for a few betas.")
    p.add_argument("netlist", help="netlist with '*@ input' and '*@ output' directives")
    p.add_argument("--data", required=True, help="digits | mnist:DIR | csv:PATH")
    p.add_argument("--beta", type=float, default=0.1, help="largest beta; also beta/10 and beta/100 (default 0.1)")
    p.add_argument("--samples", type=int, default=4, help="training examples in the batch (default 4)")
    p.add_argument("--seed", type=int, default=0, help="seed of the choice of examples (default 0)")
    p.add_argument("--solver", choices=["cd", "qp"], default="cd", help="solver of the states (default cd)")
    p.add_argument("--rate", type=float, default=RATE,
                   help=f"agnostic-ep's eps and continual-ep's eta / beta: their step is -rate * beta times the "
                        f"estimate (default {RATE:g})")
    p.add_argument("--json", action="store_true",
                   help='print {"<algorithm>": {"<beta>": relative error, ...}, ...} (null: no steady state)')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the table of relative errors (or JSON)."""
    from ..datasets import load_dataset
    from ..learning.gradcheck import check_betas, gradient_check, sample_batch
    from ..netlist import read_netlist

    betas = [args.beta, args.beta / 10, args.beta / 100]
    check_betas(betas, args.rate)  # before the netlist and the data are read
    circuit = read_netlist(args.netlist)
    x, targets = sample_batch(circuit, load_dataset(args.data), args.samples, args.seed)
    report = gradient_check(circuit, x, targets, betas, solver=args.solver, rate=args.rate)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(report.table())
    print("EP errors should shrink like beta (pep, nep, continual-ep) and beta^2 (cep, agnostic-ep: centered); "
          "CL and CpL are not gradient estimators of this loss in general. agnostic-ep's estimate is "
          "(theta_new - theta0) / (-eps beta), continual-ep's its summed change / (-eta), at eps = eta / beta = rate.")
    return 0

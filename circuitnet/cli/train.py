"""`circuitnet train`: train a netlist's conductances and biases on a dataset, into a run directory."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import CircuitError
from ..learning.strategies import ALGORITHMS

#: Trainer settings stored in config.json, with the command line's defaults.
DEFAULTS = {"algorithm": "cep", "beta": 0.2, "lr": [0.01], "bias_lr": None, "lr_decay": 0.95, "momentum": 0.5,
            "epochs": 40, "batch_size": 16, "sweeps": None, "tol": 1e-6, "dtype": "float64", "seed": 0,
            "solver": "cd"}


def add_parser(subparsers) -> None:
    """Register the `train` verb."""
    p = subparsers.add_parser("train", help="train a network on a dataset",
                              description="Train the trainable resistors and bias sources of NETLIST with "
                                          "Equilibrium Propagation, contrastive or coupled learning.")
    p.add_argument("netlist", help="netlist with '*@ input' and '*@ output' directives")
    p.add_argument("--data", help="digits | mnist:DIR | csv:PATH (required unless --resume)")
    p.add_argument("--out", required=True, help="run directory (config, metrics, checkpoints, trained.cir)")
    p.add_argument("--algorithm", choices=list(ALGORITHMS), help="default cep (centered EP)")
    p.add_argument("--beta", type=float, help="nudging conductance (siemens), or eta for coupled learning (default 0.2)")
    p.add_argument("--lr", type=_floats, help="learning rate, or one per layer: 0.01,0.02 (default 0.01)")
    p.add_argument("--bias-lr", type=_floats, help="bias learning rate(s) (default: --lr)")
    p.add_argument("--lr-decay", type=float, help="learning-rate factor per epoch (default 0.95)")
    p.add_argument("--momentum", type=float, help="SGD momentum in [0, 1) (default 0.5)")
    p.add_argument("--epochs", type=int, help="number of epochs (default 40; with --resume, may extend the run)")
    p.add_argument("--batch-size", type=int, help="examples per update (default 16)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--sweeps", type=int, help="fixed-sweep mode: this many solver sweeps per state")
    mode.add_argument("--tol", type=float, help="tolerance mode: solver tolerance, volts relative (default 1e-6)")
    p.add_argument("--dtype", choices=["float32", "float64"], help="solver precision (default float64)")
    p.add_argument("--seed", type=int, help="seed of the example order (default 0)")
    p.add_argument("--solver", choices=["cd", "qp", "spice"], help="default cd")
    p.add_argument("--resume", action="store_true", help="continue the run in --out where it stopped")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _floats(text: str) -> list[float]:
    try:
        return [float(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or comma-separated numbers, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Train, checkpointing every epoch; print a summary at the end."""
    from ..datasets import load_dataset
    from ..learning.rundir import RunDirectory
    from ..learning.trainer import Trainer
    from ..netlist import read_netlist, write_netlist

    rundir = RunDirectory(args.out)
    config = _resume_config(args, rundir) if args.resume else _new_config(args)
    netlist_path = Path(config["netlist"])
    try:
        netlist = netlist_path.read_text()
    except OSError as error:
        raise CircuitError(f"cannot read netlist {netlist_path}: {error}") from None
    circuit = read_netlist(netlist_path)
    data = load_dataset(config["data"])
    trainer = Trainer(circuit, **config["settings"], progress=not args.quiet)
    checkpoint = rundir.resume_point() if args.resume else None
    if checkpoint is not None:
        trainer.load_state(checkpoint.state)
        print(f"resuming {rundir.path} after epoch {checkpoint.epoch}")
    elif not args.resume:
        rundir.create(config)
    start = time.perf_counter()

    def on_epoch(t: Trainer, record) -> None:
        best = rundir.save_epoch(t, netlist, str(netlist_path))
        _report(t, f"epoch {record.epoch}/{t.epochs}: loss {record.train_loss:.4f}, train error "
                   f"{record.train_error:.2%}, test error {record.test_error:.2%}, {record.seconds:.1f} s"
                   + (" (best)" if best else ""))

    trainer.fit(data, on_epoch=on_epoch)
    rundir.finish(write_netlist(trainer.trained_circuit()), trainer.history_)
    _summary(trainer, rundir, time.perf_counter() - start)
    return 0


def _new_config(args: argparse.Namespace) -> dict:
    if not args.data:
        raise CircuitError("--data is required (digits, mnist:DIR or csv:PATH)")
    settings = {key: _given(args, key, default) for key, default in DEFAULTS.items()}
    return {"netlist": str(Path(args.netlist).resolve()), "data": args.data, "settings": _unlist(settings)}


def _resume_config(args: argparse.Namespace, rundir) -> dict:
    config = rundir.read_config()
    if args.epochs is not None:
        config["settings"]["epochs"] = args.epochs
    return config


def _given(args: argparse.Namespace, key: str, default):
    value = getattr(args, key)
    return default if value is None else value


def _unlist(settings: dict) -> dict:
    """A one-element list of learning rates becomes a float."""
    for key in ("lr", "bias_lr"):
        if isinstance(settings[key], list) and len(settings[key]) == 1:
            settings[key] = settings[key][0]
    return settings


def _report(trainer, line: str) -> None:
    if trainer.progress:
        from tqdm import tqdm

        tqdm.write(line)
    else:
        print(line, flush=True)


def _summary(trainer, rundir, seconds: float) -> None:
    history = trainer.history_
    last = history[-1]
    best = min(history, key=lambda r: r.test_error)
    print(f"\ntrained {trainer.algorithm} for {len(history)} epochs in {seconds:.1f} s (this session)")
    print(f"  final: train error {last.train_error:.2%}, test error {last.test_error:.2%}, loss {last.train_loss:.4f}")
    print(f"  best test error {best.test_error:.2%} at epoch {best.epoch}")
    print(f"  run directory {rundir.path}: trained.cir, metrics.csv, last.npz, best.npz, curves.png")

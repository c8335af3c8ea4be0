"""`circuitnet train`: train a netlist's conductances and biases on a dataset, into a run directory."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Mapping

from ..errors import CircuitError, DataError
from ..learning.algorithms import ALGORITHMS
from ..learning.config import DTYPES, MODES, TrainingConfig
from ..learning.devices import DEVICES
from ..learning.homeostasis import HOMEOSTASIS
from ..solvers import SOLVERS

#: The options' defaults: TrainingConfig's (an option not given is absent from the namespace).
DEFAULTS = TrainingConfig()


def add_parser(subparsers) -> None:
    """Register the `train` verb."""
    algorithms = "\n".join(f"  {a.name + '  ':<6}{a.description}" for a in ALGORITHMS.values())
    p = subparsers.add_parser("train", help="train a network on a dataset",
                              description="Train the trainable resistors and bias sources of NETLIST with "
                                          "Equilibrium Propagation, contrastive or coupled learning.",
                              epilog=f"algorithms:\n{algorithms}",
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("netlist", help="netlist with '*@ input' and '*@ output' directives")
    p.add_argument("--data", help="digits | mnist:DIR | csv:PATH (required unless --resume)")
    p.add_argument("--out", required=True, help="run directory (config, metrics, checkpoints, trained.cir)")
    _setting(p, "--algorithm", "learning algorithm (listed below)", choices=list(ALGORITHMS))
    _setting(p, "--mode", "the algorithm's variant: agnostic-ep centered|optimistic|pessimistic, "
             "continual-ep positive|negative", shown="the algorithm's first", choices=list(MODES))
    _setting(p, "--beta", "nudging conductance (siemens), or eta for coupled learning", type=float)
    _setting(p, "--lr", "learning rate, or one per layer: 0.01,0.02", type=_floats)
    _setting(p, "--bias-lr", "bias learning rate(s)", shown="--lr", type=_floats)
    _setting(p, "--lr-decay", "learning-rate factor per epoch", type=float)
    _setting(p, "--momentum", "SGD momentum in [0, 1); agnostic-ep and continual-ep have none", type=float)
    _setting(p, "--epochs", "number of epochs (with --resume, may extend the run)", type=int)
    _setting(p, "--batch-size", "examples per update", type=int)
    mode = p.add_mutually_exclusive_group()
    _setting(mode, "--sweeps", "fixed-sweep mode: this many solver sweeps per state", shown="tolerance mode",
             type=int)
    _setting(mode, "--tol", "tolerance mode: solver tolerance, volts relative", type=float)
    _setting(p, "--dtype", "solver precision", choices=list(DTYPES))
    _setting(p, "--seed", "seed of the example order", type=int)
    _setting(p, "--solver", "solver of the states", choices=list(SOLVERS))
    _setting(p, "--rounds", "agnostic-ep: alternations of circuit and parameter relaxation in the clamped phase",
             type=int)
    _setting(p, "--device", "agnostic-ep: the device of the trainable conductances (exp: g = 1 mS "
             "exp(theta / scale))", choices=list(DEVICES))
    _setting(p, "--device-scale", "agnostic-ep, exp device: theta per e-fold of conductance", type=float)
    _setting(p, "--device-energy", "agnostic-ep: stiffness k of the devices' hidden energy k/2 (theta - rest)^2",
             type=float)
    _setting(p, "--homeostasis", "agnostic-ep: how the knobs are set (formula, or an integral controller)",
             choices=list(HOMEOSTASIS))
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out where it stopped; the options given override its stored "
                        "ones, except NETLIST, --data, --algorithm, --mode and --device once an epoch is trained")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _setting(parser, flag: str, help_text: str, shown: str | None = None, **kwargs) -> None:
    """An option for the TrainingConfig field of the same name, absent from the parsed
    namespace unless given; its help ends with the field's default (or `shown`)."""
    default = getattr(DEFAULTS, flag[2:].replace("-", "_")) if shown is None else shown
    parser.add_argument(flag, default=argparse.SUPPRESS, help=f"{help_text} (default {default})", **kwargs)


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
    checkpoint = None
    if args.resume:
        config = rundir.read_config()
        checkpoint = rundir.resume_point()
        config = resumed_config(args, config, started=checkpoint is not None)
    else:
        if not args.data:
            raise CircuitError("--data is required (digits, mnist:DIR or csv:PATH)")
        config = {"netlist": str(Path(args.netlist).resolve()), "data": args.data,
                  "settings": training_config(args).to_dict()}
        rundir.refuse_overwrite()  # before the netlist and the data are read
    settings = TrainingConfig.from_dict(config["settings"])
    done = checkpoint.epoch if checkpoint is not None else 0
    if settings.epochs < max(done, 1):
        raise CircuitError(f"--epochs {settings.epochs} trains nothing: give at least 1" if not done else
                           f"--epochs {settings.epochs} is fewer than the {done} epochs {rundir.path} has trained: "
                           "give at least that many")
    netlist_path = Path(config["netlist"])
    try:
        netlist = netlist_path.read_text()
    except OSError as error:
        raise CircuitError(f"cannot read netlist {netlist_path}: {error}") from None
    circuit = read_netlist(netlist_path)
    data = load_dataset(config["data"])
    trainer = Trainer(circuit, settings)
    if hasattr(args, "momentum") and not trainer.algorithm.momentum:
        print(f"note: --momentum has no meaning for {settings.algorithm} (the update is the relaxation itself) "
              "and is ignored", file=sys.stderr)
    if checkpoint is not None:
        try:
            trainer.load_state(checkpoint.state)
        except DataError as error:
            raise DataError(f"{rundir.last}: {error}") from None
        print(f"resuming {rundir.path} after epoch {checkpoint.epoch}"
              + (" (nothing left to train: pass a larger --epochs to extend the run)" if done == settings.epochs
                 else ""))
    if args.resume:
        rundir.resume(config)
    else:
        rundir.create(config)
    start = time.perf_counter()

    def on_epoch(t: Trainer, record) -> None:
        best = rundir.save_epoch(t, netlist, str(netlist_path))
        _report(t, f"epoch {record.epoch}/{t.config.epochs}: loss {record.train_loss:.4f}, train error "
                   f"{record.train_error:.2%}, test error {record.test_error:.2%}, {record.seconds:.1f} s"
                   + (" (best)" if best else ""))

    trainer.fit(data, on_epoch=on_epoch)
    rundir.finish(write_netlist(trainer.trained_circuit()), trainer.history_)
    _summary(trainer, rundir, time.perf_counter() - start)
    return 0


#: Settings a run keeps once an epoch is trained: another learning rule, variant or device
#: makes another run (the netlist and the data are kept too).
KEPT_ON_RESUME = ("algorithm", "mode", "device")


def training_config(args: argparse.Namespace, stored: Mapping[str, Any] | None = None) -> TrainingConfig:
    """The run's settings: the options given, over the `stored` settings (config.json's, when
    resuming), over TrainingConfig's defaults. Giving --tol alone leaves fixed-sweep mode.
    `progress` follows --quiet."""
    given = {name: getattr(args, name) for name in TrainingConfig.names() if hasattr(args, name)}
    if "tol" in given and "sweeps" not in given:
        given["sweeps"] = None
    return TrainingConfig.from_dict({**(stored or {}), **given, "progress": not args.quiet})


def resumed_config(args: argparse.Namespace, config: Mapping[str, Any], started: bool) -> dict[str, Any]:
    """config.json's content for a resumed run: the options given override the stored ones
    (`training_config`). Once an epoch is trained (`started`), a NETLIST, --data or a setting
    of KEPT_ON_RESUME other than the run's is refused (CircuitError); before, they replace it."""
    settings = training_config(args, config["settings"])
    netlist = str(Path(args.netlist).resolve())
    data = args.data or config["data"]
    if started:
        stored = TrainingConfig.from_dict(config["settings"])
        changed = [f"--{name.replace('_', '-')} {_shown(getattr(settings, name))} (the run's: "
                   f"{_shown(getattr(stored, name))})" for name in KEPT_ON_RESUME
                   if _effective(settings, name) != _effective(stored, name)]
        changed += [f"NETLIST {netlist} (the run's: {config['netlist']})"] if netlist != config["netlist"] else []
        changed += [f"--data {data} (the run's: {config['data']})"] if data != config["data"] else []
        if changed:
            raise CircuitError(f"cannot change mid-run: {'; '.join(changed)}. Resume with the run's own, or train "
                               "a new run into another --out")
    return {**config, "netlist": netlist, "data": data, "settings": settings.to_dict()}


def _effective(settings: TrainingConfig, name: str) -> Any:
    """The setting as training uses it: mode None is the algorithm's first."""
    value = getattr(settings, name)
    if name == "mode" and value is None:
        return next(iter(ALGORITHMS[settings.algorithm].modes), None)
    return value


def _shown(value: Any) -> str:
    return "(default)" if value is None else str(value)


def _report(trainer, line: str) -> None:
    if trainer.config.progress:
        from tqdm import tqdm

        tqdm.write(line)
    else:
        print(line, flush=True)


def _summary(trainer, rundir, seconds: float) -> None:
    from ..learning.rundir import best_record

    history = trainer.history_
    last = history[-1]
    best = best_record(history)
    print(f"\ntrained {trainer.config.algorithm} for {len(history)} epochs in {seconds:.1f} s (this session)")
    print(f"  final: train error {last.train_error:.2%}, test error {last.test_error:.2%}, loss {last.train_loss:.4f}")
    print(f"  best test error {best.test_error:.2%} at epoch {best.epoch}")
    print(f"  run directory {rundir.path}: trained.cir, metrics.csv, last.npz, best.npz, curves.png")

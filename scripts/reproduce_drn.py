"""Reproduce the deep-resistive-network MNIST results of the 2024 fast-simulation paper.

The reference configurations of docs/design.md section 5: layers, input gain, fixed number of
sweeps, beta, per-layer learning rates (weights and biases), epochs; batch size 4,
centered EP, squared error on one-hot targets, learning rates x0.99 per epoch,
conductances uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] clipped at gmin (the reference
clips at 0, but a resistor cannot have conductance 0), biases 0. Features in [0, 1] drive
the mirrored input sources through the gain.

    python scripts/reproduce_drn.py --model drn-xs|drn-1h|drn-2h|drn-3h|drn-xl
        [--data DIR] [--epochs E] [--out RUNDIR] [--dtype float32|float64] [--seed S]
        [--resume] [--progress]
    python scripts/reproduce_drn.py --report RUNDIR [RUNDIR ...] [--markdown scripts/results/reproduce.md]

The run directory is that of `circuitnet train` (config.json, metrics.csv, last.npz,
best.npz, trained.cir, curves.png) plus network.cir (the initial network). An interrupted
run continues with --resume (same --out) from its last completed epoch; --epochs may then
extend it. Default data: ../shared/data/mnist beside the repository (any directory of MNIST IDX files works).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

#: docs/design.md section 5: hidden sizes, gain, sweeps, beta, lr per layer, bias lr, epochs, reference error %
MODELS = {
    "drn-xs": {"hidden": [100], "gain": 100.0, "sweeps": 4, "beta": 1.0, "lr": [0.006, 0.006],
               "bias_lr": None, "epochs": 10, "reference_error": 3.46},
    "drn-1h": {"hidden": [1024], "gain": 480.0, "sweeps": 4, "beta": 1.0, "lr": [0.006, 0.006],
               "bias_lr": None, "epochs": 50, "reference_error": 1.57},
    "drn-2h": {"hidden": [1024, 1024], "gain": 2000.0, "sweeps": 5, "beta": 1.0,
               "lr": [0.002, 0.006, 0.018], "bias_lr": None, "epochs": 50, "reference_error": 1.48},
    "drn-3h": {"hidden": [1024, 1024, 1024], "gain": 4000.0, "sweeps": 6, "beta": 2.0,
               "lr": [0.005, 0.02, 0.08, 0.005], "bias_lr": [0.0005, 0.002, 0.008, 0.0005], "epochs": 50,
               "reference_error": 1.66},
    "drn-xl": {"hidden": [32768], "gain": 800.0, "sweeps": 4, "beta": 1.0, "lr": [0.006, 0.006],
               "bias_lr": None, "epochs": 100, "reference_error": 1.33},
}
COMMON = {"algorithm": "cep", "batch_size": 4, "lr_decay": 0.99, "momentum": 0.0}
DEFAULT_DATA = str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")
#: conductance bounds (siemens): gmin stands in for the reference's 0; gmax far above any trained value
GMIN, GMAX = 1e-6, 1e3
#: the report's minutes per epoch are the median of this many last epochs (a resumed run's
#: early epochs may have run on older code)
RECENT_EPOCHS = 5
#: bytes of memory per resistor of a run: the Circuit element objects, the written netlist, the
#: trainer's working copy and the compiled arrays (DRN-1H, 1.6 M resistors, peaks at 2.75 GB)
BYTES_PER_RESISTOR = 1700


def resistors_of(model: str) -> int:
    """Number of resistors (conductances) of a reference model."""
    sizes = [1568, *MODELS[model]["hidden"], 10]
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def check_memory(model: str, available: int) -> None:
    """Exit with a clear message when the model will not fit in `available` bytes of memory."""
    needed = resistors_of(model) * BYTES_PER_RESISTOR
    if needed > available:
        raise SystemExit(
            f"{model}: {resistors_of(model):,} resistors need about {needed / 2**30:.0f} GiB to build and train "
            f"as netlist objects (measured {BYTES_PER_RESISTOR} bytes per resistor), but this machine has "
            f"{available / 2**30:.0f} GiB; use a larger machine or --ignore-memory to try anyway")


def settings_of(model: str, epochs: int | None, dtype: str, seed: int, algorithm: str = "cep",
                mode: str | None = None) -> dict:
    """The Trainer keyword arguments of a reference configuration (trained with `algorithm`,
    the reference's cep by default)."""
    m = MODELS[model]
    return {**COMMON, "algorithm": algorithm, "mode": mode, "beta": m["beta"], "lr": m["lr"], "bias_lr": m["bias_lr"],
            "epochs": m["epochs"] if epochs is None else epochs, "sweeps": m["sweeps"], "dtype": dtype, "seed": seed,
            "solver": "cd"}


def build(model: str, seed: int):
    """The initial network of a reference configuration (MNIST: 784 features, 10 classes)."""
    from circuitnet.model.networks import build_drn

    m = MODELS[model]
    return build_drn(784, m["hidden"], 10, gain=m["gain"], seed=seed, gmin=GMIN, gmax=GMAX)


def report(rundirs: list[str], markdown: str | None) -> str:
    """A markdown table of finished or partial runs (metrics.csv) beside the reference errors."""
    import csv

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from benchutil import machine, markdown_table

    rows = []
    for rundir in rundirs:
        config = json.loads((Path(rundir) / "config.json").read_text())
        with open(Path(rundir) / "metrics.csv") as f:
            records = list(csv.DictReader(f))
        model = config["model"]
        last = records[-1]
        best = min(records, key=lambda r: float(r["test_error"]))
        minutes = [float(r["seconds"]) / 60 for r in records[-RECENT_EPOCHS:]]  # the code as it is now
        s = config["settings"]
        rows.append([model.upper(), s.get("algorithm", "cep") + (f" {s['mode']}" if s.get("mode") else ""),
                     "-".join(["1568", *map(str, MODELS[model]["hidden"]), "10"]),
                     f"{len(records)} / {MODELS[model]['epochs']}",
                     f"{100 * float(last['test_error']):.2f} %", f"{100 * float(best['test_error']):.2f} % "
                     f"(epoch {best['epoch']})", f"{MODELS[model]['reference_error']:.2f} %",
                     f"{float(np.median(minutes)):.2f}", s["dtype"]])
    m = machine()
    text = "\n".join([
        "# DRN reproduction on MNIST (reproduce_drn.py)", "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB. Reference: the 2024 fast-simulation "
        "paper (docs/design.md section 5: batch 4, centered EP, fixed sweeps, lr x0.99 per epoch, its epoch counts).", "",
        markdown_table(["model", "algorithm", "layers", "epochs run / reference", "test error (last epoch)", "best test error",
                        "reference test error",
                        f"minutes / epoch (median of the last {RECENT_EPOCHS}, incl. test pass)",
                        "dtype"], rows), ""])
    if markdown:
        Path(markdown).write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if "--report" in argv:
        p = argparse.ArgumentParser()
        p.add_argument("--report", nargs="+", required=True)
        p.add_argument("--markdown")
        args = p.parse_args(argv)
        print(report(args.report, args.markdown))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, choices=sorted(MODELS))
    p.add_argument("--data", default=DEFAULT_DATA, help="directory of MNIST IDX files (gzipped or not)")
    p.add_argument("--epochs", type=int, help="default: the reference's")
    p.add_argument("--out", help="run directory (default runs/<model>)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"],
                   help="solver precision (default float32, as the reference)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial conductances and of the example order")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--progress", action="store_true", help="tqdm progress bar")
    p.add_argument("--ignore-memory", action="store_true", help="skip the check that the model fits in memory")
    p.add_argument("--algorithm", default="cep",
                   help="learning algorithm (default cep, the reference's; e.g. agnostic-ep, continual-ep)")
    p.add_argument("--mode", help="the algorithm's variant (default its first)")
    args = p.parse_args(argv)

    from circuitnet.datasets import load_dataset
    from circuitnet.learning.rundir import RunDirectory
    from circuitnet.learning.trainer import Trainer
    from circuitnet.netlist import write_netlist

    out = Path(args.out or f"runs/{args.model}")
    rundir = RunDirectory(out)
    if args.resume:
        config = rundir.read_config()
        if args.epochs is not None:
            config["settings"]["epochs"] = args.epochs
        model, seed = config["model"], config["build_seed"]
    else:
        model, seed = args.model, args.seed
        config = {"model": model, "build_seed": seed, "data": f"mnist:{args.data}",
                  "netlist": str((out / "network.cir").resolve()),
                  "reference_test_error_percent": MODELS[model]["reference_error"],
                  "gmin": GMIN, "gmax": GMAX,
                  "settings": settings_of(model, args.epochs, args.dtype, seed, args.algorithm, args.mode)}
    if not args.ignore_memory:
        check_memory(model, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    started = time.perf_counter()
    circuit = build(model, seed)
    netlist = write_netlist(circuit)
    data = load_dataset(config["data"])
    trainer = Trainer(circuit, **config["settings"], progress=args.progress)
    checkpoint = rundir.resume_point() if args.resume else None
    if checkpoint is not None:
        trainer.load_state(checkpoint.state)
        print(f"resuming {out} after epoch {checkpoint.epoch}", flush=True)
    elif not args.resume:
        rundir.create(config)
        (out / "network.cir").write_text(netlist)
    print(f"{model}: {circuit.title}, {len(trainer.params_.resistors)} conductances, "
          f"fast rule {'on' if trainer.fast_rule_ is not None else 'off'}, set up in "
          f"{time.perf_counter() - started:.1f} s; settings {json.dumps(config['settings'])}", flush=True)

    def on_epoch(t: Trainer, record) -> None:
        best = rundir.save_epoch(t, netlist, config["netlist"])
        print(f"epoch {record.epoch}/{t.config.epochs}: loss {record.train_loss:.4f}, train error "
              f"{record.train_error:.2%}, test error {record.test_error:.2%}, {record.seconds:.1f} s"
              + (" (best)" if best else ""), flush=True)

    trainer.fit(data, on_epoch=on_epoch)
    rundir.finish(write_netlist(trainer.trained_circuit()), trainer.history_)
    best = min(trainer.history_, key=lambda r: r.test_error)
    print(f"done: {len(trainer.history_)} epochs, final test error {trainer.history_[-1].test_error:.2%}, "
          f"best {best.test_error:.2%} (epoch {best.epoch}); reference {MODELS[model]['reference_error']} %",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())

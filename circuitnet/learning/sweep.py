"""Hyper-parameter sweeps: a grid of training settings, each combination (times each seed)
trained as one `circuitnet train` run in a Ray task, and the sweep's summary.

A sweep directory holds one run directory per run (named by `run_name`, the format of
`circuitnet train --out`) plus summary.csv and summary.png. Every run checkpoints each
epoch, so a run whose worker dies is retried (Ray's `max_retries`) and continues from its
last.npz: it ends with the parameters an uninterrupted run has. On a cluster, the sweep
directory must be reachable at the same path from every node (a shared file system).
"""
from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..errors import CircuitError, CircuitValidationError, SolverUnavailableError
from .config import TrainingConfig
from .rundir import RunDirectory, best_record
from .trainer import EpochRecord

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: A run's attempts after the first when its worker process dies (Ray task `max_retries`).
MAX_RETRIES = 3
#: The file in a run directory naming the process that trains it, while it trains.
PID_FILE = "worker.pid"
SUMMARY_CSV = "summary.csv"
SUMMARY_PNG = "summary.png"


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: its directory name and its settings (TrainingConfig field
    names, the grid's keys in grid order, then "seed")."""

    name: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class RunResult:
    """A run's outcome: errors are fractions (NaN when the run failed or has no test set),
    `seconds` the training time of its epochs, `error` a failed run's message ("" otherwise)."""

    run: SweepRun
    final_test_error: float
    best_test_error: float
    seconds: float
    error: str = ""


def expand_grid(grid: Mapping[str, Sequence[Any]], seeds: int = 1) -> list[SweepRun]:
    """Every combination of the `grid`'s values (field name -> values, the first key varying
    slowest), each with the seeds 0 .. seeds-1. Each combination is validated as a
    TrainingConfig here, before anything trains: CircuitValidationError names unknown keys
    (and the valid ones), a key given a value twice, and a combination that is not a valid
    training config (naming the run)."""
    unknown = sorted((set(grid) - set(TrainingConfig.names())) | ({"seed"} & set(grid)))
    if unknown:
        hint = "; give seeds with --seeds N (seeds 0 .. N-1)" if "seed" in unknown else ""
        raise CircuitValidationError(f"unknown sweep setting(s) {', '.join(unknown)}; valid settings: "
                                     f"{', '.join(n for n in TrainingConfig.names() if n != 'seed')}{hint}")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise CircuitValidationError(f"seeds must be an integer >= 1, got {seeds!r}")
    for key, values in grid.items():
        texts = [value_text(v) for v in values]
        if not texts:
            raise CircuitValidationError(f"{key}: no values to sweep")
        repeated = sorted({t for t in texts if texts.count(t) > 1})
        if repeated:
            raise CircuitValidationError(f"{key}: value(s) {', '.join(repeated)} given more than once")
    runs = []
    for values in itertools.product(*grid.values(), range(seeds)):
        settings = dict(zip([*grid, "seed"], values))
        run = SweepRun(run_name(settings), settings)
        try:
            TrainingConfig.from_dict(settings)
        except CircuitValidationError as error:
            raise CircuitValidationError(f"run {run.name}: {error}") from None
        runs.append(run)
    return runs


def value_text(value: Any) -> str:
    """A setting's value as a command-line option takes it: 0.01, 1e-06, cep, 0.01,0.02."""
    if isinstance(value, (list, tuple)):
        return ",".join(map(value_text, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def run_name(settings: Mapping[str, Any]) -> str:
    """The run's directory name: key=value joined by "_", e.g. lr=0.01_beta=0.2_seed=0."""
    return "_".join(f"{key}={value_text(value)}" for key, value in settings.items())


def train_command(netlist: str, data: str, out: str, settings: Mapping[str, Any]) -> list[str]:
    """The `circuitnet train` command line that trains the same run (config.json's "argv")."""
    options = [text for key, value in settings.items() for text in (f"--{key.replace('_', '-')}", value_text(value))]
    return ["train", netlist, "--data", data, "--out", out, *options, "--quiet"]


def train_run(netlist: str, data: str, out: str, settings: Mapping[str, Any]) -> RunResult:
    """Train one run into the run directory `out` with `circuitnet train`'s code, continuing
    from its last.npz when it holds one (the retry of a task whose worker died). This is
    the body of the sweep's Ray task; the directory's PID_FILE names the process while it trains."""
    from ..cli.train import run

    rundir = RunDirectory(out)
    args = argparse.Namespace(netlist=netlist, data=data, out=out, resume=rundir.holds_run(), quiet=True, **settings)
    rundir.path.mkdir(parents=True, exist_ok=True)
    pid_file = rundir.path / PID_FILE
    pid_file.write_text(f"{os.getpid()}\n")
    sys.argv = ["circuitnet", *train_command(netlist, data, out, settings)]  # config.json's record of the run
    try:
        run(args)
    finally:
        pid_file.unlink(missing_ok=True)
    return run_result(SweepRun(rundir.path.name, dict(settings)), rundir)


def run_result(run: SweepRun, rundir: RunDirectory) -> RunResult:
    """The outcome of a trained run, from its last.npz's history."""
    history = _history(rundir)
    return RunResult(run, history[-1].test_error, best_record(history).test_error, sum(r.seconds for r in history))


def is_finished(run: SweepRun, rundir: RunDirectory) -> bool:
    """Whether the run has trained all its epochs and written trained.cir."""
    epochs = TrainingConfig.from_dict(run.settings).epochs
    return rundir.trained.exists() and rundir.holds_run() and rundir.resume_point().epoch >= epochs


def _history(rundir: RunDirectory) -> list[EpochRecord]:
    state = rundir.checkpoint("last").state
    return [EpochRecord(int(r[0]), *map(float, r[1:])) for r in state["history"]]


def run_sweep(netlist: str, data: str, runs: Sequence[SweepRun], out: str | os.PathLike, *,
              address: str | None = None, cpus_per_run: float = 1, resume: bool = False,
              max_retries: int = MAX_RETRIES) -> list[RunResult]:
    """Train every run into `out`/<run name> in Ray tasks of `cpus_per_run` CPUs each, in a
    local Ray started here (all the machine's CPUs) unless Ray is already initialised or
    `address` names a cluster. Without `resume`, a run directory that holds a run is refused
    before anything starts; with it, finished runs are skipped and the others continue.
    A run that fails (CircuitError, or its worker dying more than `max_retries` times) gets
    a RunResult with its `error`; the others go on. Results are in the order of `runs`."""
    ray = _import_ray()
    out = Path(out)
    dirs = {run.name: RunDirectory(out / run.name) for run in runs}
    results: dict[str, RunResult] = {}
    for run in runs:
        rundir = dirs[run.name]
        if not resume:
            try:
                rundir.refuse_overwrite()
            except CircuitError:
                raise CircuitError(f"{rundir.path} already holds a run: pass --resume to continue the sweep "
                                   "(finished runs are skipped), or choose another --out") from None
        elif is_finished(run, rundir):
            results[run.name] = run_result(run, rundir)
            print(f"skipped {run.name}: finished", flush=True)
    todo = [run for run in runs if run.name not in results]
    started = bool(todo) and not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=cpus_per_run, max_retries=max_retries)(train_run)
        pending = {task.remote(netlist, data, str(dirs[run.name].path), dict(run.settings)): run for run in todo}
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            run = pending.pop(ref)
            results[run.name] = _outcome(ray, ref, run, max_retries)
            _report(results[run.name], len(results), len(runs))
    finally:
        if started:
            ray.shutdown()
    return [results[run.name] for run in runs]


def _import_ray():
    try:
        import ray
    except ImportError:
        raise SolverUnavailableError("circuitnet sweep needs Ray: pip install 'circuitnet[cluster]'") from None
    return ray


def _outcome(ray, ref, run: SweepRun, max_retries: int) -> RunResult:
    """The task's RunResult, or a failed one: its CircuitError, or its worker dying every try."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:
        if not isinstance(error.cause, CircuitError):
            raise error.cause from None  # a bug, not a bad setting: show its traceback
        message = str(error.cause)
    except ray.exceptions.RayError as error:
        tries = max_retries + 1
        message = f"the worker died {tries} time{'s' if tries > 1 else ''} ({type(error).__name__})"
    return RunResult(run, math.nan, math.nan, math.nan, message)


def _report(result: RunResult, done: int, total: int) -> None:
    outcome = f"failed: {result.error}" if result.error else \
        f"final test error {result.final_test_error:.2%}, best {result.best_test_error:.2%}, {result.seconds:.1f} s"
    print(f"[{done}/{total}] {result.run.name}: {outcome}", flush=True)


def write_summary(results: Sequence[RunResult], out: str | os.PathLike) -> None:
    """`out`/summary.csv (one row per run: run, its settings, seed, final and best test error,
    seconds, error) and `out`/summary.png (`summary_figure`)."""
    out = Path(out)
    keys = list(dict.fromkeys(key for r in results for key in r.run.settings))
    with open(out / SUMMARY_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["run", *keys, "final_test_error", "best_test_error", "seconds", "error"])
        for r in results:
            writer.writerow([r.run.name, *(value_text(r.run.settings[k]) for k in keys),
                             f"{r.final_test_error:.6g}", f"{r.best_test_error:.6g}", f"{r.seconds:.3f}", r.error])
    summary_figure(results).savefig(out / SUMMARY_PNG, format="png", dpi=100)


def summary_figure(results: Sequence[RunResult]) -> "Figure":
    """A horizontal bar per run: its best test error (percent); failed runs are left empty,
    the best run is drawn in another colour (matplotlib's object API: no pyplot state)."""
    from matplotlib.figure import Figure

    errors = [100 * r.best_test_error for r in results]
    best = min((i for i, e in enumerate(errors) if e == e), key=errors.__getitem__, default=None)
    fig = Figure(figsize=(8, 1.5 + 0.3 * len(results)), layout="tight")
    axes = fig.subplots()
    colours = ["tab:orange" if i == best else "tab:blue" for i in range(len(results))]
    axes.barh(range(len(results)), [e if e == e else 0 for e in errors], color=colours)
    axes.set_yticks(range(len(results)), [r.run.name + (" (failed)" if r.error else "") for r in results])
    axes.invert_yaxis()
    axes.set(xlabel="best test error (%)", title="sweep: best test error per run")
    return fig


def best_configuration(results: Iterable[RunResult]) -> tuple[dict[str, Any], float, int] | None:
    """The settings (without the seed) with the lowest mean best test error over their
    seeds, that mean and the number of seeds; None when no run has a test error."""
    groups: dict[str, tuple[dict[str, Any], list[float]]] = {}
    for r in results:
        if r.best_test_error == r.best_test_error:
            settings = {k: v for k, v in r.run.settings.items() if k != "seed"}
            groups.setdefault(run_name(settings), (settings, []))[1].append(r.best_test_error)
    if not groups:
        return None
    settings, errors = min(groups.values(), key=lambda group: sum(group[1]) / len(group[1]))
    return settings, sum(errors) / len(errors), len(errors)

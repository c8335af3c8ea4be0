"""Training speed benchmark: seconds per MNIST epoch of the EP trainer beside its matrix-product bound.

For each model (DRN-XS 1568-100-10, DRN-1H 1568-1024-10, DRN-2H 1568-1024-1024-10: 784
features mirrored), dtype (float32, float64) and batch size (4 as the reference, 32, 128),
the Trainer's centered-EP step (fixed-sweep mode with the reference's sweeps and beta,
the layered fast rule) is timed over `--steps` steps (fewer for larger batches), median of
`--repeats`, and extrapolated to an epoch of 60,000 examples. Beside it, in the same run
and with the same shapes and dtype, the bare matrix products one step needs (numpy/BLAS):

- the input projection X @ W1 (once per step: the three phases share it);
- per phase (free, +beta, -beta) and sweep, for every other weight matrix W_k: the
  forward product h_{k-1} @ W_k and the backward product h_k @ W_k.T;
- the rank-batch updates, in place (BLAS gemm, beta=1): (batch+1) x |A| by (batch+1) x |B|
  for the input layer, (2 batch + 2) for the others.

Their sum is the bound, timed with one BLAS thread and with all cores, the faster of the
two (the step runs BLAS on one thread and its numba kernels on all cores); step / bound is
the figure of merit. The bound's inputs are dense random numbers: BLAS gains nothing from
zeros, while the step's kernels skip the rows of blank pixels (0 V inputs). Also:

- the cd solver's marginal time per sweep on DRN-1H (batch 4, float32; from solves of
  K and 5K sweeps, input projection cached as in training) beside one sweep's products;
- the same training step with ngspice in the loop (solver="spice": each state is an
  ngspice operating point), per example on a few examples of a small DRN, extrapolated
  to an epoch;
- a cProfile of the DRN-1H float32 batch-4 step (top functions by own time);
- the physical procedures' steps beside centered EP's (DRN-1H, float32, batch 4, the
  same sweeps and beta): agnostic EP (centered, one round: the two nudged states one
  stacked solve, one rank-batch update) and continual EP (an update after each of the
  nudged phase's sweeps), with the free solve timed alone, so that the nudged phase's
  cost per sweep shows.

    python scripts/bench_train.py [--models xs,1h,2h] [--batches 4,32,128] [--dtypes float32,float64]
        [--steps 200] [--repeats 3] [--data DIR] [--spice-examples 2] [--quick]
        [--out scripts/results/bench_train.json] [--markdown scripts/results/bench_train.md]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchutil import (RESULTS, fmt_seconds, git_state, loop_time, machine, markdown_table,  # noqa: E402
                       median_time, numba_threads, text_table, versions, write_json)

from circuitnet.learning.trainer import Trainer, _blas_limit  # noqa: E402
from circuitnet.model.networks import build_drn  # noqa: E402

EPOCH = 60_000
#: name -> (features, hidden, classes, gain, sweeps, beta), docs/design.md section 5
MODELS = {"xs": (784, [100], 10, 100.0, 4, 1.0), "1h": (784, [1024], 10, 480.0, 4, 1.0),
          "2h": (784, [1024, 1024], 10, 2000.0, 5, 1.0),
          "tiny": (20, [16], 10, 10.0, 4, 0.1)}
NAMES = {"xs": "DRN-XS", "1h": "DRN-1H", "2h": "DRN-2H", "tiny": "tiny"}
DEFAULT_DATA = str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist")


def load_features(directory: str, n: int, features: int, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST training images (n, 784) in [0, 1] and labels where available, else uniform random."""
    rng = np.random.default_rng(seed)
    if features == 784 and Path(directory).is_dir():
        try:
            from circuitnet.datasets import load_mnist

            data = load_mnist(directory)
            pick = rng.choice(len(data.x_train), n, replace=False)
            return data.x_train[pick], data.y_train[pick], "mnist"
        except Exception:  # noqa: BLE001 - fall back to random data
            pass
    return rng.random((n, features)), rng.integers(0, 10, n), "random"


def trainer_for(circuit, model: str, dtype: str, batch: int, solver: str = "cd", algorithm: str = "cep") -> Trainer:
    sweeps, beta = MODELS[model][4], MODELS[model][5]
    return Trainer(circuit, algorithm=algorithm, beta=beta, lr=0.006, lr_decay=0.99, momentum=0.0, batch_size=batch,
                   sweeps=sweeps if solver == "cd" else None, tol=1e-6, dtype=dtype, solver=solver)


def time_steps(trainer: Trainer, x: np.ndarray, y: np.ndarray, batch: int, steps: int, repeats: int) -> float:
    """Median seconds per training step over `repeats` runs of `steps` steps."""
    cursor = [0]

    def run():
        with _blas_limit(trainer.blas_threads):
            steps_of(trainer)

    def steps_of(trainer):
        for _ in range(steps):
            k = cursor[0] % (len(x) - batch)
            trainer._step(x[k:k + batch], y[k:k + batch], 0)
            cursor[0] += batch

    with _blas_limit(trainer.blas_threads):
        trainer._step(x[:batch], y[:batch], 0)  # warm-up (JIT, caches)
    seconds, _ = median_time(run, repeats)
    return seconds / steps


def blas_update(weights: np.ndarray, alpha: float, p: np.ndarray, q: np.ndarray) -> None:
    """weights += alpha * p.T @ q in place: one BLAS gemm with beta = 1 (the bare update product)."""
    from scipy.linalg import blas

    gemm = blas.sgemm if weights.dtype == np.float32 else blas.dgemm
    # weights.T (Fortran order) += alpha * q.T @ p: no copy of weights in or out
    gemm(alpha, np.asfortranarray(q.T), np.asfortranarray(p.T), beta=1.0, c=weights.T, trans_b=1, overwrite_c=1)


def product_bound(sizes: list[int], batch: int, sweeps: int, dtype: str, seed: int = 0) -> dict:
    """Seconds of the bare matrix products of one training step (see the module docstring)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    weights = [rng.random((a, b)).astype(dt) * 1e-2 for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.random((batch, sizes[0])).astype(dt)
    states = [rng.random((batch, n)).astype(dt) for n in sizes]
    projection = loop_time(lambda: x @ weights[0], min_seconds=0.05, rounds=5)

    def relax():
        for _ in range(3 * sweeps):
            for k in range(1, len(weights)):
                states[k + 1] @ weights[k].T
                states[k] @ weights[k]
    relaxation = loop_time(relax, min_seconds=0.05, rounds=5) if len(weights) > 1 else 0.0
    factors = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        rank = batch + 1 if k == 0 else 2 * batch + 2
        factors.append((weights[k], rng.random((rank, a)).astype(dt), rng.random((rank, b)).astype(dt)))

    def update():
        for w, p, q in factors:
            blas_update(w, -1e-12, p, q)
    updates = loop_time(update, min_seconds=0.05, rounds=5)
    return {"projection_s": projection, "relaxation_s": relaxation, "update_s": updates,
            "total_s": projection + relaxation + updates}


def fastest_bound(sizes: list[int], batch: int, sweeps: int, dtype: str) -> dict:
    """`product_bound` with 1 BLAS thread and with all cores, whichever is faster in total
    (the step itself runs BLAS on one thread and numba's kernels on all cores)."""
    bounds = []
    for threads in (1, None):
        with _blas_limit(threads):
            bounds.append({**product_bound(sizes, batch, sweeps, dtype), "blas_threads": threads or "all"})
    fastest = min(bounds, key=lambda bound: bound["total_s"])
    return {**fastest, "one_thread_total_s": bounds[0]["total_s"]}


def solver_sweep(cc, values, model: str, batch: int, dtype: str, x: np.ndarray) -> dict:
    """The cd solver per sweep beside the products of one sweep (same shapes, dtype).

    marginal: (solve with 5K sweeps - solve with K sweeps) / 4K, same inputs (the input
    projection cached, as within a training step), against one sweep's products without
    x @ W1. fresh: a whole solve of K sweeps with new inputs each call (projection
    recomputed, setup included) / K, against one naive sweep's products including x @ W1.
    """
    from circuitnet.solvers import solve

    kind = np.dtype(dtype).type
    sweeps = MODELS[model][4]
    xa, xb = x[:batch], x[batch:2 * batch]
    solve(cc, xa, sweeps=sweeps, dtype=kind, values=values)
    short, _ = median_time(lambda: solve(cc, xa, sweeps=sweeps, dtype=kind, values=values), 9)
    long, _ = median_time(lambda: solve(cc, xa, sweeps=5 * sweeps, dtype=kind, values=values), 9)
    flip = [0]

    def fresh_solve():
        flip[0] ^= 1
        return solve(cc, xa if flip[0] else xb, sweeps=sweeps, dtype=kind, values=values)
    fresh, _ = median_time(fresh_solve, 9)
    per_sweep = (long - short) / (4 * sweeps)
    features, hidden, classes = MODELS[model][:3]
    sizes = [2 * features, *hidden, classes]
    rng = np.random.default_rng(0)
    dt = np.dtype(dtype)
    weights = [rng.random((a, b)).astype(dt) for a, b in zip(sizes[:-1], sizes[1:])]
    states = [rng.random((batch, n)).astype(dt) for n in sizes]

    def one_sweep():  # what a sweep must do with the input projection cached
        for k in range(1, len(weights)):
            states[k + 1] @ weights[k].T
            states[k] @ weights[k]
    products = loop_time(one_sweep, min_seconds=0.05, rounds=5)
    projection = loop_time(lambda: states[0] @ weights[0], min_seconds=0.05, rounds=5)
    return {"model": NAMES[model], "batch": batch, "dtype": dtype, "sweeps": sweeps,
            "solve_cached_s": short, "marginal_per_sweep_s": per_sweep, "sweep_products_s": products,
            "marginal_ratio": per_sweep / products,
            "solve_fresh_s": fresh, "fresh_per_sweep_s": fresh / sweeps,
            "sweep_products_with_projection_s": products + projection,
            "fresh_ratio": fresh / sweeps / (products + projection)}


def spice_step(examples: int, hidden: int, x: np.ndarray, y: np.ndarray) -> dict | None:
    """Seconds per example of the training step with ngspice computing every state, on a small
    DRN (784-hidden-10), beside the cd solver's step on the same network and examples."""
    import shutil

    if shutil.which("ngspice") is None:
        return None
    circuit = build_drn(784, [hidden], 10, gain=100.0, seed=0, gmax=1e3)
    result = {"model": f"DRN 1568-{hidden}-10", "resistors": 1568 * hidden + 10 * hidden,
              "examples": examples, "phases_per_example": 3}
    for solver in ("spice", "cd"):
        trainer = Trainer(circuit, algorithm="cep", beta=0.1, lr=0.006, momentum=0.0, batch_size=1, solver=solver,
                          sweeps=4 if solver == "cd" else None)
        trainer._step(x[:1], y[:1], 0) if solver == "cd" else None  # cd warm-up only
        times = []
        for k in range(examples):
            start = time.perf_counter()
            trainer._step(x[k:k + 1], y[k:k + 1], 0)
            times.append(time.perf_counter() - start)
        result[f"{solver}_per_example_s"] = float(np.median(times))
    result["per_example_s"] = result["spice_per_example_s"]
    result["epoch_s"] = result["spice_per_example_s"] * EPOCH
    result["spice_over_cd"] = result["spice_per_example_s"] / result["cd_per_example_s"]
    return result


#: the algorithms timed beside centered EP (`algorithm_rows`)
PHYSICAL = ("agnostic-ep", "continual-ep")


def free_solve_time(trainer: Trainer, x: np.ndarray, batch: int, repeats: int) -> float:
    """Median seconds of the free solve of a step (new inputs each call: its own preparation)."""
    flip = [0]

    def solve():
        flip[0] ^= 1
        trainer.simulator.free(x[flip[0] * batch:(flip[0] + 1) * batch])
    trainer.simulator.set_parameters(trainer.params_)
    solve()
    return median_time(solve, 5 * repeats)[0]


def algorithm_rows(circuit, model: str, dtype: str, batch: int, x: np.ndarray, y: np.ndarray, steps: int,
                   repeats: int) -> list[dict]:
    """Each of PHYSICAL's steps beside centered EP's (same model, dtype, batch, sweeps and
    beta), and each step's nudged phase per sweep: (step - free solve) / sweeps."""
    sweeps = MODELS[model][4]
    rows = []
    for algorithm in ("cep", *PHYSICAL):
        trainer = trainer_for(circuit, model, dtype, batch, algorithm=algorithm)
        step = time_steps(trainer, x, y, batch, steps, repeats)
        with _blas_limit(trainer.blas_threads):
            free = free_solve_time(trainer, x, batch, repeats)
        rows.append({"model": NAMES[model], "dtype": dtype, "batch": batch, "algorithm": algorithm, "sweeps": sweeps,
                     "step_s": step, "free_s": free, "nudged_per_sweep_s": (step - free) / sweeps})
        del trainer
    for row in rows:
        row["step_over_cep"] = row["step_s"] / rows[0]["step_s"]
    return rows


def profile_step(trainer: Trainer, x: np.ndarray, y: np.ndarray, batch: int, steps: int) -> dict:
    profiler = cProfile.Profile()
    with _blas_limit(trainer.blas_threads):
        profiler.enable()
        for k in range(steps):
            trainer._step(x[k * batch:(k + 1) * batch], y[k * batch:(k + 1) * batch], 0)
        profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    total = stats.total_tt
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in sorted(
            stats.stats.items(), key=lambda item: -item[1][2])[:15]:
        rows.append({"function": f"{Path(path).name}:{line}({name})", "calls_per_step": calls / steps,
                     "own_ms_per_step": 1e3 * own / steps, "cumulative_ms_per_step": 1e3 * cumulative / steps,
                     "own_share": own / total})
    return {"steps": steps, "ms_per_step_profiled": 1e3 * total / steps, "top": rows}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default="xs,1h,2h")
    p.add_argument("--batches", default="4,32,128")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--steps", type=int, default=200, help="steps per timing at batch 4 (scaled down for larger)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--spice-examples", type=int, default=2)
    p.add_argument("--spice-hidden", type=int, default=16, help="hidden size of the small DRN run with ngspice")
    p.add_argument("--quick", action="store_true", help="tiny smoke-test run (no markdown)")
    p.add_argument("--out", default=str(RESULTS / "bench_train.json"))
    p.add_argument("--markdown", default=None, help="default: --out with .md (not with --quick)")
    args = p.parse_args(argv)
    if args.quick:
        args.models, args.batches, args.dtypes, args.steps, args.repeats = "tiny", "4", "float32", 5, 1
        args.spice_examples = 0
    models = args.models.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    dtypes = args.dtypes.split(",")
    rows = []
    x_all, y_all, source = None, None, None
    payload = {"machine": machine(), "versions": versions("numpy", "scipy", "numba"), "git": git_state(),
               "numba_threads": numba_threads(), "epoch_examples": EPOCH, "rows": rows}
    for model in models:
        features, hidden, classes, gain, sweeps, beta = MODELS[model]
        x_all, y_all, source = load_features(args.data, 4096, features, 0)
        start = time.perf_counter()
        circuit = build_drn(features, hidden, classes, gain=gain, seed=0, gmax=1e3)
        built = time.perf_counter() - start
        sizes = [2 * features, *hidden, classes]
        for dtype in dtypes:
            for batch in batches:
                start = time.perf_counter()
                trainer = trainer_for(circuit, model, dtype, batch)
                setup = time.perf_counter() - start
                steps = max(3, args.steps * 4 // batch) if not args.quick else args.steps
                step = time_steps(trainer, x_all, y_all, batch, steps, args.repeats)
                bound = fastest_bound(sizes, batch, sweeps, dtype)
                row = {"model": NAMES[model], "sizes": sizes, "dtype": dtype, "batch": batch, "sweeps": sweeps,
                       "steps_timed": steps, "step_s": step, "epoch_s": step * EPOCH / batch,
                       "bound": bound, "bound_epoch_s": bound["total_s"] * EPOCH / batch,
                       "ratio": step / bound["total_s"], "fast_rule": trainer.fast_rule_ is not None,
                       "blas_threads": trainer.blas_threads,
                       "build_s": built, "setup_s": setup}
                rows.append(row)
                write_json(args.out, {**payload, "rows": rows})
                print(f"{NAMES[model]:7s} {dtype} batch {batch:3d}: step {fmt_seconds(step)}, epoch "
                      f"{row['epoch_s']:.1f} s, bound {fmt_seconds(bound['total_s'])} "
                      f"(epoch {row['bound_epoch_s']:.1f} s), ratio {row['ratio']:.2f}", flush=True)
                del trainer
    payload["data"] = source
    if "1h" in models and not args.quick:
        features, hidden, classes, gain, sweeps, beta = MODELS["1h"]
        circuit = build_drn(features, hidden, classes, gain=gain, seed=0, gmax=1e3)
        x_all, y_all, _ = load_features(args.data, 4096, features, 0)
        cc = circuit.compile()
        values = cc.values()
        values.use_dtype("float32")
        payload["solver_sweep"] = [solver_sweep(cc, values, "1h", batch, "float32", x_all) for batch in (4, 64)]
        print("solver sweep:", payload["solver_sweep"], flush=True)
        write_json(args.out, payload)
        del cc
        trainer = trainer_for(circuit, "1h", "float32", 4)
        time_steps(trainer, x_all, y_all, 4, 20, 1)
        payload["profile"] = profile_step(trainer, x_all, y_all, 4, 300)
        write_json(args.out, payload)
        del trainer
    physical = "1h" if "1h" in models and not args.quick else ("tiny" if args.quick else None)
    if physical:
        features, hidden, classes, gain, sweeps, beta = MODELS[physical]
        circuit = build_drn(features, hidden, classes, gain=gain, seed=0, gmax=1e3)
        x_all, y_all, _ = load_features(args.data, 4096, features, 0)
        payload["algorithms"] = algorithm_rows(circuit, physical, "float32", 4, x_all, y_all, args.steps, args.repeats)
        print("algorithms:", payload["algorithms"], flush=True)
        write_json(args.out, payload)
        del circuit
    if args.spice_examples:
        x_mnist, y_mnist, _ = load_features(args.data, 64, 784, 1)
        payload["spice"] = spice_step(args.spice_examples, args.spice_hidden, x_mnist, y_mnist)
        print("spice:", payload["spice"], flush=True)
    write_json(args.out, payload)
    table = markdown_rows(payload)
    print(text_table(*table))
    if not args.quick:
        markdown = Path(args.markdown or Path(args.out).with_suffix(".md"))
        markdown.write_text(render_markdown(payload, table))
    return 0


def markdown_rows(payload: dict) -> tuple[list[str], list[list]]:
    header = ["model", "dtype", "batch", "step", "s / epoch", "product bound / step", "bound s / epoch",
              "step / bound", "step / one-thread bound"]
    rows = [[r["model"], r["dtype"], r["batch"], fmt_seconds(r["step_s"]), f"{r['epoch_s']:.1f}",
             fmt_seconds(r["bound"]["total_s"]), f"{r['bound_epoch_s']:.1f}", f"{r['ratio']:.2f}x",
             f"{r['step_s'] / r['bound']['one_thread_total_s']:.2f}x"]
            for r in payload["rows"]]
    return header, rows


def render_markdown(payload: dict, table) -> str:
    m = payload["machine"]
    lines = ["# Training speed (bench_train.py)", "",
             f"Machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['memory_gb']} GB; "
             f"Python {m['python']}, numpy {payload['versions'].get('numpy')}, scipy {payload['versions'].get('scipy')}; "
             f"commit {str(payload['git'].get('commit'))[:10]}. Data: {payload['data']} images.", "",
             "Centered EP, fixed sweeps (4; DRN-2H 5), beta 1, the layered fast rule; seconds per epoch = "
             "median seconds per step x 60,000 / batch. The bound is the bare BLAS products of one step "
             "(input projection once, forward and backward products of the other layers for 3 phases x "
             "sweeps, the in-place rank-batch updates), same shapes and dtype, timed in the same run with "
             "one BLAS thread and with all cores, the faster of the two. The step's kernels skip "
             "blank pixels (0 V inputs); BLAS cannot.", "",
             markdown_table(*table), ""]
    sweeps = payload.get("solver_sweep")
    if sweeps:
        lines += ["## cd solver per sweep (DRN-1H 1568-1024-10, float32, 4 sweeps)", "",
                  "marginal: (solve of 20 sweeps - solve of 4 sweeps) / 16, same inputs (input projection "
                  "cached, as within a training step), against the products of one sweep without x @ W1 "
                  "(out @ W2.T and h @ W2). fresh: a whole 4-sweep solve with new inputs (setup and x @ W1 "
                  "included) / 4, against one naive sweep's products including x @ W1.", "",
                  markdown_table(["batch", "marginal s / sweep", "sweep products", "ratio",
                                  "fresh solve / 4", "sweep products incl. x @ W1", "ratio"],
                                 [[s["batch"], fmt_seconds(s["marginal_per_sweep_s"]),
                                   fmt_seconds(s["sweep_products_s"]), f"{s['marginal_ratio']:.1f}x",
                                   fmt_seconds(s["fresh_per_sweep_s"]),
                                   fmt_seconds(s["sweep_products_with_projection_s"]), f"{s['fresh_ratio']:.2f}x"]
                                  for s in sweeps]), ""]
    algorithms = payload.get("algorithms")
    if algorithms:
        lines += [f"## The physical procedures beside centered EP ({algorithms[0]['model']}, float32, batch 4)", "",
                  "Same sweeps and beta as the centered-EP rows. agnostic-ep: centered, one round, linear device "
                  "(the homeostatic and first clamped state one stacked solve, then one rank-batch update). "
                  "continual-ep: positive, one rank-batch update after each sweep of the nudged phase, and "
                  "so before each sweep a new preparation (the input projection x @ W1 of the changed W1, "
                  "the weight sums). nudged phase per sweep = (step - free solve) / sweeps.", "",
                  markdown_table(["algorithm", "step", "step / cep", "free solve", "nudged phase per sweep"],
                                 [[r["algorithm"], fmt_seconds(r["step_s"]), f"{r['step_over_cep']:.2f}x",
                                   fmt_seconds(r["free_s"]), fmt_seconds(r["nudged_per_sweep_s"])]
                                  for r in algorithms]), ""]
    spice = payload.get("spice")
    if spice:
        lines += ["## ngspice in the loop (solver='spice')", "",
                  f"{spice['model']} ({spice['resistors']:,} resistors), centered EP (beta 0.1: the small network has under 1 S at its outputs), batch 1, 3 ngspice "
                  f"operating points per example (PySpice, in process): {spice['per_example_s']:.2f} s per "
                  f"example (median of {spice['examples']}), so about {spice['epoch_s'] / 3600:.1f} hours per "
                  f"60,000-example epoch; the cd step on the same network and examples takes "
                  f"{fmt_seconds(spice['cd_per_example_s'])} ({spice['spice_over_cd']:.0f}x less). ngspice's "
                  "time grows with the netlist (DRN-XS, 157,800 resistors, did not finish its 2 examples in "
                  "about 3 minutes in a first attempt).", ""]
    prof = payload.get("profile")
    if prof:
        lines += ["## Profile: DRN-1H, float32, batch 4 (cProfile)", "",
                  f"{prof['ms_per_step_profiled']:.2f} ms per step under the profiler ({prof['steps']} steps).", "",
                  markdown_table(["function", "calls / step", "own ms / step", "cumulative ms / step", "own share"],
                                 [[r["function"], f"{r['calls_per_step']:.0f}", f"{r['own_ms_per_step']:.3f}",
                                   f"{r['cumulative_ms_per_step']:.3f}", f"{100 * r['own_share']:.1f} %"]
                                  for r in prof["top"]]), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

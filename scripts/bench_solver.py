"""Solver speed benchmark: `cd` against `qp` (cvxpy + Clarabel) and `ngspice -b`, side by side.

Cases:

- random sparse circuits of `--sizes` nodes: a random recursive spanning tree of resistors
  plus as many random extra resistors (average degree ~4), voltage sources each wired to a
  few nodes, leak resistors to ground at 2 % of the nodes, current sources, ideal diodes
  from free nodes to source nodes / ground and between free nodes (kept feasible);
- layered networks (`build_drn`, `--layered` as FEATURES-HIDDEN[-HIDDEN...]-CLASSES; each
  feature drives two sources, so 784-100-10 has 1568 input nodes), random inputs in
  [0, 1], solved for one input and for a batch of `--batch` inputs.

Per case: `cd` is compiled once (`circuit.compile()`, timed apart), warmed up (numba JIT),
then timed as the median of `--repeats` solves; `qp` runs in a child process and only
where one solve finishes within `--limit` seconds; ngspice runs `ngspice -b` (`.op`) on
the netlist that `write_netlist` writes, wall time of the subprocess (netlist parsing
included), within `--limit` seconds. Agreement: the largest |v_cd - v_other| over nodes.
For layered cases, the bare matrix products of one sweep (numpy float64, same shapes) are
timed, and the ratio (cd seconds per sweep) / (matmul seconds) printed.

    python scripts/bench_solver.py [--sizes 100,1000,10000,100000] [--layered 64-32-10,...]
        [--batch 64] [--repeats 5] [--limit 60] [--quick] [--out scripts/results/bench_solver.json]
        [--markdown scripts/results/bench_solver.md]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import (RESULTS, fmt_ratio, fmt_seconds, git_state, loop_time, machine,  # noqa: E402
                       markdown_table, median_time, numba_threads, text_table, versions, write_json)

from circuitnet import Circuit, DiodeModel, Element  # noqa: E402
from circuitnet.compile.conditions import make_conditions  # noqa: E402
from circuitnet.model.elements import CURRENT_SOURCE, DIODE, RESISTOR, VOLTAGE_SOURCE  # noqa: E402
from circuitnet.model.networks import build_drn  # noqa: E402
from circuitnet.netlist import write_netlist  # noqa: E402
from circuitnet.solvers import solve  # noqa: E402

NGSPICE = shutil.which("ngspice")
SPICE_NOTE = ("ngspice cannot simulate an ideal diode: write_netlist exports each one as a "
              "near-ideal Shockley diode (IS=1e-15 A, N=1e-4: about 0.07 mV forward drop at "
              "1 mA), so ngspice solves a slightly different, much stiffer problem; its "
              "|dv| against cd includes that model difference. The ngspice time is the wall "
              "time of `ngspice -b` (netlist parsing and rawfile writing included).")
QP_NOTE = ("qp time is one call of solve(circuit, solver='qp'): cvxpy builds and "
           "canonicalises the program on every call, then Clarabel solves each example.")
FILL_NOTE = ("Random sparse graphs are expanders: direct sparse factorisations (ngspice's LU, "
             "Clarabel's LDL) fill in badly on them, so ngspice and qp times grow steeply with size "
             "(checked by hand: ngspice -b on the 10,000-node circuit with every diode removed still "
             "ran > 90 s, while 1,000 nodes took 0.27 s).")
MATMUL_NOTE = ("matmul: the dense products of one naive sweep, x @ W for every layer "
               "(forward) and v @ W.T for every hidden layer (backward), numpy float64, "
               "same shapes and batch; cd/sweep / matmul is the figure of merit of the "
               "layered fast path.")
DRN_GAINS = {(784, 100, 10): 100.0, (784, 1024, 10): 480.0}  # docs/design.md section 5


# ---------------------------------------------------------------- circuits

def sparse_circuit(n_nodes: int, seed: int) -> Circuit:
    """A random sparse resistive network with sources and ideal diodes (see the module docstring)."""
    rng = np.random.default_rng(seed)
    circuit = Circuit(title=f"random sparse circuit {n_nodes} nodes seed {seed}")
    circuit.add_model(DiodeModel("dideal", ideal=True, vf=0.0))
    nodes = [f"n{k}" for k in range(n_nodes)]
    counter = iter(range(10**9))

    def add(kind, a, b, value=None, model=None):
        circuit.add(Element(f"{kind.letter.lower()}{next(counter)}", kind, (a, b), value, model))

    def ohms(size):
        return rng.uniform(100.0, 10_000.0, size)

    parents = (rng.random(n_nodes) * np.arange(n_nodes)).astype(np.int64)
    for k, (node, r) in enumerate(zip(nodes, ohms(n_nodes))):
        add(RESISTOR, node, "0" if k == 0 else nodes[parents[k]], float(r))
    pairs = rng.integers(0, n_nodes, (n_nodes, 2))
    for (a, b), r in zip(pairs, ohms(n_nodes)):
        if a != b:
            add(RESISTOR, nodes[a], nodes[b], float(r))
    for k, r in zip(rng.choice(n_nodes, max(1, n_nodes // 50), replace=False), ohms(n_nodes)):
        add(RESISTOR, nodes[k], "0", float(r))
    n_sources = max(2, n_nodes // 100)
    sources = [f"s{k}" for k in range(n_sources)]
    source_v = {"0": 0.0}
    for s in sources:
        source_v[s] = float(rng.uniform(-5.0, 5.0))
        add(VOLTAGE_SOURCE, s, "0", source_v[s])
        for k, r in zip(rng.integers(0, n_nodes, 3), ohms(3)):
            add(RESISTOR, s, nodes[k], float(r))
    for k, amps in zip(rng.integers(0, n_nodes, max(1, n_nodes // 100)),
                       rng.uniform(-1e-3, 1e-3, max(1, n_nodes // 100))):
        add(CURRENT_SOURCE, "0", nodes[k], float(amps))
    # Ideal diodes from free nodes to fixed nodes, keeping each node's interval non-empty.
    lo, hi = np.full(n_nodes, -np.inf), np.full(n_nodes, np.inf)
    pool = ["0", *sources]
    n_diodes = max(2, n_nodes // 50)
    for k, s, forward in zip(rng.integers(0, n_nodes, n_diodes), rng.integers(0, len(pool), n_diodes),
                             rng.random(n_diodes) < 0.5):
        value = source_v[pool[s]]
        if forward and lo[k] <= value:      # anode at the node: v_node <= v_source
            hi[k] = min(hi[k], value)
            add(DIODE, nodes[k], pool[s], model="dideal")
        elif not forward and value <= hi[k]:  # cathode at the node: v_node >= v_source
            lo[k] = max(lo[k], value)
            add(DIODE, pool[s], nodes[k], model="dideal")
    # Ideal diodes between free nodes that have no diode to a fixed node (always feasible).
    unbound = np.flatnonzero(np.isinf(lo) & np.isinf(hi))
    if len(unbound) >= 2:
        for a, b in rng.choice(unbound, (max(1, n_nodes // 50), 2)):
            if a != b:
                add(DIODE, nodes[a], nodes[b], model="dideal")
    return circuit


def layered_case(spec: str, batch: int, seed: int) -> tuple[Circuit, np.ndarray, list[int]]:
    """(circuit, inputs (batch, features) in [0, 1], layer sizes with mirrored inputs)."""
    sizes = [int(s) for s in spec.split("-")]
    gain = DRN_GAINS.get(tuple(sizes), 1.0)
    circuit = build_drn(sizes[0], sizes[1:-1], sizes[-1], gain=gain, seed=seed)
    x = np.random.default_rng(seed + 1).random((batch, sizes[0]))
    return circuit, x, [2 * sizes[0], *sizes[1:]]


# ---------------------------------------------------------------- solvers

def _cold_solve(compiled, values, inputs):
    """A cd solve that reuses nothing from the previous one: an edit of the values (of no
    conductance) drops the cached weight sums and input projection (which training phases share)."""
    values.set_conductances(values.conductance[:0], slice(0, 0))
    return solve(compiled, inputs, solver="cd", values=values)


def run_cd(circuit: Circuit, inputs, repeats: int, budget: float) -> dict:
    start = time.perf_counter()
    compiled = circuit.compile()
    values = compiled.values()
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    first = solve(compiled, inputs, solver="cd", values=values)
    first_s = time.perf_counter() - start
    repeats = min(repeats, int(budget / max(first_s, 1e-9)))
    if repeats >= 1:
        median, solution = median_time(lambda: _cold_solve(compiled, values, inputs), repeats)
    else:  # too slow to repeat within the budget: the JIT is already warm, keep the first call
        median, solution, repeats = first_s, first, 1
    plan = getattr(compiled, "layer_plan", None)
    path = "layered (matrix products)" if plan is not None and plan() is not None else "sparse kernel"
    return {"path": path, "compile_s": compile_s, "first_call_s": first_s, "median_s": median, "repeats": repeats,
            "sweeps": int(solution.sweeps), "residual_A": float(solution.residual),
            "per_sweep_s": median / solution.sweeps if solution.sweeps else None,
            "fallback": solution.info.get("fallback"), "nodes": solution.nodes,
            "voltages": solution.voltages}


def _qp_child(circuit, inputs, repeats, limit, connection):
    try:
        start = time.perf_counter()
        solution = solve(circuit, inputs, solver="qp")
        times = [time.perf_counter() - start]
        while len(times) < repeats and sum(times) + times[0] <= limit:
            start = time.perf_counter()
            solution = solve(circuit, inputs, solver="qp")
            times.append(time.perf_counter() - start)
        connection.send({"times": times, "nodes": solution.nodes, "voltages": solution.voltages,
                         "residual_A": float(solution.residual)})
    except BaseException as error:  # report anything to the parent
        connection.send({"error": f"{type(error).__name__}: {error}"})
    finally:
        connection.close()


def run_qp(circuit: Circuit, inputs, repeats: int, limit: float) -> dict:
    """Median time of the qp solver in a forked child, killed after `limit` (first solve) + `limit`."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_qp_child, args=(circuit, inputs, repeats, limit, child))
    process.start()
    child.close()
    result = None
    if parent.poll(2 * limit):
        try:
            result = parent.recv()
        except EOFError:
            result = None
    if process.is_alive():
        process.kill()
    process.join()
    if result is None:
        return {"status": f"no result within {2 * limit:g} s (killed)" if process.exitcode in (None, -9)
                else f"child died (exit {process.exitcode})"}
    if "error" in result:
        return {"status": result["error"]}
    times = result.pop("times")
    if times[0] > limit:
        result["status"] = f"slow: first solve {times[0]:.1f} s > {limit:g} s"
    return {"status": result.pop("status", "ok"), "median_s": float(np.median(times)),
            "repeats": len(times), **result}


def _read_ascii_raw(text: str) -> dict[str, float]:
    lines = text.splitlines()
    start = lines.index("Variables:") + 1
    count = int(next(line for line in lines if line.startswith("No. Variables:")).split(":")[1])
    names = [lines[start + k].split()[1] for k in range(count)]
    values = " ".join(lines[lines.index("Values:") + 1:]).split()[1:]
    return {name[2:-1]: float(value) for name, value in zip(names, values)
            if name.startswith("v(") and name.endswith(")")}


def _set_sources(circuit: Circuit, values: dict[str, float]) -> dict[str, float]:
    old = {}
    for name, value in values.items():
        element = circuit.elements[name]
        old[name] = element.value
        element.value = float(value)
    return old


def run_spice(circuit: Circuit, inputs, repeats: int, limit: float, nodes: list[str]) -> dict:
    """Wall time of `ngspice -b` on each example's netlist (summed over the batch), median of repeats."""
    if NGSPICE is None:
        return {"status": "ngspice not installed"}
    conditions = make_conditions(circuit, inputs)
    texts = []
    for b in range(conditions.batch):
        old = _set_sources(circuit, {n: v[b] for n, v in conditions.sources.items()})
        texts.append(write_netlist(circuit))
        _set_sources(circuit, old)
    env = dict(os.environ, SPICE_ASCIIRAWFILE="1")
    voltages = np.full((conditions.batch, len(nodes)), np.nan)
    times = []
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for b, text in enumerate(texts):
            paths.append(os.path.join(folder, f"c{b}.cir"))
            Path(paths[-1]).write_text(text)
        for repeat in range(repeats):
            total = 0.0
            for b, path in enumerate(paths):
                raw = os.path.join(folder, f"c{b}.raw")
                start = time.perf_counter()
                try:
                    done = subprocess.run([NGSPICE, "-b", "-r", raw, path], cwd=folder, env=env,
                                          capture_output=True, text=True, timeout=max(1.0, limit - total))
                except subprocess.TimeoutExpired:
                    return {"status": f"timeout: > {limit:g} s"}
                total += time.perf_counter() - start
                log = done.stdout + done.stderr
                errors = [line for line in log.splitlines() if line.lower().startswith("error")]
                if done.returncode != 0 or errors or not os.path.exists(raw):
                    tail = "; ".join((errors or log.strip().splitlines() or ["?"])[-3:])
                    return {"status": f"ngspice failed (exit {done.returncode}): {tail[:300]}"}
                if repeat == 0:
                    values = _read_ascii_raw(Path(raw).read_text())
                    voltages[b] = [values.get(n, np.nan) for n in nodes]
                os.remove(raw)
            times.append(total)
            if sum(times) + total > limit:
                break
    return {"status": "ok", "median_s": float(np.median(times)), "repeats": len(times),
            "nodes": nodes, "voltages": voltages}


def matmul_time(sizes: list[int], batch: int, seed: int) -> float:
    """Seconds of the dense products of one naive sweep (see MATMUL_NOTE)."""
    rng = np.random.default_rng(seed)
    weights = [rng.random((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    states = [rng.random((batch, s)) for s in sizes]

    def sweep():
        for layer, w in enumerate(weights):
            states[layer] @ w
            if layer + 1 < len(weights):
                states[layer + 2] @ weights[layer + 1].T

    return loop_time(sweep)


def max_dv(a: dict, b: dict) -> float | None:
    if "voltages" not in b:
        return None
    index = {n: k for k, n in enumerate(b["nodes"])}
    common = [(k, index[n]) for k, n in enumerate(a["nodes"]) if n in index]
    if not common:
        return None
    ka, kb = map(list, zip(*common))
    diff = np.abs(a["voltages"][:, ka] - b["voltages"][:, kb])
    return float(np.nanmax(diff)) if np.isfinite(diff).any() else None


# ---------------------------------------------------------------- driver

def bench_case(name: str, kind: str, circuit: Circuit, inputs, batch: int, args, skip: dict,
               sizes: list[int] | None = None, single: dict | None = None) -> dict:
    """One row; `single`: the same circuit's batch-1 row, whose times predict this batch's."""
    elements = len(circuit.elements)
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {len(circuit.nodes)} nodes, {elements} elements, "
          f"batch {batch}", flush=True)
    row = {"case": name, "kind": kind, "nodes": len(circuit.nodes), "elements": elements,
           "resistors": sum(1 for _ in circuit.of_kind("R")), "diodes": sum(1 for _ in circuit.of_kind("D")),
           "voltage_sources": sum(1 for _ in circuit.of_kind("V")),
           "current_sources": sum(1 for _ in circuit.of_kind("I")), "batch": batch}
    try:
        cd = run_cd(circuit, inputs, args.repeats, args.cd_budget)
    except Exception as error:
        cd = {"error": f"{type(error).__name__}: {error}"}
        traceback.print_exc()
    row["cd"] = {k: v for k, v in cd.items() if k not in ("nodes", "voltages")}
    for solver in ("qp", "spice"):
        # skip when a smaller case of the same family already ran out of time
        predicted = skip.get((kind, batch > 1, solver))
        if predicted is not None and predicted * elements > args.limit:
            row[solver] = {"status": f"skipped: extrapolated from a smaller case to "
                                     f"~{predicted * elements:.0f} s > {args.limit:g} s"}
            continue
        if single is not None:
            one = single[solver].get("median_s")
            if one is None or one * batch > args.limit:
                row[solver] = {"status": "skipped: " + (f"{batch} x the batch-1 time ~{one * batch:.0f} s "
                                                        f"> {args.limit:g} s" if one is not None
                                                        else "no batch-1 result")}
                continue
        if "voltages" not in cd:
            row[solver] = {"status": "skipped: cd failed"}
            continue
        result = (run_qp(circuit, inputs, args.repeats, args.limit) if solver == "qp"
                  else run_spice(circuit, inputs, args.repeats, args.limit, cd["nodes"]))
        result["max_abs_dv_vs_cd"] = max_dv(cd, result)
        if "median_s" in result:
            # seconds per element, scaled superlinearly to be safe
            skip[(kind, batch > 1, solver)] = 1.5 * result["median_s"] / elements
        else:
            skip[(kind, batch > 1, solver)] = np.inf
        row[solver] = {k: v for k, v in result.items() if k not in ("nodes", "voltages")}
    if sizes is not None:
        row["layer_sizes"] = sizes
        row["matmul_per_sweep_s"] = matmul_time(sizes, batch, args.seed)
        per_sweep = row["cd"].get("per_sweep_s")
        row["cd_sweep_over_matmul"] = per_sweep / row["matmul_per_sweep_s"] if per_sweep else None
    cd_s = row["cd"].get("median_s")
    for solver in ("qp", "spice"):
        other = row[solver].get("median_s")
        row[f"{solver}_over_cd"] = other / cd_s if other and cd_s else None
    print(f"    cd {fmt_seconds(cd_s)} ({row['cd'].get('sweeps')} sweeps)  "
          f"qp {fmt_seconds(row['qp'].get('median_s'))} [{row['qp'].get('status')}]  "
          f"ngspice {fmt_seconds(row['spice'].get('median_s'))} [{row['spice'].get('status')}]", flush=True)
    return row


def _dv(value) -> str:
    return "-" if value is None else f"{value:.1e}"


def table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    header = ["case", "nodes", "elements", "batch", "compile", "cd", "sweeps", "qp", "qp/cd",
              "|dv| qp", "ngspice", "ngspice/cd", "|dv| ngspice", "matmul/sweep", "cd-sweep/matmul"]
    body = []
    for r in rows:
        cd = r["cd"]
        cd_s = cd.get("median_s")
        cd_cell = fmt_seconds(cd_s) if cd_s else "FAILED"
        if cd.get("fallback"):
            cd_cell += " (qp fallback)"
        merit = r.get("cd_sweep_over_matmul")
        body.append([
            r["case"], r["nodes"], r["elements"], r["batch"], fmt_seconds(cd.get("compile_s")), cd_cell,
            cd.get("sweeps", "-"),
            fmt_seconds(r["qp"].get("median_s")) if "median_s" in r["qp"] else "n/a",
            fmt_ratio(r["qp"].get("median_s"), cd_s), _dv(r["qp"].get("max_abs_dv_vs_cd")),
            fmt_seconds(r["spice"].get("median_s")) if "median_s" in r["spice"] else "n/a",
            fmt_ratio(r["spice"].get("median_s"), cd_s), _dv(r["spice"].get("max_abs_dv_vs_cd")),
            fmt_seconds(r.get("matmul_per_sweep_s")), "-" if merit is None else f"{merit:.3g}",
        ])
    return header, body


def notes(rows: list[dict], args) -> list[str]:
    lines = [
        "cd: median of up to --repeats solves of the compiled circuit (tolerance mode, "
        "tol=1e-9 relative); 'compile' is circuit.compile(), not included in cd. Batch rows: "
        "time for the whole batch. Each timed solve starts cold: the conductances are touched "
        "first, so nothing cached by the previous solve (weight sums, input projection) is reused.",
        "sparse rows: coordinate descent to 1e-4 relative, then the exact active-set polish "
        "(sparse Laplacian solve), hence |dv| against qp at rounding level.",
        "cd path: sparse rows use the numba sparse kernel; drn rows use the path solve() picks "
        "(see each row's cd.path); the cd time is the whole solve() call (set-up and the sparse KKT "
        "certification included), so cd-sweep/matmul is an upper bound on the sweeps' own cost.",
        QP_NOTE, SPICE_NOTE, FILL_NOTE, MATMUL_NOTE,
        f"'n/a': not run or not finished within --limit {args.limit:g} s (see the JSON for why).",
    ]
    for r in rows:
        for solver in ("qp", "spice"):
            status = r[solver].get("status", "")
            if status and status != "ok":
                lines.append(f"{r['case']} (batch {r['batch']}) {solver}: {status}")
        if "error" in r["cd"]:
            lines.append(f"{r['case']} (batch {r['batch']}) cd: {r['cd']['error']}")
        if r["cd"].get("fallback"):
            lines.append(f"{r['case']} (batch {r['batch']}) cd: {r['cd']['fallback']}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000",
                        help="comma-separated node counts of the random sparse circuits ('' for none)")
    parser.add_argument("--layered", default="64-32-10,784-100-10,784-1024-10",
                        help="comma-separated DRN shapes FEATURES-HIDDEN...-CLASSES ('' for none)")
    parser.add_argument("--batch", type=int, default=64, help="batch size of the batched layered rows")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds allowed to one qp / ngspice solve")
    parser.add_argument("--cd-budget", type=float, default=30.0,
                        help="seconds the timed cd repeats of one case may take (fewer repeats if slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a tiny smoke-test run")
    parser.add_argument("--out", default=str(RESULTS / "bench_solver.json"))
    parser.add_argument("--markdown", default=None,
                        help="also write the table as markdown here (default: next to --out, unless --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.layered, args.batch, args.repeats, args.limit = "100", "8-6-3", 4, 1, 20.0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    layered = [s.strip() for s in args.layered.split(",") if s.strip()]

    started = time.perf_counter()
    # warm the numba JIT (kernels are cached on disk, the first call loads them)
    solve(sparse_circuit(20, 12345).compile(), solver="cd")
    rows: list[dict] = []
    skip: dict = {}
    for n in sizes:
        rows.append(bench_case(f"sparse {n}", "sparse", sparse_circuit(n, args.seed + n), None, 1, args, skip))
    for spec in layered:
        circuit, x, layer_sizes = layered_case(spec, args.batch, args.seed)
        rows.append(bench_case(f"drn {spec}", "layered", circuit, x[:1], 1, args, skip, layer_sizes))
        if args.batch > 1:
            rows.append(bench_case(f"drn {spec}", "layered", circuit, x, args.batch, args, skip,
                                   layer_sizes, single=rows[-1]))

    header, body = table(rows)
    print()
    print(text_table(header, body))
    note_lines = notes(rows, args)
    print()
    for line in note_lines:
        print("- " + line)
    info = machine()
    info["numba_threads"] = numba_threads()
    payload = {
        "benchmark": "solver speed: cd vs qp vs ngspice",
        "command": " ".join(["python scripts/bench_solver.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": info,
        "versions": versions("numpy", "numba", "cvxpy", "clarabel", "scipy", "circuitnet"),
        "git": git_state(),
        "settings": {"sizes": sizes, "layered": layered, "batch": args.batch, "repeats": args.repeats,
                     "limit_s": args.limit, "seed": args.seed, "quick": args.quick, "tol": 1e-9},
        "notes": note_lines,
        "rows": rows,
        "total_seconds": time.perf_counter() - started,
    }
    out = write_json(args.out, payload)
    print(f"\nwrote {out}")
    markdown = args.markdown or (None if args.quick else str(Path(args.out).with_suffix(".md")))
    if markdown:
        text = ["# Solver benchmark", "",
                f"Machine: {info['cpu']}, {info['cores']} cores ({info['numba_threads']} numba threads), "
                f"{info['memory_gb']} GB; " + ", ".join(f"{k} {v}" for k, v in payload["versions"].items()),
                "", f"Command: `{payload['command']}` ({payload['date']}, "
                    f"{payload['total_seconds']:.0f} s in all)", "",
                markdown_table(header, body), "", *("- " + line for line in note_lines), ""]
        Path(markdown).write_text("\n".join(text))
        print(f"wrote {markdown}")


if __name__ == "__main__":
    main()

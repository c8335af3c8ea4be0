"""Solver speed benchmark: `cd` and `newton` against `qp` (cvxpy + Clarabel) and `ngspice -b`, side by side.

Two case families (`--cases cd,newton`).

cd (ideal diodes, the training networks):

- random sparse circuits of `--sizes` nodes: a random recursive spanning tree of resistors
  plus as many random extra resistors (average degree ~4), voltage sources each wired to a
  few nodes, leak resistors to ground at 2 % of the nodes, current sources, ideal diodes
  from free nodes to source nodes / ground and between free nodes (kept feasible);
- layered networks (`build_drn`, `--layered` as FEATURES-HIDDEN[-HIDDEN...]-CLASSES; each
  feature drives two sources, so 784-100-10 has 1568 input nodes), random inputs in
  [0, 1], solved for one input and for a batch of `--batch` inputs.

newton (Shockley diodes and controlled sources, solved by solver="newton" and "auto"):

- the diode ladder (`--ladder` stages, 300): a 10 V source, 100 ohm in series per stage, and at
  each stage node a 1N4148-like diode (IS=2.52n N=1.752 RS=0.568) and 10 kohm to ground;
- random Shockley grid circuits (`--grid` nodes, 1k, 10k, 100k), the topology of a layout or
  a mesh: nodes on a 2-D grid, ceil(sqrt(n)) a row, each joined to its right and lower
  neighbour, plus n/10 random links to nodes at most 3 rows and columns away; every edge a
  resistor of 100 ohm..100 kohm (log-uniform); Shockley diodes on n/10 random edges and from
  n/10 nodes to ground, either way round, drawn from 16 random models (IS 1e-15..1e-9 A,
  N 1..2, half with RS 0.1..20 ohm, a quarter with breakdown BV 3..12 V); about sqrt(n)/4
  voltage sources of -5..5 V, each through 100 ohm..10 kohm to both ends of two random edges;
  n/100 current sources of 1 uA..1 mA either way; 1 kohm..1 Mohm leaks to ground at n/50
  nodes. The grid connects every node and the sources and leaks reach ground, so every node
  has a DC path to ground;
- random Shockley expander circuits (`--expander` nodes, 1k): the same elements without
  breakdown (so that qp, which does not model it, can run) on a random recursive tree plus n
  random pairs. Random graphs are expanders: any elimination order fills in, so direct sparse
  LU (SuperLU in newton, ngspice's, Clarabel's LDL) grows steeply with size there;
- op-amp chains (`--opamp` nodes, 1k): chains of 10 inverting amplifiers from a -1..1 V
  source, each an op-amp macromodel (a VCVS of gain 1e5 from its minus input to its output)
  with R_in 1..10 kohm, R_f 0.5..3 R_in, two antiparallel 1N4148-like diodes across R_f (a
  soft limiter) and a 1..10 kohm load;
- the same chains with each op-amp in Norton form (`--vccs` nodes, 1k): a VCCS (G) of 1 mS
  from its minus input into a 100 Mohm output resistance.

Per case: the solver under test (`cd`, or `newton` and `auto`) is compiled once
(`circuit.compile()`, timed apart), warmed up (numba JIT; the solvers' imports happen before
any case), then timed as the median of `--repeats` solves (fewer where they would take over
`--cd-budget` / `--newton-budget` seconds); newton and auto run in a child process stopped
after `--newton-limit` seconds, and one more newton solve runs under cProfile to split its
time into the factorisations (SuperLU's `splu` or the numba refactorisation), assembly, the
junction law and limiting. `qp` runs in a child
process and only where one solve finishes within `--limit` seconds. ngspice runs
`ngspice -b` (`.op`) on the netlist that `write_netlist` writes, wall time of the
subprocess (netlist parsing included), within `--limit` seconds. Before a case, the time of
qp (and in the cd family of ngspice) is extrapolated from the smaller case of the same kind,
and the solver skipped where that predicts over `--limit`. For the newton family ngspice's
process start (`ngspice -b` on a one-resistor deck) is measured too and subtracted
(ngspice's own time). Agreement: the largest |v_solver - v_other| over nodes.
For layered cases, the bare matrix products of one sweep (numpy float64, same shapes) are
timed, and the ratio (cd seconds per sweep) / (matmul seconds) printed.

    python scripts/bench_solver.py [--cases cd,newton] [--sizes 100,1000,10000,100000]
        [--layered 64-32-10,...] [--batch 64] [--ladder 300] [--grid 1000,10000,100000]
        [--expander 1000] [--opamp 1000] [--vccs 1000] [--repeats 5] [--limit 60] [--newton-limit 300]
        [--quick] [--out scripts/results/bench_solver.json] [--markdown scripts/results/bench_solver.md]
"""
from __future__ import annotations

import argparse
import cProfile
import functools
import math
import multiprocessing
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchutil import (RESULTS, fmt_ratio, fmt_seconds, git_state, loop_time, machine,  # noqa: E402
                       markdown_table, median_time, numba_threads, text_table, versions, write_json)

from circuitnet import Circuit, DiodeModel, Element  # noqa: E402
from circuitnet.compile.conditions import make_conditions  # noqa: E402
from circuitnet.compile.tables import CompiledCircuit  # noqa: E402
from circuitnet.model.elements import CURRENT_SOURCE, DIODE, RESISTOR, VCCS, VCVS, VOLTAGE_SOURCE  # noqa: E402
from circuitnet.model.networks import build_drn  # noqa: E402
from circuitnet.netlist import write_netlist  # noqa: E402
from circuitnet.solvers import solve  # noqa: E402
from circuitnet.solvers.solution import Solution  # noqa: E402

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

def element_adder(circuit: Circuit):
    """add(kind, a, b, value=None, model=None, extra=()) adding to `circuit` an element named by
    its letter and a running number; `extra`: the pins after the first two (a VCVS's control)."""
    counter = iter(range(10**9))

    def add(kind, a, b, value=None, model=None, extra=()):
        circuit.add(Element(f"{kind.letter.lower()}{next(counter)}", kind, (a, b, *extra), value, model))

    return add


def sparse_circuit(n_nodes: int, seed: int) -> Circuit:
    """A random sparse resistive network with sources and ideal diodes (see the module docstring)."""
    rng = np.random.default_rng(seed)
    circuit = Circuit(title=f"random sparse circuit {n_nodes} nodes seed {seed}")
    circuit.add_model(DiodeModel("dideal", ideal=True, vf=0.0))
    nodes = [f"n{k}" for k in range(n_nodes)]
    add = element_adder(circuit)

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


#: the 1N4148-like diode of the ladder and of the op-amp clamps (IS amperes, N, RS ohms)
D1N4148 = {"is": 2.52e-9, "n": 1.752, "rs": 0.568}


def ladder_circuit(stages: int) -> Circuit:
    """The diode ladder: a 10 V source, then per stage 100 ohm in series to the next stage node,
    which has a 1N4148-like diode (with RS) and 10 kohm to ground."""
    circuit = Circuit(title=f"diode ladder {stages} stages")
    circuit.add_model(DiodeModel("d1n4148", params=dict(D1N4148)))
    add = element_adder(circuit)
    add(VOLTAGE_SOURCE, "n0", "0", 10.0)
    for k in range(1, stages + 1):
        add(RESISTOR, f"n{k - 1}", f"n{k}", 100.0)
        add(DIODE, f"n{k}", "0", model="d1n4148")
        add(RESISTOR, f"n{k}", "0", 10_000.0)
    return circuit


def grid_edges(n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    """(edges, 2) node indices: a 2-D grid, ceil(sqrt(n)) nodes a row, filled row by row, each
    node joined to its right and lower neighbour, plus n/10 random links to a node at most 3
    rows and 3 columns away."""
    side = math.isqrt(n_nodes - 1) + 1
    k = np.arange(n_nodes)
    right = k[(k % side < side - 1) & (k + 1 < n_nodes)]
    down = k[k + side < n_nodes]
    start = rng.integers(0, n_nodes, n_nodes // 10)
    row, col = start // side + rng.integers(-3, 4, len(start)), start % side + rng.integers(-3, 4, len(start))
    end = row * side + col
    ok = (row >= 0) & (col >= 0) & (col < side) & (end < n_nodes) & (end != start)
    return np.concatenate([np.stack([right, right + 1], 1), np.stack([down, down + side], 1),
                           np.stack([start[ok], end[ok]], 1)])


def expander_edges(n_nodes: int, rng: np.random.Generator) -> np.ndarray:
    """(edges, 2) node indices: a random recursive tree (node k joined to a uniform earlier
    node) plus n random pairs: average degree ~4, no locality (an expander)."""
    k = np.arange(1, n_nodes)
    tree = np.stack([k, (rng.random(n_nodes - 1) * k).astype(np.int64)], 1)
    pairs = rng.integers(0, n_nodes, (n_nodes, 2))
    return np.concatenate([tree, pairs[pairs[:, 0] != pairs[:, 1]]])


TOPOLOGIES = {"grid": grid_edges, "expander": expander_edges}


def shockley_circuit(n_nodes: int, seed: int, topology: str = "grid", breakdown: bool = True) -> Circuit:
    """A random Shockley-diode network of `n_nodes` nodes on `topology` (see the module docstring):
    every edge a resistor (100 ohm..100 kohm, log-uniform); diodes on n/10 random edges and from
    n/10 nodes to ground, either way round, of 16 random models (IS 1e-15..1e-9 A, N 1..2, half
    with RS 0.1..20 ohm, a quarter with BV 3..12 V when `breakdown`); about sqrt(n)/4 voltage
    sources of -5..5 V, each through 100 ohm..10 kohm to both ends of two random edges; n/100
    current sources of 1 uA..1 mA either way into random nodes; leak resistors of 1 kohm..1 Mohm
    to ground at n/50 nodes. The edges connect every node, the sources and leaks reach ground."""
    rng = np.random.default_rng(seed)
    circuit = Circuit(title=f"random Shockley {topology} {n_nodes} nodes seed {seed}")
    add = element_adder(circuit)
    nodes = np.array([f"n{k}" for k in range(n_nodes)])
    edges = TOPOLOGIES[topology](n_nodes, rng)
    for (a, b), ohms in zip(nodes[edges], 10 ** rng.uniform(2, 5, len(edges))):
        add(RESISTOR, a, b, float(ohms))
    models = [f"dm{k}" for k in range(16)]
    for name in models:
        params = {"is": float(10 ** rng.uniform(-15, -9)), "n": float(rng.uniform(1, 2))}
        if rng.random() < 0.5:
            params["rs"] = float(rng.uniform(0.1, 20))
        if breakdown and rng.random() < 0.25:
            params["bv"] = float(rng.uniform(3, 12))
        circuit.add_model(DiodeModel(name, params=params))
    on_edges = nodes[edges[rng.choice(len(edges), n_nodes // 10, replace=False)]]
    to_ground = np.stack([nodes[rng.choice(n_nodes, n_nodes // 10, replace=False)],
                          np.full(n_nodes // 10, "0")], 1)
    pins = np.concatenate([on_edges, to_ground])
    reverse = rng.random(len(pins)) < 0.5
    pins[reverse] = pins[reverse, ::-1]
    for (a, b), model in zip(pins, rng.choice(models, len(pins))):
        add(DIODE, str(a), str(b), model=str(model))
    for k in range(max(3, math.isqrt(n_nodes) // 4)):
        add(VOLTAGE_SOURCE, f"s{k}", "0", float(rng.uniform(-5, 5)))
        for node, ohms in zip(nodes[edges[rng.integers(0, len(edges), 2)]].ravel(), 10 ** rng.uniform(2, 4, 4)):
            add(RESISTOR, f"s{k}", str(node), float(ohms))
    n_currents = max(1, n_nodes // 100)
    amps = rng.choice([-1.0, 1.0], n_currents) * 10 ** rng.uniform(-6, -3, n_currents)
    for node, value in zip(rng.choice(nodes, n_currents), amps):
        add(CURRENT_SOURCE, "0", str(node), float(value))
    n_leaks = max(1, n_nodes // 50)
    for node, ohms in zip(rng.choice(nodes, n_leaks, replace=False), 10 ** rng.uniform(3, 6, n_leaks)):
        add(RESISTOR, str(node), "0", float(ohms))
    return circuit


#: open-loop gain of the op-amp macromodels, V/V (a VCVS; for the VCCS form, gm * R_o)
OPAMP_GAIN = 1e5
#: transconductance of the VCCS form of the op-amp macromodel, siemens
OPAMP_GM = 1e-3


def opamp_circuit(n_nodes: int, seed: int, amplifier: str = "vcvs", stages: int = 10) -> Circuit:
    """Chains of `stages` inverting amplifiers, about `n_nodes` nodes in all. Each chain starts
    at a -1..1 V source; each stage is an op-amp macromodel of open-loop gain 1e5 from its minus
    input to its output (plus input grounded): a VCVS (`amplifier="vcvs"`), or a VCCS of 1 mS
    into a 100 Mohm output resistance (`"vccs"`, its Norton form); with R_in (1..10 kohm) from
    the previous output, R_f = gain * R_in (gain 0.5..3) in feedback, two antiparallel
    1N4148-like diodes across R_f (a soft limiter, about +-0.6 V) and a 1..10 kohm load."""
    rng = np.random.default_rng(seed)
    circuit = Circuit(title=f"op-amp ({amplifier}) chains {n_nodes} nodes seed {seed}")
    circuit.add_model(DiodeModel("dclamp", params=dict(D1N4148)))
    add = element_adder(circuit)
    for c in range(max(1, n_nodes // (2 * stages + 1))):
        previous = f"in{c}"
        add(VOLTAGE_SOURCE, previous, "0", float(rng.uniform(-1, 1)))
        for k in range(stages):
            minus, out = f"c{c}m{k}", f"c{c}o{k}"
            r_in = float(10 ** rng.uniform(3, 4))
            add(RESISTOR, previous, minus, r_in)
            add(RESISTOR, minus, out, r_in * float(10 ** rng.uniform(-0.3, 0.5)))
            if amplifier == "vcvs":
                add(VCVS, out, "0", OPAMP_GAIN, extra=("0", minus))
            else:  # OPAMP_GM * v(minus) flows from out through the source to ground
                add(VCCS, out, "0", OPAMP_GM, extra=(minus, "0"))
                add(RESISTOR, out, "0", OPAMP_GAIN / OPAMP_GM)
            add(DIODE, out, minus, model="dclamp")
            add(DIODE, minus, out, model="dclamp")
            add(RESISTOR, out, "0", float(10 ** rng.uniform(3, 4)))
            previous = out
    return circuit


# ---------------------------------------------------------------- solvers

def _cold_solve(compiled, values, inputs):
    """A cd solve that reuses nothing from the previous one: an edit of the values (of no
    conductance) drops the cached weight sums and input projection (which training phases share)."""
    values.set_conductances(values.conductance[:0], slice(0, 0))
    return solve(compiled, inputs, solver="cd", values=values)


def run_compiled(circuit: Circuit, prepare: Callable[[CompiledCircuit], Callable[[], Solution]], repeats: int,
                 budget: float) -> tuple[dict, CompiledCircuit, Solution]:
    """Compile `circuit` and build the solve call `prepare(compiled)` (compile_s, seconds), call it
    once to warm up (first_call_s), then time the median of up to `repeats` more calls, fewer
    where they would take over `budget` seconds (none: the warm-up's time stands).
    Returns (the timings with the last solution's nodes, voltages and residual, compiled, solution)."""
    start = time.perf_counter()
    compiled = circuit.compile()
    once = prepare(compiled)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    first = once()
    first_s = time.perf_counter() - start
    repeats = min(repeats, int(budget / max(first_s, 1e-9)))
    if repeats >= 1:
        median, solution = median_time(once, repeats)
    else:  # too slow to repeat within the budget: the first call was already warm (JIT, imports)
        median, solution, repeats = first_s, first, 1
    return ({"compile_s": compile_s, "first_call_s": first_s, "median_s": median, "repeats": repeats,
             "residual_A": float(solution.residual), "nodes": solution.nodes, "voltages": solution.voltages},
            compiled, solution)


def run_cd(circuit: Circuit, inputs, repeats: int, budget: float) -> dict:
    """The cd solver's timings (`run_compiled`), each timed solve cold (`_cold_solve`)."""
    timing, compiled, solution = run_compiled(
        circuit, lambda cc: functools.partial(_cold_solve, cc, cc.values(), inputs), repeats, budget)
    plan = getattr(compiled, "layer_plan", None)
    path = "layered (matrix products)" if plan is not None and plan() is not None else "sparse kernel"
    return {"path": path, **timing, "sweeps": int(solution.sweeps),
            "per_sweep_s": timing["median_s"] / solution.sweeps if solution.sweeps else None,
            "fallback": solution.info.get("fallback")}


#: where a newton solve spends its time: category -> the profiled functions (by name) it sums
NEWTON_PROFILE = {
    "lu": ("factor",),  # PatternLU.factor: SuperLU's factorisation, or the numba one on kept pivots
    "triangular": ("<method 'solve' of", "triangular_solve"),  # the triangular solves with the factors
    "assembly": ("assemble", "_rhs"),  # the Jacobian (summed into its fixed pattern) and right-hand side
    "law": ("_law",),  # the junction currents and slopes
    "limiting": ("limit_junctions",),  # pnjlim
}


def newton_profile(call: Callable[[], object]) -> dict[str, float]:
    """Seconds of one `call` (a newton solve) under cProfile, by NEWTON_PROFILE category (each
    the cumulative time of its functions), plus "total" and "other" (the rest: the iteration's
    own array work, the final currents and residual). cProfile adds a few percent."""
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(call)
    total = time.perf_counter() - start
    stats = pstats.Stats(profiler).stats  # (file, line, function) -> (calls, ..., tottime, cumtime, callers)
    seconds = {category: sum(entry[3] for (_, _, function), entry in stats.items()
                             if any(function == name or (name.startswith("<") and function.startswith(name))
                                    for name in names))
               for category, names in NEWTON_PROFILE.items()}
    return {**seconds, "other": total - sum(seconds.values()), "total": total}


def run_newton(circuit: Circuit, solver: str, repeats: int, budget: float, profile: bool) -> dict:
    """Timings of solve(compiled, solver=solver) (`run_compiled`): Newton iterations, the strategy
    and method that ran, and with `profile` where one more solve spends its time (`newton_profile`)."""
    timing, compiled, solution = run_compiled(
        circuit, lambda cc: functools.partial(solve, cc, solver=solver), repeats, budget)
    result = {**timing, "iterations": int(solution.sweeps), "strategy": solution.info.get("strategy"),
              "method": solution.info.get("method", solver)}
    if profile:
        result["profile_s"] = newton_profile(lambda: solve(compiled, solver=solver))
    return result


def _child(task: Callable[[], dict], connection) -> None:
    try:
        connection.send(task())
    except BaseException as error:  # report anything to the parent
        connection.send({"error": f"{type(error).__name__}: {error}"})
    finally:
        connection.close()


def in_child(task: Callable[[], dict], timeout: float) -> dict:
    """task() in a forked child process, killed after `timeout` seconds: its dict, else
    {"status": why there is none} (the child's exception, killed, died)."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(task, child))
    process.start()
    child.close()
    result = None
    if parent.poll(timeout):
        try:
            result = parent.recv()
        except EOFError:
            result = None
    if process.is_alive():
        process.kill()
    process.join()
    if result is None and process.exitcode in (None, -9):
        return {"status": f"timeout: > {timeout:g} s (killed)", "timeout_s": timeout}
    if result is None:
        return {"status": f"child died (exit {process.exitcode})"}
    if "error" in result:
        return {"status": result["error"]}
    return result


def _qp_task(circuit, inputs, repeats: int, limit: float) -> dict:
    """qp solves of `circuit` while the next is likely to end within `limit` seconds in all."""
    start = time.perf_counter()
    solution = solve(circuit, inputs, solver="qp")
    times = [time.perf_counter() - start]
    while len(times) < repeats and sum(times) + times[0] <= limit:
        start = time.perf_counter()
        solution = solve(circuit, inputs, solver="qp")
        times.append(time.perf_counter() - start)
    return {"times": times, "nodes": solution.nodes, "voltages": solution.voltages,
            "residual_A": float(solution.residual)}


def run_qp(circuit: Circuit, inputs, repeats: int, limit: float) -> dict:
    """Median time of the qp solver in a forked child, killed after `limit` (first solve) + `limit`."""
    result = in_child(functools.partial(_qp_task, circuit, inputs, repeats, limit), 2 * limit)
    if "times" not in result:
        return result
    times = result.pop("times")
    status = f"slow: first solve {times[0]:.1f} s > {limit:g} s" if times[0] > limit else "ok"
    return {"status": status, "median_s": float(np.median(times)), "repeats": len(times), **result}


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
                    return {"status": f"timeout: > {limit:g} s", "timeout_s": limit}
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
    """The largest |v_a - v_b| over the nodes both results name, volts (None: nothing to compare)."""
    if "voltages" not in a or "voltages" not in b:
        return None
    index = {n: k for k, n in enumerate(b["nodes"])}
    common = [(k, index[n]) for k, n in enumerate(a["nodes"]) if n in index]
    if not common:
        return None
    ka, kb = map(list, zip(*common))
    diff = np.abs(a["voltages"][:, ka] - b["voltages"][:, kb])
    return float(np.nanmax(diff)) if np.isfinite(diff).any() else None


def spice_start(repeats: int, limit: float) -> dict:
    """ngspice's process start: `run_spice` on a trivial deck (1 V across one 1 kohm resistor)."""
    circuit = Circuit(title="ngspice start: one resistor")
    add = element_adder(circuit)
    add(VOLTAGE_SOURCE, "n1", "0", 1.0)
    add(RESISTOR, "n1", "0", 1000.0)
    result = run_spice(circuit, None, repeats, limit, ["n1"])
    return {k: v for k, v in result.items() if k not in ("nodes", "voltages")}


# ---------------------------------------------------------------- driver

def _plain_result(result: dict) -> dict:
    """A solver's result without its node voltages (the JSON keeps only the comparisons)."""
    return {k: v for k, v in result.items() if k not in ("nodes", "voltages")}


def describe(name: str, kind: str, circuit: Circuit, batch: int) -> dict:
    """A row's first fields: the case and its element counts."""
    elements = len(circuit.elements)
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {len(circuit.nodes)} nodes, {elements} elements, "
          f"batch {batch}", flush=True)
    return {"case": name, "kind": kind, "nodes": len(circuit.nodes), "elements": elements,
            "resistors": sum(1 for _ in circuit.of_kind("R")), "diodes": sum(1 for _ in circuit.of_kind("D")),
            "voltage_sources": sum(1 for _ in circuit.of_kind("V")),
            "current_sources": sum(1 for _ in circuit.of_kind("I")),
            "vcvs": sum(1 for _ in circuit.of_kind("E")), "vccs": sum(1 for _ in circuit.of_kind("G")),
            "batch": batch}


def run_references(circuit: Circuit, inputs, reference: dict, reference_name: str, kind: str, batch: int,
                   args, skip: dict, extrapolate: tuple[str, ...], single: dict | None = None) -> dict:
    """The row fields of qp and ngspice on one case: their results without voltages, with
    max_abs_dv_vs_{reference_name} (volts) and {solver}_over_{reference_name} (time ratio).

    skip: seconds per element of the last case of the same (kind, batched, solver), or inf
        where it failed; a solver in `extrapolate` is skipped where that predicts more than
        --limit (the others run and hit --limit). single: the batch-1 row of this batch's
        circuit, whose times predict this batch's."""
    row, elements = {}, len(circuit.elements)
    for solver in ("qp", "spice"):
        # skip when a smaller case of the same family already ran out of time
        predicted = skip.get((kind, batch > 1, solver)) if solver in extrapolate else None
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
        result = (run_qp(circuit, inputs, args.repeats, args.limit) if solver == "qp"
                  else run_spice(circuit, inputs, args.repeats, args.limit, reference.get("nodes", circuit.nodes)))
        result[f"max_abs_dv_vs_{reference_name}"] = max_dv(reference, result)
        # seconds per element, scaled superlinearly to be safe
        skip[(kind, batch > 1, solver)] = 1.5 * result["median_s"] / elements if "median_s" in result else np.inf
        row[solver] = _plain_result(result)
    for solver in ("qp", "spice"):
        other, own = row[solver].get("median_s"), reference.get("median_s")
        row[f"{solver}_over_{reference_name}"] = other / own if other and own else None
    return row


def bench_case(name: str, kind: str, circuit: Circuit, inputs, batch: int, args, skip: dict,
               sizes: list[int] | None = None, single: dict | None = None) -> dict:
    """One cd row; `single`: the same circuit's batch-1 row, whose times predict this batch's."""
    row = describe(name, kind, circuit, batch)
    try:
        cd = run_cd(circuit, inputs, args.repeats, args.cd_budget)
    except Exception as error:
        cd = {"error": f"{type(error).__name__}: {error}"}
        traceback.print_exc()
    row["family"], row["cd"] = "cd", _plain_result(cd)
    row.update(run_references(circuit, inputs, cd, "cd", kind, batch, args, skip, ("qp", "spice"), single))
    if sizes is not None:
        row["layer_sizes"] = sizes
        row["matmul_per_sweep_s"] = matmul_time(sizes, batch, args.seed)
        per_sweep = row["cd"].get("per_sweep_s")
        row["cd_sweep_over_matmul"] = per_sweep / row["matmul_per_sweep_s"] if per_sweep else None
    print(f"    cd {fmt_seconds(row['cd'].get('median_s'))} ({row['cd'].get('sweeps')} sweeps)  "
          f"qp {fmt_seconds(row['qp'].get('median_s'))} [{row['qp'].get('status')}]  "
          f"ngspice {fmt_seconds(row['spice'].get('median_s'))} [{row['spice'].get('status')}]", flush=True)
    return row


def bench_newton_case(name: str, kind: str, circuit: Circuit, args, skip: dict, start: dict) -> dict:
    """One newton row: newton (profiled) and auto, each in a child process killed after
    --newton-limit, then qp and ngspice; `start`: ngspice's process start (`spice_start`),
    subtracted from its wall time as own_s."""
    row = describe(name, kind, circuit, 1)
    newton = in_child(functools.partial(run_newton, circuit, "newton", args.repeats, args.newton_budget, True),
                      args.newton_limit)
    if "median_s" in newton:
        auto = in_child(functools.partial(run_newton, circuit, "auto", args.repeats, args.newton_budget, False),
                        args.newton_limit)
        auto["max_abs_dv_vs_newton"] = max_dv(newton, auto)
    else:
        auto = {"status": "skipped: newton did not finish"}
    row["family"], row["newton"], row["auto"] = "newton", _plain_result(newton), _plain_result(auto)
    # ngspice is not extrapolated: a case it cannot solve within --limit is reported as such
    row.update(run_references(circuit, None, newton, "newton", kind, 1, args, skip, ("qp",)))
    spice = row["spice"]
    if "median_s" in spice and "median_s" in start:
        spice["start_s"] = start["median_s"]
        spice["own_s"] = spice["median_s"] - start["median_s"]
        row["spice_own_over_newton"] = (spice["own_s"] / newton["median_s"]
                                        if "median_s" in newton else None)
    print(f"    newton {fmt_seconds(newton.get('median_s'))} ({newton.get('iterations')} iterations) "
          f"[{newton.get('status', 'ok')}]  auto {fmt_seconds(auto.get('median_s'))}  "
          f"qp {fmt_seconds(row['qp'].get('median_s'))} [{row['qp'].get('status')}]  "
          f"ngspice {fmt_seconds(spice.get('median_s'))} [{spice.get('status')}]", flush=True)
    return row


def _dv(value) -> str:
    return "-" if value is None else f"{value:.1e}"


def _time_cell(result: dict) -> str:
    """A solver's median time; '> LIMIT' where it was stopped at its time limit; 'n/a' else."""
    if "median_s" in result:
        return fmt_seconds(result["median_s"])
    return f"> {result['timeout_s']:g} s" if "timeout_s" in result else "n/a"


def table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The cd family's table: header and rows of cells."""
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
            _time_cell(r["qp"]), fmt_ratio(r["qp"].get("median_s"), cd_s), _dv(r["qp"].get("max_abs_dv_vs_cd")),
            _time_cell(r["spice"]), fmt_ratio(r["spice"].get("median_s"), cd_s),
            _dv(r["spice"].get("max_abs_dv_vs_cd")),
            fmt_seconds(r.get("matmul_per_sweep_s")), "-" if merit is None else f"{merit:.3g}",
        ])
    return header, body


def _share(profile: dict | None, *categories: str) -> str:
    """The share of a newton profile's total spent in `categories`, as a percentage."""
    if not profile:
        return "-"
    return f"{100 * sum(profile[c] for c in categories) / profile['total']:.0f} %"


def newton_table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The newton family's table: header and rows of cells."""
    header = ["case", "nodes", "elements", "compile", "newton", "iters", "auto", "ngspice", "ngspice own",
              "own/newton", "wall/newton", "|dv| ngspice", "qp", "qp/newton", "|dv| qp", "LU", "assembly",
              "law+limit"]
    body = []
    for r in rows:
        newton, auto, spice, qp = r["newton"], r["auto"], r["spice"], r["qp"]
        newton_s = newton.get("median_s")
        auto_cell = _time_cell(auto)
        if auto.get("method", "newton") != "newton":
            auto_cell += f" ({auto['method']})"
        profile = newton.get("profile_s")
        own = spice.get("own_s")
        own_cell = "~0" if own is not None and own <= 0 else fmt_seconds(own)  # within the start's noise
        body.append([
            r["case"], r["nodes"], r["elements"], fmt_seconds(newton.get("compile_s")),
            _time_cell(newton) if "timeout_s" in newton or newton_s else "FAILED", newton.get("iterations", "-"),
            auto_cell, _time_cell(spice), own_cell, fmt_ratio(own if own and own > 0 else None, newton_s),
            fmt_ratio(spice.get("median_s"), newton_s), _dv(spice.get("max_abs_dv_vs_newton")),
            _time_cell(qp), fmt_ratio(qp.get("median_s"), newton_s), _dv(qp.get("max_abs_dv_vs_newton")),
            _share(profile, "lu"), _share(profile, "assembly"), _share(profile, "law", "limiting"),
        ])
    return header, body


def notes(rows: list[dict], args, start: dict | None) -> list[str]:
    """The notes under the tables: what each figure is, then every row's failures and skips."""
    lines = []
    if any(r["family"] == "cd" for r in rows):
        lines += [
            "cd: median of up to --repeats solves of the compiled circuit (tolerance mode, "
            "tol=1e-9 relative); 'compile' is circuit.compile(), not included in cd. Batch rows: "
            "time for the whole batch. Each timed solve starts cold: the conductances are touched "
            "first, so nothing cached by the previous solve (weight sums, input projection) is reused.",
            "sparse rows: coordinate descent to 1e-4 relative, then the exact active-set polish "
            "(sparse Laplacian solve), hence |dv| against qp at rounding level.",
            "cd path: sparse rows use the numba sparse kernel; drn rows use the path solve() picks "
            "(see each row's cd.path); the cd time is the whole solve() call (set-up and the sparse KKT "
            "certification included), so cd-sweep/matmul is an upper bound on the sweeps' own cost.",
            SPICE_NOTE, FILL_NOTE, MATMUL_NOTE]
    if any(r["family"] == "newton" for r in rows):
        start_s = (start or {}).get("median_s")
        lines += [
            "newton: solve(compiled, solver='newton') (tol=1e-9 relative); 'compile' is circuit.compile(), "
            "timed apart; one warm-up solve, then the median of up to --repeats solves (fewer where they "
            f"would take over --newton-budget {args.newton_budget:g} s), in a child process stopped after "
            f"--newton-limit {args.newton_limit:g} s. auto: the same with solver='auto' (it picks newton "
            "for every case here; another method would be named in its cell).",
            "LU, assembly, law+limit: shares of one more newton solve under cProfile: the factorisations "
            "(SuperLU's splu, or the numba refactorisation on its kept pivots, whichever "
            "solvers/sparse_lu.py chose for the circuit), the Jacobian (summed into its pattern) and right-hand "
            "side, the junction law and pnjlim limiting; the triangular solves and the rest are in the "
            "JSON (newton.profile_s, seconds).",
            "ngspice: wall time of `ngspice -b` (.op) on the netlist write_netlist writes (parsing and "
            "rawfile writing included); 'ngspice own' subtracts its process start, "
            f"{fmt_seconds(start_s)} (median of `ngspice -b` on a one-resistor deck; '~0': within its "
            "noise); own/newton and "
            "wall/newton: ngspice's time over newton's. |dv|: the largest |v_newton - v_other| over the "
            "circuit's nodes; ngspice stops at its default tolerances (RELTOL 1e-3, VNTOL 1 uV).",
            "grid rows: random Shockley circuits on a 2-D grid with breakdown diodes, which qp does not "
            "model; expander rows: the same elements on a random graph without breakdown (direct LU "
            "fills in on expanders, so every direct solver slows there).",
        ]
    lines += [QP_NOTE,
              f"'n/a': not run or not finished within --limit {args.limit:g} s (see the JSON and the lines "
              f"below for why); '> T': stopped after T seconds."]
    for r in rows:
        for solver in ("cd", "newton", "auto", "qp", "spice"):
            result = r.get(solver, {})
            status = result.get("status") or result.get("error")
            if status and status != "ok":
                lines.append(f"{r['case']} (batch {r['batch']}) {solver}: {status}")
            if result.get("fallback"):
                lines.append(f"{r['case']} (batch {r['batch']}) {solver}: {result['fallback']}")
    return lines


def _numbers(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="cd,newton",
                        help="comma-separated case families: cd (ideal-diode and layered circuits), "
                             "newton (Shockley diodes and controlled sources)")
    parser.add_argument("--sizes", default="100,1000,10000,100000",
                        help="cd: comma-separated node counts of the random sparse circuits ('' for none)")
    parser.add_argument("--layered", default="64-32-10,784-100-10,784-1024-10",
                        help="cd: comma-separated DRN shapes FEATURES-HIDDEN...-CLASSES ('' for none)")
    parser.add_argument("--batch", type=int, default=64, help="cd: batch size of the batched layered rows")
    parser.add_argument("--ladder", type=int, default=300, help="newton: stages of the diode ladder (0: none)")
    parser.add_argument("--grid", default="1000,10000,100000",
                        help="newton: comma-separated node counts of the random Shockley grid circuits")
    parser.add_argument("--expander", default="1000",
                        help="newton: comma-separated node counts of the random Shockley expander circuits")
    parser.add_argument("--opamp", default="1000",
                        help="newton: comma-separated node counts of the op-amp (VCVS) chain circuits")
    parser.add_argument("--vccs", default="1000",
                        help="newton: comma-separated node counts of the op-amp chains whose op-amps are VCCS (G)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--limit", type=float, default=60.0, help="seconds allowed to one qp / ngspice solve")
    parser.add_argument("--cd-budget", type=float, default=30.0,
                        help="seconds the timed cd repeats of one case may take (fewer repeats if slow)")
    parser.add_argument("--newton-budget", type=float, default=30.0,
                        help="seconds the timed newton (and auto) repeats of one case may take")
    parser.add_argument("--newton-limit", type=float, default=300.0,
                        help="seconds after which a case's newton (or auto) child process is stopped")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a tiny smoke-test run")
    parser.add_argument("--out", default=str(RESULTS / "bench_solver.json"))
    parser.add_argument("--markdown", default=None,
                        help="also write the table as markdown here (default: next to --out, unless --quick)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.layered, args.batch, args.repeats, args.limit = "100", "8-6-3", 4, 1, 20.0
        args.grid, args.expander, args.opamp, args.vccs, args.newton_limit = "100", "100", "100", "100", 60.0
    cases = [s.strip() for s in args.cases.split(",") if s.strip()]
    unknown = set(cases) - {"cd", "newton"}
    if unknown:
        parser.error(f"unknown case families {', '.join(sorted(unknown))}; choose from cd, newton")
    sizes = _numbers(args.sizes) if "cd" in cases else []
    layered = [s.strip() for s in args.layered.split(",") if s.strip()] if "cd" in cases else []
    newton_cases = []
    if "newton" in cases:
        newton_cases += [(f"ladder {args.ladder}", "ladder", functools.partial(ladder_circuit, args.ladder))
                         ] if args.ladder else []
        newton_cases += [(f"grid {n}", "grid", functools.partial(shockley_circuit, n, args.seed + n))
                         for n in _numbers(args.grid)]
        newton_cases += [(f"expander {n}", "expander",
                          functools.partial(shockley_circuit, n, args.seed + n, "expander", breakdown=False))
                         for n in _numbers(args.expander)]
        newton_cases += [(f"{name} {n}", name, functools.partial(opamp_circuit, n, args.seed + n, amplifier))
                         for name, amplifier, counts in (("opamp", "vcvs", args.opamp), ("vccs", "vccs", args.vccs))
                         for n in _numbers(counts)]

    started, load_at_start = time.perf_counter(), os.getloadavg()
    rows: list[dict] = []
    skip: dict = {}
    if sizes or layered:
        # warm the numba JIT (kernels are cached on disk, the first call loads them)
        solve(sparse_circuit(20, 12345).compile(), solver="cd")
    for n in sizes:
        rows.append(bench_case(f"sparse {n}", "sparse", sparse_circuit(n, args.seed + n), None, 1, args, skip))
    for spec in layered:
        circuit, x, layer_sizes = layered_case(spec, args.batch, args.seed)
        rows.append(bench_case(f"drn {spec}", "layered", circuit, x[:1], 1, args, skip, layer_sizes))
        if args.batch > 1:
            rows.append(bench_case(f"drn {spec}", "layered", circuit, x, args.batch, args, skip,
                                   layer_sizes, single=rows[-1]))
    start = None
    if newton_cases:
        for solver in ("newton", "auto"):  # import the solvers before the child processes fork
            solve(ladder_circuit(3), solver=solver)
        start = spice_start(max(5, args.repeats), args.limit)
        print(f"ngspice process start: {fmt_seconds(start.get('median_s'))} [{start.get('status')}]")
    for name, kind, build in newton_cases:
        rows.append(bench_newton_case(name, kind, build(), args, skip, start))

    tables = [(title, *make([r for r in rows if r["family"] == family]))
              for family, title, make in (("cd", "cd: ideal diodes and layered networks", table),
                                          ("newton", "newton: Shockley diodes and controlled sources", newton_table))
              if any(r["family"] == family for r in rows)]
    for title, header, body in tables:
        print(f"\n{title}\n")
        print(text_table(header, body))
    note_lines = notes(rows, args, start)
    print()
    for line in note_lines:
        print("- " + line)
    info = machine()
    info["numba_threads"] = numba_threads()
    payload = {
        "benchmark": "solver speed: cd and newton vs qp vs ngspice",
        "command": " ".join(["python scripts/bench_solver.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": info,
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
        "versions": versions("numpy", "numba", "cvxpy", "clarabel", "scipy", "circuitnet"),
        "git": git_state(),
        "settings": {"cases": cases, "sizes": sizes, "layered": layered, "batch": args.batch,
                     "ladder": args.ladder, "grid": _numbers(args.grid), "expander": _numbers(args.expander),
                     "opamp": _numbers(args.opamp), "vccs": _numbers(args.vccs), "repeats": args.repeats, "limit_s": args.limit,
                     "newton_budget_s": args.newton_budget, "newton_limit_s": args.newton_limit,
                     "seed": args.seed, "quick": args.quick, "tol": 1e-9},
        "ngspice_start": start,
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
                    f"{payload['total_seconds']:.0f} s in all; 1-minute load average "
                    f"{load_at_start[0]:.2f} at the start, {payload['load_average']['end'][0]:.2f} at the end)", ""]
        for title, header, body in tables:
            text += [f"## {title}", "", markdown_table(header, body), ""]
        text += [*("- " + line for line in note_lines), ""]
        Path(markdown).write_text("\n".join(text))
        print(f"wrote {markdown}")


if __name__ == "__main__":
    main()

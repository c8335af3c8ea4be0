"""Seeded random circuits for property tests: every node has a DC path to ground."""
from __future__ import annotations

import numpy as np

from circuitnet import Circuit, DiodeModel, Element
from circuitnet.model.elements import (CAPACITOR, CCCS, CCVS, CURRENT_SOURCE, DIODE, INDUCTOR, RESISTOR, VCCS,
                                       VCVS, VOLTAGE_SOURCE)


def _builder(title: str, n_nodes: int):
    """An empty circuit, its node names n0..n{n_nodes-1}, and add(kind, a, b, value, model,
    extra) that adds an element named by its letter and a running number."""
    circuit = Circuit(title=title)
    count = iter(range(10**6))

    def add(kind, a, b, value=None, model=None, extra=(), spec=None):
        name = f"{kind.letter.lower()}{next(count)}"
        circuit.add(Element(name, kind, (a, b, *extra), value, model, spec=spec))
        return name

    return circuit, [f"n{k}" for k in range(n_nodes)], add


def random_circuit(seed: int, n_nodes: int = 8, *, ideal: int = 3, shockley: int = 0,
                   free_diodes: bool = True, currents: int = 1, sources: int = 2,
                   vcvs: int = 0) -> Circuit:
    """A random resistor network over nodes n0..n{n_nodes-1}.

    A random spanning tree of resistors to ground guarantees DC paths; extra resistors,
    `sources` voltage sources from ground, `currents` current sources, ideal diodes (between
    free nodes when `free_diodes`, else to source nodes), Shockley diodes and feed-forward
    VCVS are added: a chain of amplifier stages, each driving a fresh node that feeds
    nothing upstream (stage 0 is controlled by two network nodes, stage k by stage k-1).
    """
    rng = np.random.default_rng(seed)
    circuit, nodes, add = _builder(f"random circuit {seed}", n_nodes)

    for k, node in enumerate(nodes):
        parent = "0" if k == 0 else nodes[rng.integers(0, k)]
        add(RESISTOR, node, parent, float(rng.uniform(100, 10_000)))
    for _ in range(n_nodes):
        a, b = rng.choice(n_nodes + 1, size=2, replace=False)
        add(RESISTOR, ([*nodes, "0"])[a], ([*nodes, "0"])[b], float(rng.uniform(100, 10_000)))
    driven = [f"s{k}" for k in range(sources)]
    for s in driven:
        add(VOLTAGE_SOURCE, s, "0", float(rng.uniform(-5, 5)))
        add(RESISTOR, s, nodes[rng.integers(n_nodes)], float(rng.uniform(100, 5000)))
    for _ in range(currents):
        add(CURRENT_SOURCE, "0", nodes[rng.integers(n_nodes)], float(rng.uniform(-1e-3, 1e-3)))
    circuit.add_model(DiodeModel("dideal", ideal=True, vf=float(rng.choice([0.0, 0.3]))))
    circuit.add_model(DiodeModel("dshock", params={"is": 1e-14, "n": float(rng.uniform(1, 2))}))
    for _ in range(ideal):
        pool = nodes if free_diodes else driven + ["0"]
        a = nodes[rng.integers(n_nodes)]
        b = pool[rng.integers(len(pool))]
        if a != b:
            add(DIODE, *((a, b) if rng.random() < 0.5 else (b, a)), model="dideal")
    for _ in range(shockley):
        a, b = rng.choice([*nodes, "0"], size=2, replace=False)
        add(DIODE, str(a), str(b), model="dshock")
    control = tuple(str(c) for c in rng.choice(nodes, size=2, replace=False))
    for k in range(vcvs):
        out, load = f"e_out{k}", f"stage{k}"
        add(VCVS, out, "0", float(rng.uniform(-2, 2)), extra=control)
        add(RESISTOR, out, load, float(rng.uniform(1000, 10_000)))
        add(RESISTOR, load, "0", float(rng.uniform(1000, 10_000)))
        if shockley:
            add(DIODE, load, "0", model="dshock")
        control = (load, "0")
    return circuit


def randomised_drn(hidden: list[int], seed: int, features: int = 5, classes: int = 3,
                   shuffle: bool = False) -> tuple[Circuit, np.random.Generator]:
    """A DRN (`build_drn`) with random conductances (0.05..1 S) and bias currents (not
    build_drn's initial ones), and the generator for what the test draws next; `shuffle`
    lists its elements in random order (dense blocks then gather their matrices instead
    of viewing them)."""
    from circuitnet.model.networks import build_drn

    rng = np.random.default_rng(seed)
    circuit = build_drn(features, hidden, classes, gain=2.0, seed=seed)
    names = list(circuit.elements)
    if shuffle:
        rng.shuffle(names)
        circuit.elements = {name: circuit.elements[name] for name in names}
    for name in names:
        element = circuit.elements[name]
        if element.kind is RESISTOR:
            element.value = 1.0 / rng.uniform(0.05, 1.0)
        elif name.startswith("ib"):
            element.value = rng.normal(0.0, 0.3)
    return circuit, rng


def random_real_circuit(seed: int, n_nodes: int = 10, *, diodes: int = 4, breakdown: bool = True,
                        vcvs: int = 1, stiff: bool = True, controlled: int = 0,
                        reactive: bool = False) -> Circuit:
    """A random circuit of the kind designers write: resistors from 1 ohm to 1 Mohm (when
    `stiff`, else 100 ohm..10 kohm), voltage sources, nA..mA current sources, Shockley
    diodes with random IS, N, RS (and BV/IBV/NBV when `breakdown`), and `vcvs` amplifier
    stages, each an op-amp-like VCVS (gain 10..1e5) with resistive negative feedback or a
    feed-forward buffer; then `controlled` stages, each a G, F or H card (a random choice)
    driving a new node loaded by a resistor (and half the time a diode), controlled by the
    voltage of earlier nodes or the current of a voltage source, so the circuit has one
    operating point; with `reactive`, capacitors across random node pairs (open at DC) and
    inductors in series with a resistor branch (a short). Every node has a DC path to ground."""
    rng = np.random.default_rng(seed)
    circuit, nodes, add = _builder(f"real circuit {seed}", n_nodes)

    def resistance() -> float:
        return float(10 ** rng.uniform(0, 6) if stiff else rng.uniform(100, 10_000))

    for k, node in enumerate(nodes):
        add(RESISTOR, node, "0" if k == 0 else nodes[rng.integers(0, k)], resistance())
    for _ in range(n_nodes // 2):
        a, b = rng.choice([*nodes, "0"], size=2, replace=False)
        add(RESISTOR, str(a), str(b), resistance())
    sensors = []
    for k in range(2):
        sensors.append(add(VOLTAGE_SOURCE, f"s{k}", "0", float(rng.uniform(-10, 10))))
        add(RESISTOR, f"s{k}", nodes[rng.integers(n_nodes)], resistance())
    add(CURRENT_SOURCE, "0", nodes[rng.integers(n_nodes)], float(rng.choice([-1, 1]) * 10 ** rng.uniform(-9, -3)))
    for k in range(diodes):
        params = {"is": float(10 ** rng.uniform(-16, -8)), "n": float(rng.uniform(1, 2)),
                  "rs": float(rng.choice([0.0, rng.uniform(0.1, 20)]))}
        if breakdown and rng.random() < 0.5:
            params.update(bv=float(rng.uniform(2, 15)), ibv=float(10 ** rng.uniform(-5, -2)),
                          nbv=float(rng.uniform(1, 3)))
        circuit.add_model(DiodeModel(f"dm{k}", params=params))
        a, b = rng.choice([*nodes, "0"], size=2, replace=False)
        add(DIODE, str(a), str(b), model=f"dm{k}")
    for k in range(vcvs):
        inp, minus, out = f"a{k}_in", f"a{k}_m", f"a{k}_out"
        add(RESISTOR, nodes[rng.integers(n_nodes)], inp, resistance())
        add(RESISTOR, inp, "0", resistance())
        gain = float(10 ** rng.uniform(1, 5))
        if rng.random() < 0.5:  # inverting amplifier: output through rf back to the minus input
            add(RESISTOR, inp, minus, float(rng.uniform(1e3, 1e4)))
            add(RESISTOR, minus, out, float(rng.uniform(1e3, 1e5)))
            add(VCVS, out, "0", gain, extra=("0", minus))
        else:  # buffer with gain
            add(VCVS, out, "0", float(rng.uniform(-3, 3)), extra=(inp, "0"))
        add(RESISTOR, out, "0", float(rng.uniform(1e3, 1e4)))
    earlier = list(nodes)
    for k in range(controlled):
        out, sign = f"c{k}", float(rng.choice([-1, 1]))
        sensor = sensors[rng.integers(len(sensors))]
        kind = rng.integers(3)
        if kind == 0:
            a, b = rng.choice([*earlier, "0"], size=2, replace=False)
            add(VCCS, "0", out, sign * float(10 ** rng.uniform(-5, -2)), extra=(str(a), str(b)))
        elif kind == 1:
            add(CCCS, "0", out, sign * float(rng.uniform(0.1, 10)), spec=sensor)
        else:
            add(CCVS, out, "0", sign * float(10 ** rng.uniform(1, 4)), spec=sensor)
            sensors.append(add(VOLTAGE_SOURCE, out, f"c{k}_load", 0.0))  # its current can be sensed too
            out = f"c{k}_load"
        add(RESISTOR, out, "0", resistance())
        if diodes and rng.random() < 0.5:  # behind a resistor: an H card fixes its node's voltage
            add(RESISTOR, out, f"c{k}_d", resistance())
            add(DIODE, f"c{k}_d", "0", model=f"dm{rng.integers(diodes)}")
        earlier.append(out)
    if reactive:
        for k in range(2):
            a, b = rng.choice([*nodes, "0"], size=2, replace=False)
            add(CAPACITOR, str(a), str(b), float(10 ** rng.uniform(-12, -3)))
            add(INDUCTOR, nodes[rng.integers(n_nodes)], f"l{k}_end", float(10 ** rng.uniform(-9, -1)))
            add(RESISTOR, f"l{k}_end", "0", resistance())
    return circuit

"""Export a trained run: the trained circuit from a run directory or checkpoint, snapped to
standard resistor values, as a netlist with a CSV bill of materials beside it.

Snapping (`snap`):
- "E24" / "E96": each resistor to the nearest value of that IEC 60063 series (nearest in
  log scale, i.e. smallest relative error);
- "levels=N": each resistor's conductance to the nearest of N evenly spaced levels from the
  `*@ bounds` gmin to the largest conductance in the circuit (a device with N states).
Bias current sources keep their exact values.
"""
from __future__ import annotations

import copy
import csv
import io
import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..model.circuit import Circuit
from ..model.elements import Term
from .checkpoint import load_checkpoint

E24 = (1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0,
       3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6, 6.2, 6.8, 7.5, 8.2, 9.1)
E96 = tuple(round(10 ** (k / 96), 2) for k in range(96))


def trained_circuit(source: str | os.PathLike, which: str = "last") -> Circuit:
    """The trained circuit of a run directory, its last.npz (`which` "last": the latest
    epoch) or best.npz ("best": the lowest test error), or of a checkpoint .npz file."""
    path = Path(source)
    if path.is_dir():
        from .rundir import RunDirectory

        return RunDirectory(path).checkpoint(which).circuit()
    return load_checkpoint(path).circuit()


def snap_circuit(circuit: Circuit, snap: str) -> tuple[Circuit, dict[str, float]]:
    """A copy of `circuit` with every resistor snapped (see the module docstring).

    Returns the copy and the exact resistances before snapping (ohms, by element name).
    """
    resistors = list(circuit.with_term(Term.EDGE))
    exact = np.array([r.value for r in resistors])
    snapped = _snap_values(exact, snap.strip(), circuit.bounds.gmin)
    result = copy.copy(circuit)
    result.elements = dict(circuit.elements)
    for r, value in zip(resistors, snapped):
        result.elements[r.name] = copy.copy(r)
        result.elements[r.name].value = float(value)
    return result, {r.name: float(v) for r, v in zip(resistors, exact)}


def _snap_values(resistance: np.ndarray, snap: str, gmin: float) -> np.ndarray:
    key = snap.upper()
    if key in ("E24", "E96"):
        return _nearest_in_series(resistance, np.array(E24 if key == "E24" else E96))
    if key.startswith("LEVELS="):
        try:
            n = int(key.split("=", 1)[1])
        except ValueError:
            n = 0
        if n < 2:
            raise DataError(f"--snap {snap}: levels=N needs an integer N >= 2")
        g = 1.0 / resistance
        levels = np.linspace(gmin, max(g.max(), gmin * 2), n)
        return 1.0 / levels[np.argmin(np.abs(g[:, None] - levels[None, :]), axis=1)]
    raise DataError(f"unknown --snap {snap!r}: expected E24, E96 or levels=N")


def _nearest_in_series(resistance: np.ndarray, series: np.ndarray) -> np.ndarray:
    decade = np.floor(np.log10(resistance))
    candidates = np.concatenate([series, [10.0]])[None, :] * 10.0 ** decade[:, None]
    best = np.argmin(np.abs(np.log(candidates) - np.log(resistance)[:, None]), axis=1)
    return candidates[np.arange(len(resistance)), best]


def bill_of_materials(circuit: Circuit, exact: dict[str, float] | None = None) -> str:
    """CSV text: one row per element (name, kind, nodes, value, unit, exact value, error %)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "kind", "nodes", "value", "unit", "model", "exact_value", "error_percent"])
    for e in circuit.elements.values():
        value = "" if e.value is None else f"{e.value:.6g}"
        original = (exact or {}).get(e.name)
        error = "" if original is None else f"{100.0 * (e.value - original) / original:.3f}"
        writer.writerow([e.name, e.kind.name, " ".join(e.nodes), value, e.kind.unit, e.model or "",
                         "" if original is None else f"{original:.9g}", error])
    return out.getvalue()


def is_trained_run(path: str | os.PathLike) -> bool:
    """Whether `path` is a run directory (config.json or a checkpoint in it), or a checkpoint .npz file."""
    path = Path(path)
    if path.is_dir():
        return any((path / name).is_file() for name in ("config.json", "last.npz", "best.npz"))
    return path.suffix == ".npz" and path.is_file()

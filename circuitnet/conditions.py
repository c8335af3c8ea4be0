"""Operating conditions of a solve: source values per example, nudging and clamping.

Every solver takes the same `Conditions`, built once by `make_conditions`, so the three
solvers read inputs in exactly the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Union

import numpy as np

from .circuit import Circuit
from .errors import CircuitValidationError, DataError

Inputs = Union[None, np.ndarray, Mapping[str, Union[float, np.ndarray]]]


@dataclass
class Nudge:
    """Soft nudging of output nodes: adds beta/2 * sum_o (v_o - y_o)^2 to the energy.

    Electrically, a conductance `beta` siemens from each node to a voltage source at its
    target. nodes: k node names; beta: siemens (may be negative for negative EP);
    targets: volts, shape (batch, k).
    """

    nodes: list[str]
    beta: float
    targets: np.ndarray


@dataclass
class Clamp:
    """Hard clamping of nodes to given voltages (contrastive and coupled learning).

    nodes: k node names; values: volts, shape (batch, k).
    """

    nodes: list[str]
    values: np.ndarray


@dataclass
class Conditions:
    """What a solver needs besides the circuit.

    batch: number of operating points.
    sources: every V and I source name -> its value per example, shape (batch,),
        volts or amperes; VCVS gains are taken from the circuit.
    nudge, clamp: optional, see `Nudge` and `Clamp`.
    """

    batch: int
    sources: dict[str, np.ndarray]
    nudge: Nudge | None = None
    clamp: Clamp | None = None


def make_conditions(circuit: Circuit, inputs: Inputs = None, *, nudge: Nudge | None = None,
                    clamp: Clamp | None = None) -> Conditions:
    """Resolve `inputs` into per-example source values.

    inputs: None (the netlist's values); a mapping from source name to a value or an
        array of shape (batch,); or an array of shape (batch, n_features) (or
        (n_features,)) for the `*@ input` sources, scaled by the directive's gain and
        mirrored when it says so.
    """
    overrides = _input_overrides(circuit, inputs)
    batch = _batch_size(overrides, nudge, clamp)
    sources = {}
    for element in circuit.elements.values():
        if element.kind.letter in ("V", "I"):
            value = overrides.pop(element.name, element.value)
            sources[element.name] = np.broadcast_to(np.asarray(value, dtype=float), (batch,)).copy()
    if overrides:
        raise CircuitValidationError(
            f"cannot set {', '.join(sorted(overrides))}: no voltage or current source of that name")
    for extra in (nudge, clamp):
        _check_nodes(circuit, extra, batch)
    return Conditions(batch, sources, nudge, clamp)


def _input_overrides(circuit: Circuit, inputs: Inputs) -> dict[str, np.ndarray]:
    if inputs is None:
        return {}
    if isinstance(inputs, Mapping):
        return {name.lower(): np.asarray(value, dtype=float) for name, value in inputs.items()}
    return _feature_overrides(circuit, np.asarray(inputs, dtype=float))


def _feature_overrides(circuit: Circuit, x: np.ndarray) -> dict[str, np.ndarray]:
    spec = circuit.inputs
    if spec is None:
        raise DataError(f"{circuit.source_file}: the netlist has no '*@ input' directive, "
                        "so an input array cannot be applied")
    x = np.atleast_2d(x)
    if x.ndim != 2 or x.shape[1] != spec.n_features:
        raise DataError(f"inputs have shape {x.shape}, expected (batch, {spec.n_features}) "
                        f"for the {spec.n_features} features of '*@ input'")
    if not np.all(np.isfinite(x)):
        raise DataError("inputs contain NaN or infinite values")
    values = spec.gain * x
    if spec.mirror:
        values = np.concatenate([values, -values], axis=1)
    return {name: values[:, k] for k, name in enumerate(spec.sources)}


def _batch_size(overrides: dict[str, np.ndarray], nudge: Nudge | None, clamp: Clamp | None) -> int:
    sizes = {v.shape[0] for v in overrides.values() if v.ndim == 1}
    sizes |= {np.atleast_2d(c.targets if isinstance(c, Nudge) else c.values).shape[0]
              for c in (nudge, clamp) if c is not None}
    if len(sizes) > 1:
        raise DataError(f"inconsistent batch sizes in the inputs: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def _check_nodes(circuit: Circuit, extra: Nudge | Clamp | None, batch: int) -> None:
    if extra is None:
        return
    known = set(circuit.nodes)
    unknown = [n for n in extra.nodes if n not in known]
    if unknown:
        raise CircuitValidationError(f"unknown node(s) {unknown} in {type(extra).__name__.lower()}")
    values = extra.targets if isinstance(extra, Nudge) else extra.values
    if np.atleast_2d(values).shape != (batch, len(extra.nodes)):
        raise DataError(f"{type(extra).__name__.lower()} values have shape {np.shape(values)}, "
                        f"expected ({batch}, {len(extra.nodes)})")
